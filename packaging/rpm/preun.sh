# %preun of poold ($1: 0 on erase, 1 and more on upgrade): on erase, stops
# every pool, those of the poold@ templates and those poolctl init wrote
# units for (NAME.socket and NAME.service), sockets first so that no
# connection starts a service again, so that nothing of poold runs once the
# package is gone, and removes the bytecode python3 wrote for poold.py when
# a root worker imported it. An upgrade stops nothing: pools keep serving
# on the old binary until they are restarted.
set -e

# The units of /etc/systemd/system whose service runs /usr/bin/poold, each
# with its socket: what poolctl init wrote.
pool_units() {
	for f in /etc/systemd/system/*.service; do
		[ -f "$f" ] || continue
		while IFS= read -r line; do
			case $line in
			"ExecStart=/usr/bin/poold" | "ExecStart=/usr/bin/poold "*)
				n=${f##*/}
				n=${n%.service}
				printf '%s.socket %s.service ' "$n" "$n"
				break
				;;
			esac
		done <"$f"
	done
}
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
	# shellcheck disable=SC2046 # unit names: no spaces, no globs
	systemctl stop 'poold@*.socket' 'poold@*.service' $(pool_units) >/dev/null || :
fi
if [ "$1" -eq 0 ]; then
	rm -rf /usr/share/poold/python/__pycache__
fi
exit 0
