#!/usr/bin/env bash
# Installs the Debian packages the tests use, only those missing; with
# "run", only those `make run` uses (the private bus, Redis for sessions).
# Go and Node.js come with the machine; npm packages come from package-lock.json.
set -euo pipefail

run_only=(dbus-daemon redis-server)
want=(
  systemd          # systemd-socket-activate, systemd-notify
  python3-systemd  # a real sd_listen_fds worker in the end-to-end tests
  gunicorn         # gunicorn and uvicorn under poold, as docs/python.md sets them
  python3-uvicorn
  util-linux       # unshare, for the PID 1 test
  curl
  dbus-daemon      # the private bus poold starts when run by hand; test buses
  dbus-bin         # dbus-send, for the bus policy tests
  openssh-server   # sshd, run by a test on a loopback port for poolctl -H
  openssh-client
  tmux             # a terminal for poolctl top's end-to-end tests
  redis-server     # the Express example's session store; the tests run their own instances
  lintian          # checks the .deb (packaging tests)
  rpm              # builds nothing, inspects the .rpm and installs it in the container
  systemd-container  # systemd-nspawn: the real-systemd tests boot Debian with it
  mmdebstrap       # builds that Debian root filesystem, once, from the host's mirror
  zstd
)
if [ "${1:-}" = run ]; then
  want=("${run_only[@]}")
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing ${missing[*]}; run: sudo apt-get install ${missing[*]}" >&2
  # make run goes on without them: poolctl then has no bus, sessions stay
  # in each worker's memory, and both say so.
  [ "${1:-}" = run ] && exit 0
  exit 1
fi
echo "deps: installing ${missing[*]}"
# Packages with a service (openssh-server, redis-server) must not start it:
# the tests run their own instances, on ports of their own. policy-rc.d is
# Debian's switch for that.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
