package packaging

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A world the maintainer scripts may run in: a booted systemd or not (a
// chroot, a container, an image build), a system bus or not.
// pools: /etc/systemd/system holds units of pools that poolctl init wrote.
type world struct{ systemd, bus, pools bool }

var (
	chroot    = world{}
	booted    = world{systemd: true, bus: true}
	withPools = world{systemd: true, bus: true, pools: true}
)

// The commands the scripts may call, all stubbed: each logs its arguments
// and exits with its code (getent: 2, no such group).
var stubCodes = map[string]int{
	"systemd-sysusers": 0, "getent": 2, "addgroup": 0, "groupadd": 0,
	"systemctl": 0, "deb-systemd-invoke": 0, "dbus-send": 0, "busctl": 0, "rm": 0, "poolctl": 0,
}

const (
	sysusers     = "systemd-sysusers poold.conf"
	getent       = "getent group poold"
	daemonReload = "systemctl --system daemon-reload"
	dbusReload   = "dbus-send --system --type=method_call --dest=org.freedesktop.DBus / org.freedesktop.DBus.ReloadConfig"
	busctlReload = "busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig"
	// poold.py's bytecode, written when a root worker imported it.
	rmDebBytecode = "rm -f /usr/lib/python3/dist-packages/__pycache__/poold.*.pyc"
	rmBytecode    = "rm -rf /usr/share/poold/python/__pycache__"
	// On an upgrade, the running pools take the new poold in place.
	upgradePools = "poolctl upgrade --all --on-install --timeout 1m"
	keptOld      = "poold: some running pools kept their old poold (see above); restart them to run the new one\n"
)

func TestMaintainerScripts(t *testing.T) {
	need(t, "unshare", "mount")
	if os.Geteuid() != 0 {
		t.Skip("needs root, for a mount namespace with its own /run")
	}
	if out, err := exec.Command("unshare", "--mount", "true").CombinedOutput(); err != nil {
		t.Skipf("no mount namespace here: %v %s", err, out)
	}
	for _, tc := range []struct {
		name    string
		script  string // under packaging/
		arg     string // or args
		args    []string
		world   world
		without []string       // stubs missing
		codes   map[string]int // stubs' exit codes changed
		want    []string       // calls, in order
		fail    bool
		output  string // the script says, among the rest

	}{
		{name: "postinst configure", script: "deb/postinst", arg: "configure", world: booted,
			want: []string{sysusers, daemonReload, dbusReload}},
		{name: "postinst configure in a chroot", script: "deb/postinst", arg: "configure", world: chroot,
			want: []string{sysusers}},
		{name: "postinst without sysusers", script: "deb/postinst", arg: "configure", world: chroot,
			without: []string{"systemd-sysusers"},
			want:    []string{getent, "addgroup --system --quiet poold"}},
		{name: "postinst with groupadd only", script: "deb/postinst", arg: "configure", world: chroot,
			without: []string{"systemd-sysusers", "addgroup"},
			want:    []string{getent, "groupadd -r poold"}},
		{name: "postinst group there", script: "deb/postinst", arg: "configure", world: chroot,
			without: []string{"systemd-sysusers"}, codes: map[string]int{"getent": 0},
			want: []string{getent}},
		{name: "postinst busctl", script: "deb/postinst", arg: "configure", world: booted,
			without: []string{"dbus-send"},
			want:    []string{sysusers, daemonReload, busctlReload}},
		{name: "postinst bus alone", script: "deb/postinst", arg: "configure", world: world{bus: true},
			want: []string{sysusers, dbusReload}},
		{name: "postinst systemctl and dbus-send failing", script: "deb/postinst", arg: "configure", world: booted,
			codes: map[string]int{"systemctl": 1, "dbus-send": 1},
			want:  []string{sysusers, daemonReload, dbusReload}},
		{name: "postinst group creation failing", script: "deb/postinst", arg: "configure", world: booted,
			codes: map[string]int{"systemd-sysusers": 1},
			want:  []string{sysusers}, fail: true},
		{name: "postinst upgrade", script: "deb/postinst", args: []string{"configure", "0.9.0"}, world: booted,
			want: []string{sysusers, daemonReload, dbusReload, upgradePools}},
		{name: "postinst upgrade with pools that could not upgrade", script: "deb/postinst", args: []string{"configure", "0.9.0"}, world: booted,
			codes: map[string]int{"poolctl": 1}, output: keptOld,
			want: []string{sysusers, daemonReload, dbusReload, upgradePools}},
		{name: "postinst upgrade in a chroot", script: "deb/postinst", args: []string{"configure", "0.9.0"}, world: chroot,
			want: []string{sysusers}},
		{name: "postinst abort-upgrade", script: "deb/postinst", arg: "abort-upgrade", world: booted},
		{name: "postinst unknown", script: "deb/postinst", arg: "bogus", world: booted, fail: true},

		{name: "prerm remove", script: "deb/prerm", arg: "remove", world: booted,
			want: []string{"deb-systemd-invoke stop poold@*.socket poold@*.service", rmDebBytecode, rmBytecode}},
		{name: "prerm remove failing", script: "deb/prerm", arg: "remove", world: booted,
			codes: map[string]int{"deb-systemd-invoke": 1},
			want:  []string{"deb-systemd-invoke stop poold@*.socket poold@*.service", rmDebBytecode, rmBytecode}},
		{name: "prerm remove with pools of their own units", script: "deb/prerm", arg: "remove", world: withPools,
			want: []string{"deb-systemd-invoke stop poold@*.socket poold@*.service api.socket api.service myapp.socket myapp.service", rmDebBytecode, rmBytecode}},
		{name: "prerm remove in a chroot", script: "deb/prerm", arg: "remove", world: chroot,
			want: []string{rmDebBytecode, rmBytecode}},
		{name: "prerm upgrade", script: "deb/prerm", arg: "upgrade", world: booted},

		{name: "postrm remove", script: "deb/postrm", arg: "remove", world: booted,
			want: []string{daemonReload}},
		{name: "postrm remove in a chroot", script: "deb/postrm", arg: "remove", world: chroot},
		{name: "postrm purge", script: "deb/postrm", arg: "purge", world: booted},
		{name: "postrm upgrade", script: "deb/postrm", arg: "upgrade", world: booted},

		{name: "%post install", script: "rpm/post.sh", arg: "1", world: booted,
			want: []string{sysusers, daemonReload, dbusReload}},
		{name: "%post upgrade in a chroot", script: "rpm/post.sh", arg: "2", world: chroot,
			want: []string{sysusers}},
		{name: "%post upgrade", script: "rpm/post.sh", arg: "2", world: booted,
			want: []string{sysusers, daemonReload, dbusReload, upgradePools}},
		{name: "%post upgrade with pools that could not upgrade", script: "rpm/post.sh", arg: "2", world: booted,
			codes: map[string]int{"poolctl": 1}, output: keptOld,
			want: []string{sysusers, daemonReload, dbusReload, upgradePools}},
		{name: "%post without sysusers", script: "rpm/post.sh", arg: "1", world: chroot,
			without: []string{"systemd-sysusers"},
			want:    []string{getent, "groupadd -r poold"}},
		{name: "%post group creation failing", script: "rpm/post.sh", arg: "1", world: chroot,
			without: []string{"systemd-sysusers"}, codes: map[string]int{"groupadd": 1},
			want: []string{getent, "groupadd -r poold"}, fail: true},
		{name: "%preun erase", script: "rpm/preun.sh", arg: "0", world: booted,
			want: []string{"systemctl stop poold@*.socket poold@*.service", rmBytecode}},
		{name: "%preun erase failing", script: "rpm/preun.sh", arg: "0", world: booted,
			codes: map[string]int{"systemctl": 1},
			want:  []string{"systemctl stop poold@*.socket poold@*.service", rmBytecode}},
		{name: "%preun erase with pools of their own units", script: "rpm/preun.sh", arg: "0", world: withPools,
			want: []string{"systemctl stop poold@*.socket poold@*.service api.socket api.service myapp.socket myapp.service", rmBytecode}},
		{name: "%preun erase in a chroot", script: "rpm/preun.sh", arg: "0", world: chroot,
			want: []string{rmBytecode}},
		{name: "%preun upgrade", script: "rpm/preun.sh", arg: "1", world: booted},
		{name: "%postun erase", script: "rpm/postun.sh", arg: "0", world: booted,
			want: []string{daemonReload}},
		{name: "%postun upgrade", script: "rpm/postun.sh", arg: "1", world: booted,
			want: []string{daemonReload}},
		{name: "%postun erase in a chroot", script: "rpm/postun.sh", arg: "0", world: chroot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codes := map[string]int{}
			for name, code := range stubCodes {
				if !slices.Contains(tc.without, name) {
					codes[name] = code
				}
			}
			for name, code := range tc.codes {
				codes[name] = code
			}
			args := tc.args
			if args == nil {
				args = []string{tc.arg}
			}
			calls, out, err := runScript(t, filepath.Join(repoRoot(t), "packaging", tc.script), args, tc.world, codes)
			if tc.fail != (err != nil) {
				t.Errorf("%s %s: error %v, want failure %v; output:\n%s", tc.script, tc.arg, err, tc.fail, out)
			}
			if !strings.Contains(out, tc.output) {
				t.Errorf("%s %q said\n%s\nwant it to hold\n%s", tc.script, args, out, tc.output)
			}
			if !slices.Equal(calls, tc.want) {
				t.Errorf("%s %s called\n  %q\nwant\n  %q\noutput:\n%s", tc.script, tc.arg, calls, tc.want, out)
			}
		})
	}
}

