# %post of poold ($1: 1 on install, 2 and more on upgrade): creates the
# poold group and makes systemd and the system bus see the new unit
# templates and bus policy. It enables and starts nothing: each pool is the
# admin's to enable (poolctl init NAME, then systemctl enable --now
# NAME.socket). On an upgrade, running pools replace their poold with the
# new one in place (same PID, sockets and workers), unless their config
# says upgrade-on-install = false: those keep their poold until they are
# restarted.

create_group() {
	# The group of /usr/lib/sysusers.d/poold.conf; its members may change
	# any pool over D-Bus.
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers poold.conf
	elif getent group poold >/dev/null 2>&1; then
		:
	elif command -v groupadd >/dev/null 2>&1; then
		groupadd -r poold
	else
		addgroup --system --quiet poold
	fi
}

reload_dbus() {
	# Works with dbus-daemon and dbus-broker, under systemd or not;
	# dbus-daemon would also see the new file by itself (inotify).
	[ -S /run/dbus/system_bus_socket ] || return 0
	if command -v dbus-send >/dev/null 2>&1; then
		dbus-send --system --type=method_call --dest=org.freedesktop.DBus \
			/ org.freedesktop.DBus.ReloadConfig >/dev/null 2>&1 || :
	elif command -v busctl >/dev/null 2>&1; then
		busctl call org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus ReloadConfig >/dev/null 2>&1 || :
	fi
}

upgrade_pools() {
	# Never fails the upgrade: a pool that could not be upgraded runs on
	# as it was, and poolctl said why.
	[ -d /run/systemd/system ] || return 0
	poolctl upgrade --all --on-install --timeout 1m ||
		echo "poold: some running pools kept their old poold (see above); restart them to run the new one" >&2
}

set -e
create_group
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || :
fi
reload_dbus
if [ "$1" -ge 2 ]; then
	upgrade_pools
fi
exit 0
