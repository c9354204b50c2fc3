package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The guide's complete example (examples/express) with its sessions in a
// real Redis, under poold with 3 workers: a login made on one worker is
// seen by every worker, and by the new workers of a rolling reload and of a
// SIGKILLed worker's replacement. With Redis stopped, the session routes
// answer 503 at once, naming Redis, /health says Redis is down, and the
// pool stays up; with Redis back (on the same port and data directory), the
// same session is served again without restarting anything.
func TestExpressRedisSessionsSurviveReloadKillAndOutage(t *testing.T) {
	t.Parallel()
	const workers = 3
	node, dir := expressExample(t)
	rs := startRedis(t, freePort(t), t.TempDir())
	p := start(t, spec{
		args:    []string{"--name", uniqueName(t), "--listen", "127.0.0.1:0", "--workers", itoa(workers)},
		command: []string{node, "server.js"},
		dir:     dir,
		env:     []string{"REDIS_URL=redis://127.0.0.1:" + itoa(rs.port), "SESSION_SECRET=e2e-secret", "NODE_ENV=test"},
	})
	base := "http://" + p.addr()
	p.waitReady()
	// The app calls app.listen(PORT): the preload gives it the pool's socket
	// (and says so once per pool).
	p.waitSeen(`poold node preload \(pid \d+\): listen\(\d+\) serves poold's socket`, bound)
	current := map[int]bool{}
	for pid := range startedWorkers(p.logs.all()) {
		current[pid] = true
	}
	if len(current) != workers {
		t.Fatalf("workers started: %v, want %d", keysOf(current), workers)
	}

	c := newSessionClient(t, nil)
	login := c.post(base + "/login")
	if login.status != http.StatusOK || login.UserID == "" || login.LoginTime == 0 || !current[login.PID] || login.SessionStore != "redis" {
		t.Fatalf("POST /login: %s; want 200 from one of the workers %v, with a user, a login time and the redis store", login, keysOf(current))
	}
	t.Logf("logged in as %s on worker %d (slot %s)", login.UserID, login.PID, login.Slot)
	want := func(a sessionAnswer) error {
		if a.status != http.StatusOK || a.UserID != login.UserID || a.LoginTime != login.LoginTime || a.LoginPID != login.PID || a.SessionStore != "redis" {
			return fmt.Errorf("want 200 with the session of %s logged in on %d at %d", login.UserID, login.PID, login.LoginTime)
		}
		return nil
	}
	c.sessionFromEvery(base+"/session", current, "every worker", want)
	if a := newSessionClient(t, nil).get(base + "/session"); a.status != http.StatusUnauthorized || a.ServedBy.PID == 0 {
		t.Errorf("GET /session without the cookie: %s; want 401 JSON saying who answered", a)
	}

	// A rolling reload: every worker replaced, the session is still there.
	p.signal(syscall.SIGHUP)
	p.waitReloaded(2, workers)
	current = map[int]bool{}
	for pid, gen := range startedWorkers(p.logs.all()) {
		if gen == 1 { // the old workers drain after "reload complete", and exit 0
			p.waitSeen(`INF worker exited .*\bpid=`+itoa(pid)+`\b.*\bstatus="exit code 0"`, bound)
		} else {
			current[pid] = true
		}
	}
	if len(current) != workers {
		t.Fatalf("workers of generation 2: %v, want %d", keysOf(current), workers)
	}
	c.sessionFromEvery(base+"/session", current, "the workers of the reload", want)

	// A worker SIGKILLed: its replacement serves the session too.
	victim := c.get(base + "/session").ServedBy
	if !current[victim.PID] {
		t.Fatalf("GET /session answered by %d, not one of %v", victim.PID, keysOf(current))
	}
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	slotPID := `\bslot=` + victim.Slot + ` pid=`
	p.waitLog(`WRN worker exited unexpectedly .*`+slotPID+itoa(victim.PID)+`\b.*\bstatus="killed by signal 9`, bound)
	_, m := p.waitLog(`INF worker started .*`+slotPID+`(\d+)\b`, bound)
	p.waitLog(`INF worker ready .*`+slotPID+m[1]+`\b`, bound)
	delete(current, victim.PID)
	current[atoi(t, m[1])] = true
	c.sessionFromEvery(base+"/session", current, "the workers after a SIGKILL", want)

	// Redis goes down: the session routes fail at once with a 503 naming
	// Redis (not a 401: the session is not lost, only out of reach), /health
	// says so, and the pool stays up.
	before := len(p.logs.all())
	rs.kill()
	fast := newSessionClient(t, c.jar) // a request hanging on Redis fails the test
	fast.http.Timeout = loadRequestTimeout
	fast.sessionFromEvery(base+"/session", current, "every worker with Redis down", func(a sessionAnswer) error {
		if a.status != http.StatusServiceUnavailable || !strings.Contains(a.Error, "Redis") {
			return fmt.Errorf("want 503 with an error naming Redis")
		}
		return nil
	})
	if a := fast.post(base + "/login"); a.status != http.StatusServiceUnavailable || !strings.Contains(a.Error, "Redis") {
		t.Errorf("POST /login with Redis down: %s; want 503 naming Redis", a)
	}
	healthFromEvery(t, base+"/health", current, "down", "degraded")
	if seen := answersFrom(t, base+"/", workers); !sameKeys(seen, current) {
		t.Errorf("GET / with Redis down answered by %v, want the workers %v", keys(seen), keysOf(current))
	}
	for _, l := range p.logs.all()[before:] {
		if workerExited.MatchString(l.text) || workerStarted.MatchString(l.text) {
			t.Errorf("a worker exited or started while Redis was down: %s", l.text)
		}
	}
	if !p.running() {
		t.Fatalf("poold exited (%v) while Redis was down", p.cmd.ProcessState)
	}

	// Redis is back with its data: every worker reconnects by itself and
	// serves the same session.
	rs.restart()
	recovering := 0
	c.sessionFromEvery(base+"/session", current, "every worker with Redis back", func(a sessionAnswer) error {
		if a.status == http.StatusServiceUnavailable && strings.Contains(a.Error, "Redis") {
			recovering++
			return errRetry // not reconnected yet
		}
		return want(a)
	})
	t.Logf("503s while the workers reconnected: %d", recovering)
	healthFromEvery(t, base+"/health", current, "up", "ok")

	// The workers stop gracefully, closing their Redis connections.
	p.signal(syscall.SIGTERM)
	for pid := range current {
		p.waitSeen(`INF worker exited .*\bpid=`+itoa(pid)+`\b.*\bstatus="exit code 0"`, bound)
	}
	if code := p.wait(bound); code != 0 {
		t.Errorf("poold exited %d, want 0", code)
	}
}