// runScript runs a maintainer script under /bin/sh with only the stubs on
// its PATH, in a mount namespace whose /run holds what the world has.
func runScript(t *testing.T, script string, args []string, w world, codes map[string]int) (calls []string, out string, err error) {
	t.Helper()
	dir := t.TempDir()
	stubs := filepath.Join(dir, "bin")
	if err := os.Mkdir(stubs, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, code := range codes {
		stub := "#!/bin/sh\necho \"" + name + " $*\" >>\"$STUB_LOG\"\nexit " + string(rune('0'+code)) + "\n"
		if err := os.WriteFile(filepath.Join(stubs, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A socket for /run/dbus/system_bus_socket, which nothing answers.
	bus := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", bus)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	// /etc/systemd/system: two pools' services that poolctl init wrote,
	// another service, and a masked unit.
	const inNamespace = `set -e
mount -t tmpfs tmpfs /run
if [ -d /etc/systemd/system ]; then mount -t tmpfs tmpfs /etc/systemd/system; fi
if [ -n "$WORLD_POOLS" ]; then
	printf '[Service]\nExecStart=/usr/bin/poold --config /etc/poold/myapp.conf --name myapp\n' >/etc/systemd/system/myapp.service
	printf '[Service]\nType=notify\nExecStart=/usr/bin/poold --config /etc/poold/api.conf --name api\n' >/etc/systemd/system/api.service
	printf '[Service]\nExecStart=/usr/sbin/nginx\n' >/etc/systemd/system/nginx.service
	ln -s /dev/null /etc/systemd/system/old.service
fi
if [ -n "$WORLD_SYSTEMD" ]; then mkdir -p /run/systemd/system; fi
if [ -n "$WORLD_BUS" ]; then
	mkdir -p /run/dbus
	: >/run/dbus/system_bus_socket
	mount --bind "$BUS" /run/dbus/system_bus_socket
fi
exec env -i PATH="$STUBS" STUB_LOG="$STUB_LOG" /bin/sh "$@"`
	log := filepath.Join(dir, "calls")
	argv := append([]string{"--mount", "--propagation", "private", "/bin/sh", "-c", inNamespace, "sh", script}, args...)
	cmd := exec.Command("unshare", argv...)
	cmd.Env = append(os.Environ(), "STUBS="+stubs, "STUB_LOG="+log, "BUS="+bus,
		"WORLD_SYSTEMD="+flag(w.systemd), "WORLD_BUS="+flag(w.bus), "WORLD_POOLS="+flag(w.pools))
	b, err := cmd.CombinedOutput()
	logged, _ := os.ReadFile(log)
	if s := strings.TrimSpace(string(logged)); s != "" {
		calls = strings.Split(s, "\n")
	}
	return calls, string(b), err
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// The scripts are POSIX sh: dash (Debian's /bin/sh) parses them, and
// checkbashisms, where installed, finds nothing.
func TestMaintainerScriptsSyntax(t *testing.T) {
	scripts, _ := filepath.Glob(filepath.Join(repoRoot(t), "packaging/deb/p*"))
	rpm, _ := filepath.Glob(filepath.Join(repoRoot(t), "packaging/rpm/*.sh"))
	scripts = append(scripts, rpm...)
	scripts = append(scripts, filepath.Join(repoRoot(t), "packaging/version.sh"),
		filepath.Join(repoRoot(t), "packaging/stage.sh"))
	if len(scripts) != 8 {
		t.Fatalf("scripts: %q", scripts)
	}
	for _, s := range scripts {
		if out, err := exec.Command("/bin/sh", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", s, err, out)
		}
	}
	if _, err := exec.LookPath("checkbashisms"); err != nil {
		t.Log("checkbashisms not installed (devscripts): not run")
		return
	}
	args := append([]string{"--force", "--posix"}, scripts...)
	if out, err := exec.Command("checkbashisms", args...).CombinedOutput(); err != nil {
		t.Errorf("checkbashisms: %v\n%s", err, out)
	}
}
