package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"
)

// client opens a new connection per request, so that each request is a new
// accept(2) on the pool's socket, which any worker may win.
var client = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true},
	Timeout:   bound,
}

// get asks the worker that accepts the connection who it is.
func get(url string) (answer, error) { return getWith(client, url) }

// getWith is get through the given client.
func getWith(c *http.Client, url string) (answer, error) {
	resp, err := c.Get(url)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return answer{}, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return answer{}, fmt.Errorf("GET %s: %v: %s", url, err, body)
	}
	return a, nil
}

// askUntil is when a test that wants every worker to answer stops asking.
// The kernel hands each new connection to one of the workers waiting on the
// shared socket with no promise of turns: on a busy machine the worker that
// answered last can win hundreds in a row. So the requests go on for a
// time, bound, not for a count.
func askUntil() time.Time { return time.Now().Add(bound) }

// answersFrom makes requests until n distinct worker PIDs have answered, and
// returns an answer of each.
func answersFrom(t *testing.T, url string, n int) map[int]answer {
	t.Helper()
	seen := map[int]answer{}
	i := 0
	for until := askUntil(); time.Now().Before(until) && len(seen) < n; i++ {
		a, err := get(url)
		if err != nil {
			t.Fatal(err)
		}
		seen[a.PID] = a
	}
	if len(seen) < n {
		t.Fatalf("%d requests in %v answered by %d distinct workers %v, want %d", i, bound, len(seen), keys(seen), n)
	}
	return seen
}

// answerFrom makes requests until the worker with the given PID answers.
func answerFrom(t *testing.T, url string, pid int) answer {
	t.Helper()
	var seen []int
	for until := askUntil(); time.Now().Before(until); {
		a, err := get(url)
		if err != nil {
			t.Fatal(err)
		}
		if a.PID == pid {
			return a
		}
		seen = append(seen, a.PID)
	}
	t.Fatalf("worker %d did not answer %d requests in %v (answered by %v)", pid, len(seen), bound, unique(seen))
	return answer{}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago, for
// tools that cannot bind port 0 and say which they got.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// needTool skips the test when a tool is missing, or fails it under CI
// (CI=true), whose set-up installs every tool the suite uses.
func needTool(t *testing.T, ok bool, what, install string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing; CI must install it: %s", what, install)
	}
	t.Skipf("%s is missing; to run this test: %s", what, install)
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func keys(m map[int]answer) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}

func unique(pids []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, p := range pids {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
