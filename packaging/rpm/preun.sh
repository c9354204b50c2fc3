# %preun of poold ($1: 0 on erase, 1 and more on upgrade): on erase, stops
# every pool of the poold@ templates, sockets first so that no connection
# starts a service again, so that nothing of poold runs once the package is
# gone, and removes the bytecode python3 wrote for poold.py when a root
# worker imported it. An upgrade stops nothing: pools keep serving on the
# old binary until they are restarted.
set -e
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
	systemctl stop 'poold@*.socket' 'poold@*.service' >/dev/null || :
fi
if [ "$1" -eq 0 ]; then
	rm -rf /usr/share/poold/python/__pycache__
fi
exit 0