// With no Redis configured and none on 127.0.0.1:6379, every worker falls
// back to express-session's MemoryStore and says so loudly on stderr; the
// sessions work, but in one worker only.
func TestExpressMemoryFallbackWarnsLoudly(t *testing.T) {
	t.Parallel()
	const workers = 2
	node, dir := expressExample(t)
	// In a network namespace of its own, nothing listens on 127.0.0.1:6379
	// whatever runs on this machine; the test reaches the pool through a unix
	// socket, which the namespace does not hide.
	var wrap []string
	if _, err := exec.LookPath("unshare"); err == nil && os.Geteuid() == 0 {
		wrap = []string{"unshare", "--net", "--"}
	} else if conn, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second); err == nil {
		conn.Close()
		t.Skip("a Redis (or something else) listens on 127.0.0.1:6379, and without root no network namespace can hide it")
	}
	sock := filepath.Join(t.TempDir(), "http.sock")
	p := start(t, spec{
		args:    []string{"--bus", "none", "--listen", "unix:" + sock, "--workers", itoa(workers)},
		command: []string{node, "server.js"},
		dir:     dir,
		env:     []string{"REDIS_URL=", "REDIS_HOST=", "REDIS_PORT=", "NODE_ENV=test"}, // empty is unset
		wrap:    wrap,
	})
	p.waitReady()
	pids := map[int]bool{}
	for pid := range startedWorkers(p.logs.all()) {
		pids[pid] = true
		w := `\[WORKER ` + itoa(pid) + ` slot \d+\] WARNING: `
		p.waitSeen(w+`no Redis at 127\.0\.0\.1:6379 \(.+\), and REDIS_URL, REDIS_HOST and REDIS_PORT are unset`, bound)
		p.waitSeen(w+`sessions use express-session's MemoryStore, IN THIS WORKER ONLY`, bound)
		p.waitSeen(w+`.*LOST when this worker exits`, bound)
	}
	if len(pids) != workers {
		t.Fatalf("workers started: %v, want %d", keysOf(pids), workers)
	}
	if p.sawLog(`connected to Redis`) {
		t.Error("a worker connected to a Redis that should not be reachable")
	}

	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}
	c := newSessionClient(t, nil)
	c.http.Transport = &http.Transport{DisableKeepAlives: true, DialContext: dial}
	const base = "http://localhost"
	login := c.post(base + "/login")
	if login.status != http.StatusOK || login.SessionStore != "memory" || !pids[login.PID] {
		t.Fatalf("POST /login: %s; want 200 from a worker of %v, on the memory store", login, keysOf(pids))
	}
	// The worker that logged the client in knows the session; the other
	// does not: the per-worker sessions the warning is about.
	c.sessionFromEvery(base+"/session", pids, "both workers", func(a sessionAnswer) error {
		if a.ServedBy.PID == login.PID {
			if a.status != http.StatusOK || a.UserID != login.UserID || a.SessionStore != "memory" {
				return fmt.Errorf("want 200 with the session of %s from the worker that logged in", login.UserID)
			}
			return nil
		}
		if a.status != http.StatusUnauthorized {
			return fmt.Errorf("want 401 from a worker other than %d, which logged in: sessions are per worker", login.PID)
		}
		return nil
	})
	h := c.get(base + "/health")
	if h.status != http.StatusOK || h.Sessions != "memory" || h.Redis != "not used" || h.Status != "ok" {
		t.Errorf("GET /health: %+v; want sessions memory, redis not used, status ok", h)
	}
}

