package activation

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// goRace spares each helper built with -race the race runtime's 1 s sleep
// at exit.
var goRace = "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")

// runHelper runs the from-environment helper with files as fds 3.. and env
// added to a clean environment, and returns its report.
func runHelper(t *testing.T, files []*os.File, env ...string) helperReport {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(StripEnv(os.Environ()), helperEnv+"=from-environment", "HELPER_NFDS="+strconv.Itoa(len(files)), goRace)
	cmd.Env = append(cmd.Env, env...)
	cmd.ExtraFiles = files
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, stderr.Bytes())
	}
	var r helperReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("helper output %q: %v", out, err)
	}
	return r
}

func mustBind(t *testing.T, specs ...ListenSpec) []Socket {
	t.Helper()
	socks, err := Bind(specs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { CloseAll(socks) })
	return socks
}

// rawSocket returns an unbound socket of typ as a file, closed at cleanup.
func rawSocket(t *testing.T, typ int) *os.File {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "raw")
	t.Cleanup(func() { f.Close() })
	return f
}

func dial(t *testing.T, network, addr string) {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
}

func TestFromEnvironmentTakesSockets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.sock")
	socks := mustBind(t,
		ListenSpec{Name: "http", Network: "tcp", Address: "127.0.0.1:0"},
		ListenSpec{Name: "admin", Network: "unix", Address: path})
	// systemd with NonBlocking=yes: the flag must survive FromEnvironment.
	if err := unix.SetNonblock(int(socks[1].File.Fd()), true); err != nil {
		t.Fatal(err)
	}
	dial(t, "tcp", socks[0].Addr)
	dial(t, "unix", path)

	got := runHelper(t, []*os.File{socks[0].File, socks[1].File},
		"HELPER_LISTEN_PID=self", "LISTEN_FDS=2", "LISTEN_FDNAMES=http:admin", "HELPER_ACCEPT=1")

	want := helperReport{
		Sockets: []socketReport{
			{Name: "http", Network: "tcp", Addr: socks[0].Addr, FD: 3, NonBlock: false, Accepted: true},
			{Name: "admin", Network: "unix", Addr: path, FD: 4, NonBlock: true, Accepted: true},
		},
		FDs: map[int]string{3: "cloexec", 4: "cloexec"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// Givers make the files a test passes to the helper as fds 3.. .
type giver func(*testing.T) *os.File

func giveListening(t *testing.T) *os.File {
	return mustBind(t, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"})[0].File
}

func giveRegular(t *testing.T) *os.File {
	f, err := os.Create(filepath.Join(t.TempDir(), "file"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func giveUnbound(t *testing.T) *os.File { return rawSocket(t, unix.SOCK_STREAM) }
func giveDgram(t *testing.T) *os.File   { return rawSocket(t, unix.SOCK_DGRAM) }

const self = "HELPER_LISTEN_PID=self" // the helper sets LISTEN_PID to its pid

var fromEnvironmentTests = []struct {
	name       string
	give       []giver
	env        []string
	wantNames  []string
	wantStored []string
	wantReject []string
	wantErr    string
	wantFDs    map[int]string
}{
	{
		name:    "not activated",
		give:    []giver{giveListening},
		wantFDs: map[int]string{3: "inherit"},
	},
	{
		name:    "LISTEN_PID of another process",
		give:    []giver{giveListening},
		env:     []string{"LISTEN_PID=" + strconv.Itoa(os.Getpid()), "LISTEN_FDS=1", "LISTEN_FDNAMES=http"},
		wantFDs: map[int]string{3: "inherit"},
	},
	{
		name:    "datagram socket",
		give:    []giver{giveListening, giveDgram},
		env:     []string{self, "LISTEN_FDS=2", "LISTEN_FDNAMES=http:admin"},
		wantErr: `socket 4 "admin": not a listening stream socket (SOCK_DGRAM)`,
		wantFDs: map[int]string{3: "closed", 4: "inherit"},
	},
	{
		name:    "stream socket not listening",
		give:    []giver{giveUnbound},
		env:     []string{self, "LISTEN_FDS=1", "LISTEN_FDNAMES=http"},
		wantErr: `socket 3 "http": not a listening stream socket (not listening)`,
		wantFDs: map[int]string{3: "inherit"},
	},
	{
		name:    "regular file",
		give:    []giver{giveRegular},
		env:     []string{self, "LISTEN_FDS=1", "LISTEN_FDNAMES=http"},
		wantErr: `socket 3 "http": not a listening stream socket (not a socket)`,
		wantFDs: map[int]string{3: "inherit"},
	},
	{
		name:      "fewer names than fds",
		give:      []giver{giveListening, giveListening, giveListening},
		env:       []string{self, "LISTEN_FDS=3", "LISTEN_FDNAMES=http::"},
		wantNames: []string{"http", "unknown", "unknown"},
		wantFDs:   map[int]string{3: "cloexec", 4: "cloexec", 5: "cloexec"},
	},
	{
		name:      "no names",
		give:      []giver{giveListening},
		env:       []string{self, "LISTEN_FDS=1"},
		wantNames: []string{"unknown"},
		wantFDs:   map[int]string{3: "cloexec"},
	},
	{
		name:      "more names than fds",
		give:      []giver{giveListening, giveListening},
		env:       []string{self, "LISTEN_FDS=1", "LISTEN_FDNAMES=a:b:c"},
		wantNames: []string{"a"},
		wantFDs:   map[int]string{3: "cloexec", 4: "inherit"},
	},
	{
		name:       "stored sockets after the socket unit's",
		give:       []giver{giveListening, giveListening, giveListening, giveListening},
		env:        []string{self, "LISTEN_FDS=4", "LISTEN_FDNAMES=http:poold-slot-1:poold-listen-0:poold-slot-x"},
		wantNames:  []string{"http", "poold-slot-x"},
		wantStored: []string{"poold-slot-1", "poold-listen-0"},
		wantFDs:    map[int]string{3: "cloexec", 4: "cloexec", 5: "cloexec", 6: "cloexec"},
	},
	{
		// A stored fd that is no longer fit is dropped, not fatal.
		name:       "stored fd not listening",
		give:       []giver{giveListening, giveDgram, giveListening},
		env:        []string{self, "LISTEN_FDS=3", "LISTEN_FDNAMES=http:poold-slot-1:poold-slot-2"},
		wantNames:  []string{"http"},
		wantStored: []string{"poold-slot-2"},
		wantReject: []string{`stored fd "poold-slot-1": socket 4 "poold-slot-1": not a listening stream socket (SOCK_DGRAM)`},
		wantFDs:    map[int]string{3: "cloexec", 4: "closed", 5: "cloexec"},
	},
	{
		name:    "malformed LISTEN_PID",
		give:    []giver{giveListening},
		env:     []string{"LISTEN_PID=me", "LISTEN_FDS=1"},
		wantErr: `LISTEN_PID="me": want a process id`,
		wantFDs: map[int]string{3: "inherit"},
	},
	{
		name:    "malformed LISTEN_FDS",
		give:    []giver{giveListening},
		env:     []string{self, "LISTEN_FDS=0"},
		wantErr: `LISTEN_FDS="0": want a positive count`,
		wantFDs: map[int]string{3: "inherit"},
	},
}

func TestFromEnvironment(t *testing.T) {
	for _, tt := range fromEnvironmentTests {
		t.Run(tt.name, func(t *testing.T) {
			var files []*os.File
			for _, give := range tt.give {
				files = append(files, give(t))
			}
			got := runHelper(t, files, tt.env...)
			if got.Err != tt.wantErr {
				t.Errorf("error %q, want %q", got.Err, tt.wantErr)
			}
			var names []string
			for _, s := range got.Sockets {
				names = append(names, s.Name)
			}
			if !reflect.DeepEqual(names, tt.wantNames) {
				t.Errorf("names %q, want %q", names, tt.wantNames)
			}
			var stored []string
			for _, s := range got.Stored {
				stored = append(stored, s.Name)
			}
			if !reflect.DeepEqual(stored, tt.wantStored) || !reflect.DeepEqual(got.Reject, tt.wantReject) {
				t.Errorf("stored %q, rejected %q; want %q, %q", stored, got.Reject, tt.wantStored, tt.wantReject)
			}
			if !reflect.DeepEqual(got.FDs, tt.wantFDs) {
				t.Errorf("fds %v, want %v", got.FDs, tt.wantFDs)
			}
			if got.Env != nil {
				t.Errorf("environment still has %v", got.Env)
			}
		})
	}
}

func TestStripEnv(t *testing.T) {
	give := []string{"PATH=/bin", "LISTEN_FDS=2", "LISTEN_PID=1", "LISTEN_FDNAMES=a:b",
		"NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=1", "WATCHDOG_PID=1",
		"LISTEN_FDS_X=kept", "HOME=/root", "INVOCATION_ID=abc"}
	want := []string{"PATH=/bin", "LISTEN_FDS_X=kept", "HOME=/root", "INVOCATION_ID=abc"}
	if got := StripEnv(give); !reflect.DeepEqual(got, want) {
		t.Errorf("StripEnv = %q, want %q", got, want)
	}
	if got := StripEnv(nil); len(got) != 0 || strings.Join(got, "") != "" {
		t.Errorf("StripEnv(nil) = %q", got)
	}
}
