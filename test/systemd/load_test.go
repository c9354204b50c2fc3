package systemd

import (
	"fmt"
	"strings"
	"testing"
)

// load is a curl loop inside the container, a new connection per request,
// that runs until stopped (or 20000 requests) and counts what failed, and
// among those the connections refused (curl's exit code 7).
type load struct {
	c    *container
	done chan string
}

const loadScript = `ok=0; fail=0; refused=0; n=0
rm -f /run/stop-load
while [ ! -e /run/stop-load ] && [ $n -lt 20000 ]; do
  curl -fsS -m 10 -o /dev/null %s 2>/dev/null
  case $? in
  0) ok=$((ok+1)) ;;
  7) fail=$((fail+1)); refused=$((refused+1)) ;;
  *) fail=$((fail+1)) ;;
  esac
  n=$((n+1))
done
echo "$ok $fail $refused"`

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

// loadResult counts the requests of a load.
type loadResult struct{ ok, failed, refused int }

func (r loadResult) String() string {
	return fmt.Sprintf("%d answered, %d failed (%d connections refused)", r.ok, r.failed, r.refused)
}

// stop ends the loop and returns what it counted.
func (l *load) stop(t *testing.T) loadResult {
	t.Helper()
	l.c.must("touch", "/run/stop-load")
	out := <-l.done
	var r loadResult
	if _, err := fmt.Sscan(strings.TrimSpace(out), &r.ok, &r.failed, &r.refused); err != nil {
		t.Fatalf("load loop: %q", out)
	}
	return r
}
