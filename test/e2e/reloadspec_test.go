package e2e

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// specPool is a pool whose configuration lives in a config file and an
// env file, as under systemd: a reload reads both again.
type specPool struct {
	t                *testing.T
	name, conf, env  string
	p                *pool
	url              string
	workers, version int // what the files say now
	helper           string
	readyTimeout     string
	extra            []string // more lines of the config file
}

// startSpecPool starts workers of the serve helper (chosen in the env
// file) with APP_VERSION=1 and the argument v1.
func startSpecPool(t *testing.T, workers int) *specPool {
	t.Helper()
	dir := t.TempDir()
	s := &specPool{t: t, name: uniqueName(t), conf: filepath.Join(dir, "pool.conf"), env: filepath.Join(dir, "pool.env"),
		workers: workers, version: 1, helper: "serve", readyTimeout: "10s"}
	s.write()
	s.p = start(t, spec{args: []string{"--name", s.name, "--config", s.conf, "--env-file", "-" + s.env, "--bus", "private"}})
	s.url = "http://" + s.p.addr() + "/"
	s.p.waitReady()
	return s
}

// write writes the config file and the env file as s says.
func (s *specPool) write() {
	s.t.Helper()
	conf := []string{"listen = 127.0.0.1:0", "workers = " + itoa(s.workers), "ready-timeout = " + s.readyTimeout,
		fmt.Sprintf("command = %s v%d", self, s.version)}
	writeFile(s.t, s.conf, strings.Join(append(conf, s.extra...), "\n")+"\n")
	writeFile(s.t, s.env, fmt.Sprintf("# the workers' environment\n%s=%s\nAPP_VERSION=%d\n", helperEnv, s.helper, s.version))
}

func (s *specPool) reload() ctlResult { return poolctl(s.t, "", nil, "reload", s.name) }

// check asks every worker, and fails unless each runs version v in
// generation gen.
func (s *specPool) check(n, v, gen int) map[int]answer {
	s.t.Helper()
	got := answersFrom(s.t, s.url, n)
	for pid, a := range got {
		if a.AppVersion != itoa(v) || !slices.Equal(a.Args, []string{fmt.Sprintf("v%d", v)}) || a.Generation != itoa(gen) {
			s.t.Errorf("worker %d: APP_VERSION=%q args %q generation %q; want %d, [v%d], %d", pid, a.AppVersion, a.Args, a.Generation, v, v, gen)
		}
	}
	return got
}

// A reload after a change of the command and the env file rolls every
// worker to the new ones, and status says what changed, without values.
func TestReloadRollsANewCommandAndEnvironment(t *testing.T) {
	t.Parallel()
	s := startSpecPool(t, 2)
	old := s.check(2, 1, 1)
	s.version = 2
	s.write()
	if r := s.reload(); r.code != 0 {
		t.Fatalf("poolctl reload: %v", r)
	}
	for pid := range s.check(2, 2, 2) {
		if _, ok := old[pid]; ok {
			t.Errorf("worker %d of generation 1 still answers", pid)
		}
	}
	st := statusOf(t, nil, s.name)
	if st.Pool.Generation != 2 {
		t.Errorf("status generation %d, want 2", st.Pool.Generation)
	}
	g := st.Pool.Generations[len(st.Pool.Generations)-1]
	if g.Generation != 2 || g.From != 1 || !slices.Equal(g.CommandTo, []string{self, "v2"}) ||
		!slices.Equal(g.EnvChanged, []string{"APP_VERSION"}) || len(g.EnvAdded) != 0 {
		t.Errorf("generation 2 in status: %+v; want from 1, command to v2, env ~APP_VERSION", g)
	}
	text := mustPoolctl(t, nil, "status", s.name)
	if !strings.Contains(text, "env ~APP_VERSION") || strings.Contains(text, "APP_VERSION=") {
		t.Errorf("poolctl status does not show the changed key, or shows its value:\n%s", text)
	}
	// The replaced workers may still be draining: they are listed as
	// stopping until they exit.
	for _, w := range st.Workers {
		if w.Generation != 2 && w.State != "stopping" {
			t.Errorf("worker %+v, want generation 2 or stopping", w)
		}
	}
}