// expressExample returns node and examples/express, with its npm packages.
func expressExample(t *testing.T) (node, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	needTool(t, err == nil, "node", "apt-get install nodejs")
	dir, err = filepath.Abs(filepath.Join("..", "..", "examples", "express"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"express", "express-session", "connect-redis", "ioredis"} {
		_, err = os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json"))
		needTool(t, err == nil, "examples/express/node_modules/"+pkg, "npm ci --prefix examples/express")
	}
	return node, dir
}

var (
	workerExited = regexp.MustCompile(`INF worker exited |WRN worker exited `)
	// errRetry, from a check of sessionFromEvery, ignores the answer.
	errRetry = errors.New("not yet")
	// sessionTransport opens a new connection per request.
	sessionTransport = &http.Transport{DisableKeepAlives: true}
)

// sessionAnswer is what /login and /session answer, and /health's fields.
type sessionAnswer struct {
	status       int
	body         string
	UserID       string `json:"userId"`
	LoginTime    int64  `json:"loginTime"`
	LoginPID     int    `json:"loginPid"`
	PID          int    `json:"pid"`
	Slot         string `json:"slot"`
	SessionStore string `json:"sessionStore"`
	ServedBy     struct {
		PID  int    `json:"pid"`
		Slot string `json:"slot"`
	} `json:"servedBy"`
	Error    string `json:"error"`
	Redis    string `json:"redis"`
	Status   string `json:"status"`
	Sessions string `json:"sessions"`
}

func (a sessionAnswer) String() string {
	return fmt.Sprintf("%d %s", a.status, strings.TrimSpace(a.body))
}

// worker is the PID of the worker that answered.
func (a sessionAnswer) worker() int {
	if a.ServedBy.PID != 0 {
		return a.ServedBy.PID
	}
	return a.PID
}

// sessionHTTP is a client with a cookie jar that opens a new connection per
// request, so that the kernel hands each to any worker.
type sessionHTTP struct {
	t    *testing.T
	jar  http.CookieJar
	http *http.Client
}

// newSessionClient returns a client with the given cookie jar, or a new one.
func newSessionClient(t *testing.T, jar http.CookieJar) *sessionHTTP {
	if jar == nil {
		var err error
		if jar, err = cookiejar.New(nil); err != nil {
			t.Fatal(err)
		}
	}
	return &sessionHTTP{t: t, jar: jar, http: &http.Client{Transport: sessionTransport, Jar: jar, Timeout: bound}}
}

func (c *sessionHTTP) do(method, url string) sessionAnswer {
	c.t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	a := sessionAnswer{status: resp.StatusCode, body: string(body)}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		c.t.Fatalf("%s %s: %s, Content-Type %q; want JSON", method, url, a, resp.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(body, &a); err != nil {
		c.t.Fatalf("%s %s: %v: %s", method, url, err, body)
	}
	if a.worker() == 0 {
		c.t.Fatalf("%s %s: %s; want an answer that says which worker answered", method, url, a)
	}
	return a
}

func (c *sessionHTTP) get(url string) sessionAnswer  { c.t.Helper(); return c.do("GET", url) }
func (c *sessionHTTP) post(url string) sessionAnswer { c.t.Helper(); return c.do("POST", url) }

// sessionFromEvery asks url on new connections until every worker of pids
// has given an answer check accepts; check may return errRetry for an
// answer to ignore. An answer from another worker, or one check rejects,
// fails the test.
func (c *sessionHTTP) sessionFromEvery(url string, pids map[int]bool, who string, check func(sessionAnswer) error) {
	c.t.Helper()
	seen := map[int]bool{}
	deadline := time.Now().Add(bound)
	n := 0
	for len(seen) < len(pids) {
		if time.Now().After(deadline) {
			c.t.Fatalf("GET %s from %s: after %d requests in %v only %v answered as wanted, of %v", url, who, n, bound, keysOf(seen), keysOf(pids))
		}
		a := c.get(url)
		n++
		if !pids[a.worker()] {
			c.t.Fatalf("GET %s from %s: answered by worker %d, not one of %v: %s", url, who, a.worker(), keysOf(pids), a)
		}
		switch err := check(a); err {
		case nil:
			seen[a.worker()] = true
		case errRetry:
		default:
			c.t.Fatalf("GET %s from %s: worker %d answered %s: %v", url, who, a.worker(), a, err)
		}
	}
	c.t.Logf("GET %s: %d requests until %s (%d) answered as wanted", url, n, who, len(pids))
}

// healthFromEvery waits until every worker of pids reports Redis as redis
// and its status as status on /health. Before that, a worker may still
// report the state it had: Redis is not watched, its connection is.
func healthFromEvery(t *testing.T, url string, pids map[int]bool, redis, status string) {
	t.Helper()
	c := newSessionClient(t, nil)
	c.http.Timeout = loadRequestTimeout
	c.sessionFromEvery(url, pids, "every worker's health", func(a sessionAnswer) error {
		if a.status != http.StatusOK || a.Sessions != "redis" {
			return fmt.Errorf("want 200 with sessions: redis")
		}
		if a.Redis != redis || a.Status != status {
			return errRetry
		}
		return nil
	})
}

func sameKeys(a map[int]answer, b map[int]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// redisServer is a redis-server of the test's own on a loopback port, with
// an append-only file in dir so that what it stored survives a kill.
type redisServer struct {
	t      *testing.T
	port   int
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	out    bytes.Buffer
}

// startRedis starts redis-server and waits until it answers PING.
func startRedis(t *testing.T, port int, dir string) *redisServer {
	t.Helper()
	_, err := exec.LookPath("redis-server")
	needTool(t, err == nil, "redis-server", "apt-get install redis-server (scripts/deps.sh)")
	r := &redisServer{t: t, port: port, dir: dir}
	r.start()
	t.Cleanup(func() {
		r.kill()
		if t.Failed() {
			r.mu.Lock()
			t.Logf("redis-server output:\n%s", r.out.String())
			r.mu.Unlock()
		}
	})
	return r
}

func (r *redisServer) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Write(b)
}

func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--logfile", "")
	r.cmd.Stdout, r.cmd.Stderr = r, r
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	r.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(r.cmd, r.exited)
	deadline := time.Now().Add(bound)
	for {
		err := r.ping()
		if err == nil {
			return
		}
		select {
		case <-r.exited:
			r.t.Fatalf("redis-server on port %d exited: %v\n%s", r.port, r.cmd.ProcessState, r.output())
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on port %d does not answer PING within %v: %v", r.port, bound, err)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

func (r *redisServer) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// ping sends PING and wants +PONG.
func (r *redisServer) ping() error {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+itoa(r.port), time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// kill SIGKILLs redis-server, as a crash would, and waits for it to exit.
func (r *redisServer) kill() {
	select {
	case <-r.exited:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.exited
}

// restart starts redis-server again on the same port and data directory.
func (r *redisServer) restart() {
	r.t.Helper()
	r.kill()
	r.start()
}
