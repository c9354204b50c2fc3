package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// rawLoad is clients that keep one connection alive each and never retry,
// as load generators such as autocannon do: a request that fails on a
// reused connection (the server closed it, or died, as the request went
// out) counts as failed. net/http's client retries such a GET on a new
// connection, and so hides what a drain without Connection: close costs.
// A connection is only replaced after an answer with Connection: close, or
// after a failure.
type rawLoad struct {
	stopped chan struct{}
	done    sync.WaitGroup
	results []*rawResult // one per client; read once done
}

type rawResult struct {
	requests, failures, closes int
	errs                       []string
}

func startRawLoad(t *testing.T, addr string, clients int) *rawLoad {
	t.Helper()
	l := &rawLoad{stopped: make(chan struct{})}
	deadline := time.Now().Add(loadDeadline)
	for range clients {
		r := &rawResult{}
		l.results = append(l.results, r)
		l.done.Add(1)
		go func() { defer l.done.Done(); r.run(addr, l.stopped, deadline) }()
	}
	t.Cleanup(l.halt)
	return l
}

func (r *rawResult) run(addr string, stopped <-chan struct{}, deadline time.Time) {
	var conn net.Conn
	var br *bufio.Reader
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for r.requests < loadMaxRequests && time.Now().Before(deadline) {
		select {
		case <-stopped:
			return
		default:
		}
		r.requests++
		if conn == nil {
			c, err := net.DialTimeout("tcp", addr, loadRequestTimeout)
			if err != nil {
				r.fail(err)
				continue
			}
			conn, br = c, bufio.NewReader(c)
		}
		closed, err := rawGet(conn, br)
		if err != nil {
			r.fail(err)
		}
		if closed || err != nil {
			r.closes++
			conn.Close()
			conn = nil
		}
	}
}

// rawGet asks GET / on conn and reads the answer; closed says the server
// answered with Connection: close.
func rawGet(conn net.Conn, br *bufio.Reader) (closed bool, err error) {
	conn.SetDeadline(time.Now().Add(loadRequestTimeout))
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: poold-e2e\r\n\r\n"); err != nil {
		return false, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.Close, fmt.Errorf("GET /: %s", resp.Status)
	}
	return resp.Close, nil
}

func (r *rawResult) fail(err error) {
	r.failures++
	if len(r.errs) < loadErrsKept {
		r.errs = append(r.errs, err.Error())
	}
}

func (l *rawLoad) halt() {
	select {
	case <-l.stopped:
	default:
		close(l.stopped)
	}
	l.done.Wait()
}
