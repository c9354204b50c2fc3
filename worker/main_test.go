package worker

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

// bound ends a wait for an event that comes within milliseconds.
var bound = testbound.Scale(10 * time.Second)

// helperEnv makes the test binary a worker (serve_test.go).
const helperEnv = "WORKER_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper())
	}
	// The in-process tests must not talk to a service manager the test
	// runs under, nor take its sockets.
	for _, key := range []string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "POOLD_STOP_TIMEOUT_MS"} {
		os.Unsetenv(key)
	}
	os.Exit(m.Run())
}

// client is one kept-alive connection that sends GETs and never retries.
type client struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, bound)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, br: bufio.NewReader(conn)}
}

// get sends GET path and reads the answer.
func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	c.conn.SetDeadline(time.Now().Add(bound))
	if _, err := fmt.Fprintf(c.conn, "GET %s HTTP/1.1\r\nHost: worker-test\r\n\r\n", path); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatalf("GET %s: no answer: %v", path, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	return resp, string(body)
}

// waitClosed waits until the server has closed the connection.
func (c *client) waitClosed() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(bound))
	if n, err := c.br.Read(make([]byte, 1)); err != io.EOF {
		c.t.Fatalf("read %d bytes, %v; want the connection closed (EOF) within %v", n, err, bound)
	}
}
