# %postun of poold ($1: 0 on erase, 1 and more on upgrade): makes systemd
# forget removed or changed unit templates. An erase keeps the poold group
# (files may still belong to it, and a group id must not be handed to
# another group) and whatever the admin wrote in /etc/poold: rpm removes
# the directory itself when it is empty.
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || :
fi
exit 0
