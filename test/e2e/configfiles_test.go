package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// badFile is a path poold must refuse to read, and how it says what it is.
type badFile struct {
	name, path, is string
}

// badFiles are files that once made poold run out of memory (/dev/zero)
// or hang for ever (a FIFO), and others that are not a config file.
func badFiles(t *testing.T) []badFile {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.json")
	writeFile(t, big, `{"pad": "`+strings.Repeat("x", 1<<20)+`"}`)
	return []badFile{
		{"fifo", fifo, "is a FIFO, not a regular file"},
		{"dev-zero", "/dev/zero", "is a character device, not a regular file"},
		{"symlink-to-dev-zero", zero, "is a character device, not a regular file"},
		{"directory", dir, "is a directory, not a regular file"},
		{"over-1MiB", big, "is 1048587 bytes, above the limit of 1048576 (1 MiB)"},
	}
}

// poold started with a --config, --env-file or --worker-config it must not read exits
// at once with an error naming the file and what it is, before it binds a
// socket or makes its runtime directory.
func TestBadConfigFileStopsPooldBeforeItBindsAnything(t *testing.T) {
	t.Parallel()
	for _, flag := range []struct {
		name     string
		wantCode int
		wantErr  string
	}{{"--config", 2, "poold: --config: "}, {"--env-file", 2, "poold: --env-file: "},
		{"--worker-config", 1, `poold cannot start err="worker config: `}} {
		for _, f := range badFiles(t) {
			t.Run(flag.name[2:]+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				sock, run := filepath.Join(dir, "app.sock"), filepath.Join(dir, "run")
				if err := os.Mkdir(run, 0o700); err != nil {
					t.Fatal(err)
				}
				p := start(t, spec{
					args:   []string{flag.name, f.path, "--name", "badfile", "--listen", "unix:" + sock, "--bus", "none"},
					helper: "serve",
					env:    []string{"RUNTIME_DIRECTORY=" + run},
				})
				if code := p.wait(bound); code != flag.wantCode {
					t.Errorf("exit code %d, want %d", code, flag.wantCode)
				}
				p.waitSeen(regexp.QuoteMeta(flag.wantErr+f.path+" "+f.is), bound)
				if _, err := os.Lstat(sock); !os.IsNotExist(err) {
					t.Errorf("the socket %s was bound (lstat: %v)", sock, err)
				}
				if left, _ := os.ReadDir(run); len(left) > 0 {
					t.Errorf("the runtime directory holds %v", left)
				}
			})
		}
	}
}

// A running pool whose --worker-config becomes /dev/zero or a FIFO refuses
// to push it, alone or with a reload (poolctl's or SIGHUP's): poolctl exits
// 1 saying why, and the same workers go on serving; SIGTERM still stops
// poold.
func TestBadWorkerConfigIsRefusedAtRunTime(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	dir := t.TempDir()
	good, cfg := filepath.Join(dir, "good.json"), filepath.Join(dir, "cfg.json")
	writeFile(t, good, `{"featureFlag": true}`)
	if err := os.Symlink(good, cfg); err != nil {
		t.Fatal(err)
	}
	p := start(t, spec{
		args:   []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "2", "--worker-config", cfg},
		helper: "serve",
	})
	url := "http://" + p.addr() + "/"
	p.waitReady()
	before := statusOf(t, nil, name).workerPIDs()
	mustPoolctl(t, nil, "reload", name, "--config-only") // through the symlink

	for _, f := range badFiles(t)[:2] { // the FIFO and /dev/zero
		if err := os.Remove(cfg); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(f.path, cfg); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"reload", name, "--config-only"}, {"reload", name}} {
			r := poolctl(t, "", nil, args...)
			if want := "worker config: " + cfg + " " + f.is; r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("poolctl %s with %s: %v; want exit 1 and %q", strings.Join(args, " "), f.name, r, want)
			}
		}
		p.signal(syscall.SIGHUP) // systemctl reload
		p.waitLog(`ERR reload err="worker config: `+regexp.QuoteMeta(cfg+" "+f.is), bound)
	}
	st := statusOf(t, nil, name)
	if after := st.workerPIDs(); st.Pool.Generation != 1 || !maps.Equal(after, before) {
		t.Errorf("after the refused pushes: generation %d, workers %v; want 1 and %v", st.Pool.Generation, after, before)
	}
	for pid := range answersFrom(t, url, len(before)) {
		if !slices.Contains(slices.Collect(maps.Values(before)), pid) {
			t.Errorf("worker %d answered; want one of %v", pid, before)
		}
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(bound); code != 0 {
		t.Errorf("poold exited %d after SIGTERM, want 0", code)
	}
}
