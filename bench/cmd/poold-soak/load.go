package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// result is one request's outcome.
type result struct {
	start, end time.Time
	keepAlive  bool
	// connPID is, for a keep-alive client, the worker that answered the
	// connection's previous request: the one a failure was in flight on.
	connPID int
	err     error
}

type load struct {
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	results []result
}

// startLoad runs clients until stop: even ones keep their connection alive,
// odd ones open a new connection per request. No client retries.
func startLoad(addr string, clients int, timeout time.Duration) *load {
	l := &load{done: make(chan struct{})}
	for i := range clients {
		keepAlive := i%2 == 0
		client := &http.Client{Timeout: timeout, Transport: &http.Transport{
			DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 1,
		}}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.run(client, "http://"+addr+"/", keepAlive)
		}()
	}
	return l
}

func (l *load) run(client *http.Client, url string, keepAlive bool) {
	var mine []result
	connPID := 0
	for {
		select {
		case <-l.done:
			l.mu.Lock()
			l.results = append(l.results, mine...)
			l.mu.Unlock()
			return
		default:
		}
		r := result{start: time.Now(), keepAlive: keepAlive, connPID: connPID}
		var pid int
		pid, r.err = get(client, url)
		r.end = time.Now()
		if keepAlive {
			connPID = pid // 0 after a failure: the next request opens a new connection
		}
		mine = append(mine, r)
	}
}

// get asks for url and returns the PID of the worker that answered.
func get(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, &statusError{resp.StatusCode}
	}
	return strconv.Atoi(strings.TrimSpace(string(body)))
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "status " + strconv.Itoa(e.code) }

// stop ends the load and returns every request's outcome.
func (l *load) stop() []result {
	close(l.done)
	l.wg.Wait()
	return l.results
}
