#!/bin/sh
# with-redis.sh COMMAND [ARGS...] runs COMMAND (for `make run`: poold serving
# this app) with a Redis on 127.0.0.1:6379 for the app's sessions, if it can:
#
# - REDIS_URL, REDIS_HOST or REDIS_PORT set: nothing to do, the app uses that;
# - a Redis already answering on 127.0.0.1:6379: the app uses it;
# - else redis-server, if installed, started for the run: in memory only (it
#   writes no file), in a session of its own so that Ctrl-C reaches poold
#   only, and shut down once COMMAND has exited;
# - else nothing: every worker warns that its sessions are its own, in memory.
set -u
port=6379

if [ -n "${REDIS_URL:-}${REDIS_HOST:-}${REDIS_PORT:-}" ]; then
  exec "$@"
fi
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  echo "with-redis: redis-server is not installed (scripts/deps.sh installs it): sessions stay in each worker's memory" >&2
  exec "$@"
fi

answers() {
  redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG
}

if answers; then
  echo "with-redis: using the Redis that answers on 127.0.0.1:$port" >&2
  exec "$@"
fi

setsid redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize no >/dev/null 2>&1 &
redis=$!
i=0
until answers; do
  if ! kill -0 "$redis" 2>/dev/null || [ "$i" -ge 100 ]; then
    echo "with-redis: redis-server did not start on 127.0.0.1:$port (port taken?): sessions stay in each worker's memory" >&2
    kill "$redis" 2>/dev/null
    exec "$@"
  fi
  i=$((i + 1))
  sleep 0.05
done

stop_redis() {
  redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$redis" 2>/dev/null
  wait "$redis" 2>/dev/null
}
trap stop_redis EXIT
# These run once COMMAND has exited: Ctrl-C reaches poold too, which drains
# its workers first; a SIGTERM to this script alone waits for COMMAND.
trap 'exit 130' INT
trap 'exit 143' TERM
echo "with-redis: started redis-server on 127.0.0.1:$port for this run (in memory; stopped on exit)" >&2
"$@"