// A reload the configuration cannot make (a bad file, a setting that needs
// a restart) fails, saying why, and changes nothing: the same workers
// serve on.
func TestBadReloadChangesNothing(t *testing.T) {
	t.Parallel()
	s := startSpecPool(t, 2)
	before := statusOf(t, nil, s.name).workerPIDs()
	tests := []struct {
		name  string
		extra []string
		env   string  // replaces the env file when set
		zero  *string // the file made a symbolic link to /dev/zero
		want  string
	}{
		{"bad env file line", nil, "APP_VERSION=2\nthis is not an assignment\n", nil, s.env + `:2: want KEY=VALUE, found "this is not an assignment"`},
		{"bad env file key", nil, "APP-VERSION=2\n", nil, s.env + `:1: "APP-VERSION" is not a valid variable name`},
		{"env file is /dev/zero", nil, "", &s.env, s.env + " is a character device, not a regular file"},
		{"config is /dev/zero", nil, "", &s.conf, "--config: " + s.conf + " is a character device, not a regular file"},
		{"unknown key", []string{"stop-timout = 5s"}, "", nil, s.conf + `:5: unknown key "stop-timout": did you mean stop-timeout?`},
		{"listen", []string{"listen = 127.0.0.1:1"}, "", nil, "listen changed from listen=127.0.0.1:0 to listen=127.0.0.1:0 listen=127.0.0.1:1"},
		{"distribution", []string{"distribution = balanced"}, "", nil, "distribution changed from shared to balanced; it needs a restart of poold"},
	}
	for _, tt := range tests {
		s.version, s.extra = 2, tt.extra
		os.Remove(s.env) // files, not links to /dev/zero, for write
		os.Remove(s.conf)
		s.write()
		if tt.env != "" {
			writeFile(t, s.env, tt.env)
		}
		if tt.zero != nil {
			if err := os.Remove(*tt.zero); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/dev/zero", *tt.zero); err != nil {
				t.Fatal(err)
			}
		}
		r := s.reload()
		if r.code != 1 || !strings.Contains(r.stderr, "reload refused, nothing changed") || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: poolctl reload: %v; want exit 1 saying %q", tt.name, r, tt.want)
		}
		st := statusOf(t, nil, s.name)
		if got := st.workerPIDs(); !maps.Equal(got, before) || st.Pool.Generation != 1 {
			t.Errorf("%s: workers %v of generation %d after the refused reload, want %v of 1", tt.name, got, st.Pool.Generation, before)
		}
	}
	s.version, s.extra = 1, nil
	os.Remove(s.env)
	os.Remove(s.conf)
	s.write() // as the pool runs: the reload succeeds
	if r := s.reload(); r.code != 0 {
		t.Fatalf("poolctl reload of the files the pool started with: %v", r)
	}
	s.check(2, 1, 2)
}

// A reload whose new workers cannot start in slot 1 (they exit, or are
// never ready) rolls the slots it replaced back: every worker runs the old
// command and environment again.
func TestFailedReloadRollsBack(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, helper, why string }{
		{"exit", "serve-slot0", "new worker exit code 3 before it was ready"},
		{"never-ready", "serve-slot0-else-hang", "not ready after 2s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startSpecPool(t, 2)
			s.version, s.helper, s.readyTimeout = 2, tt.helper, "2s"
			s.write()
			r := s.reload()
			if r.code != 1 || !strings.Contains(r.stderr, "stopped at slot 1: "+tt.why) ||
				!strings.Contains(r.stderr, "rolled back: every worker runs generation 1 again") {
				t.Errorf("poolctl reload: %v; want exit 1, stopped at slot 1 (%s), rolled back", r, tt.why)
			}
			s.p.waitLog(`INF rollback complete .*\bgeneration=1\b`, bound)
			s.check(2, 1, 1)
			for _, w := range statusOf(t, nil, s.name).Workers {
				if w.Generation != 1 && w.State != "stopping" {
					t.Errorf("worker %+v after the rollback, want generation 1", w)
				}
			}
		})
	}
}

// A changed workers = is a scale, after the workers were rolled; a changed
// restart delay applies without a restart.
func TestReloadScalesToANewWorkerCount(t *testing.T) {
	t.Parallel()
	s := startSpecPool(t, 2)
	s.workers, s.version, s.extra = 3, 2, []string{"restart-delay = 1s"}
	s.write()
	if r := s.reload(); r.code != 0 {
		t.Fatalf("poolctl reload: %v", r)
	}
	s.p.waitLog(`INF options changed .*\brestart_delay=1s\b`, bound)
	s.p.waitLog(`INF reload scaled the pool .*\bworkers=3\b`, bound)
	st := statusOf(t, nil, s.name)
	if st.Pool.TargetWorkers != 3 {
		t.Errorf("target %d after the reload, want 3", st.Pool.TargetWorkers)
	}
	// The count is the configuration's again, not one poolctl scale set.
	if want := "3 workers from " + s.conf; st.Pool.WorkersReason != want {
		t.Errorf("workers reason %q after the reload, want %q", st.Pool.WorkersReason, want)
	}
	s.check(3, 2, 2)
}
