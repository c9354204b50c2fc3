package systemd

import (
	"fmt"
	"strings"
	"testing"
)

// load is a curl loop inside the container, a new connection per request,
// that runs until stopped (or 20000 requests) and counts what failed.
type load struct {
	c    *container
	done chan string
}

const loadScript = `ok=0; fail=0; n=0
rm -f /run/stop-load
while [ ! -e /run/stop-load ] && [ $n -lt 20000 ]; do
  if curl -fsS -m 10 -o /dev/null %s; then ok=$((ok+1)); else fail=$((fail+1)); fi
  n=$((n+1))
done
echo "$ok $fail"`

func startLoad(c *container, url string) *load {
	l := &load{c: c, done: make(chan string, 1)}
	go func() {
		out, err := c.sh(fmt.Sprintf(loadScript, url))
		if err != nil {
			out = "error: " + err.Error() + ": " + out
		}
		l.done <- out
	}()
	return l
}

// stop ends the loop and returns the answered and failed requests.
func (l *load) stop(t *testing.T) (ok, failed int) {
	t.Helper()
	l.c.must("touch", "/run/stop-load")
	out := <-l.done
	if _, err := fmt.Sscan(strings.TrimSpace(out), &ok, &failed); err != nil {
		t.Fatalf("load loop: %q", out)
	}
	return ok, failed
}
