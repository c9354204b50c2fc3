package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// guideApp returns node and how to run testdata/guide/server.js, the
// guide's Express worker as written (app.listen($PORT or 3000), no SIGTERM
// handler), with express from examples/express.
func guideApp(t *testing.T) (command []string, env []string) {
	t.Helper()
	node, err := exec.LookPath("node")
	needTool(t, err == nil, "node", "apt-get install nodejs")
	modules, err := filepath.Abs(filepath.Join("..", "..", "examples", "express", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(filepath.Join(modules, "express", "package.json"))
	needTool(t, err == nil, "examples/express/node_modules", "npm ci --prefix examples/express")
	app, err := filepath.Abs(filepath.Join("testdata", "guide", "server.js"))
	if err != nil {
		t.Fatal(err)
	}
	return []string{node, app}, []string{"NODE_PATH=" + modules}
}

// The guide's app, unmodified, under poold: every worker serves the pool's
// socket although the app asks for port 3000; three rolling reloads and a
// scale down, under keep-alive and new-connection load, fail no request,
// not even on kept-alive connections of clients that never retry, and every
// worker stopped exits 0 after the preload's drain.
func TestUnmodifiedNodeAppReloadsAndScalesDownDroppingNothing(t *testing.T) {
	t.Parallel()
	const (
		workers = 3
		reloads = 3
		last    = 1 + reloads
	)
	command, env := guideApp(t)
	name := uniqueName(t)
	p := start(t, spec{args: []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", itoa(workers)}, command: command, env: env})
	addr := p.addr()
	url := "http://" + addr + "/"
	p.waitReady()
	p.waitSeen(`INF node preload in NODE_OPTIONS .*\bpath=\S+/node_modules/poold/preload\.js drain=true\b`, bound)
	_, port, _ := net.SplitHostPort(addr)
	p.waitSeen(`poold node preload \(pid \d+\): listen\(3000\) serves poold's socket "listen" \(fd 3, 127\.0\.0\.1 port `+port+`\) instead`, bound)
	answersFrom(t, url, workers)
	if a, err := get(url + "health"); err != nil || a.PID == 0 {
		t.Errorf("GET /health: %+v, %v", a, err)
	}

	for gen := 2; gen <= last; gen++ {
		underLoad(t, addr, fmt.Sprintf("reload %d", gen-1), func() {
			p.signal(syscall.SIGHUP)
			p.waitReloaded(gen, workers)
			// The old workers drain after "reload complete": under load too.
			for pid, g := range startedWorkers(p.logs.all()) {
				if g == gen-1 {
					p.waitSeen(`INF worker exited .*\bpid=`+itoa(pid)+`\b.*\bstatus="exit code 0"`, bound)
				}
			}
		})
	}
	checkReplacedOnlyWhenReady(t, p.logs.all(), workers, 2, last)
	started := startedWorkers(p.logs.all())
	for pid := range answersFrom(t, url, workers) {
		if started[pid] != last {
			t.Errorf("worker %d of generation %d answered after the last reload; want generation %d only", pid, started[pid], last)
		}
	}

	underLoad(t, addr, "scale down from 3 workers to 1", func() {
		mustPoolctl(t, nil, "scale", name, "1")
		for slot := 1; slot < workers; slot++ {
			p.waitSeen(`INF worker exited .*\bslot=`+itoa(slot)+` .*\bstatus="exit code 0" reason="slot above the target count"`, bound)
		}
	})
}

// With --node-preload off the same app binds the port it asks for itself:
// one worker serves it, outside the pool, the others fail with EADDRINUSE,
// and nobody accepts on the pool's socket, so the pool never gets ready.
func TestUnmodifiedNodeAppWithoutPreloadBindsItsOwnPort(t *testing.T) {
	t.Parallel()
	command, env := guideApp(t)
	own := itoa(freePort(t))
	p := start(t, spec{
		args:    []string{"--listen", "127.0.0.1:0", "--workers", "3", "--node-preload", "off"},
		command: command,
		env:     append(env, "PORT="+own),
	})
	url := "http://" + p.addr() + "/"
	p.waitSeen(`Error: listen EADDRINUSE: address already in use \S*:`+regexp.QuoteMeta(own)+`\b`, bound)
	// The worker that won the port may be between bind(2), which made the
	// others fail, and listen(2): ask until it answers.
	var a answer
	var err error
	for deadline := time.Now().Add(bound); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if a, err = get("http://127.0.0.1:" + own + "/"); err == nil && a.PID != 0 {
			break
		}
	}
	if err != nil || a.PID == 0 {
		t.Errorf("GET on the app's own port %s: %+v, %v; want an answer from the worker that bound it", own, a, err)
	}
	c := &http.Client{Timeout: time.Second}
	if a, err = getWith(c, url); err == nil {
		t.Errorf("GET on the pool's socket answered %+v; want no answer, as no worker accepts there", a)
	}
	if p.sawLog(`INF pool ready |INF worker ready |INF node preload|poold node preload`) {
		t.Error("with --node-preload off a worker got ready on the pool's socket, or the preload was loaded")
	}
}
