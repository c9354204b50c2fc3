package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/logging"
)

func init() {
	// flood-notify and flood-channel say READY=1, then on SIGUSR1 flood
	// poold until SIGUSR2: with malformed 4 KiB datagrams on their
	// notify socket, or with bad lines and more broadcasts than allowed
	// on their stream channel. They report how much they sent, and exit
	// on SIGTERM.
	helpers["flood-notify"] = func() int { return flood(notifyFlooder) }
	helpers["flood-channel"] = func() int { return flood(channelFlooder) }
}

// minFlood is how many datagrams or lines a flood sends at least: the 2,000
// malformed 4 KiB datagrams that once took poold 10 s of CPU and 190 MB of
// log.
const minFlood = 2000

// flooder opens what it floods and returns a function that sends one
// datagram or line.
type flooder func() (send func() error, err error)

func notifyFlooder() (func() error, error) {
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: os.Getenv("NOTIFY_SOCKET"), Net: "unixgram"})
	if err != nil {
		return nil, err
	}
	bad := []byte(strings.Repeat("x\n", 2048)) // 4 KiB of lines without '='
	return func() error { _, err := c.Write(bad); return err }, nil
}

func channelFlooder() (func() error, error) {
	fd, err := strconv.Atoi(os.Getenv("POOLD_CHANNEL_FD"))
	if err != nil {
		return nil, fmt.Errorf("POOLD_CHANNEL_FD: %w", err)
	}
	c, err := net.FileConn(os.NewFile(uintptr(fd), "channel"))
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriter(c)
	lines := []string{"not json\n", `{"op":"broadcast","data":1}` + "\n"}
	n := 0
	return func() error {
		n++
		if _, err := w.WriteString(lines[n%2]); err != nil {
			return err
		}
		return w.Flush()
	}, nil
}

func flood(open flooder) int {
	usr := make(chan os.Signal, 2)
	term := make(chan os.Signal, 1)
	signal.Notify(usr, syscall.SIGUSR1, syscall.SIGUSR2)
	signal.Notify(term, syscall.SIGTERM)
	send, err := open()
	if err != nil {
		return helperFailed("flood: %v", err)
	}
	if err := sayReady(false); err != nil {
		return helperFailed("ready: %v", err)
	}
	<-usr // SIGUSR1: start
	sent := 0
	for stop := false; !stop || sent < minFlood; sent++ {
		select {
		case <-usr: // SIGUSR2: stop
			stop = true
		default:
		}
		if err := send(); err != nil {
			return helperFailed("flood: %v after %d", err, sent)
		}
	}
	fmt.Fprintf(os.Stderr, "e2e-helper: flood sent %d pid=%d\n", sent, os.Getpid())
	<-term
	return 0
}

// A worker flooding poold with malformed notify datagrams, or with bad
// lines and broadcasts on its stream channel, gets a few warnings per kind
// and interval and a count of the rest, not a line each; and poolctl
// status answers all the while. The latency of the D-Bus Status call on an
// open connection, and of poolctl status, are logged: a measurement, not a
// pass mark, on a machine that others share.
func TestFloodsAreLoggedInBrief(t *testing.T) {
	for _, tt := range []struct {
		helper string
		kinds  []string // the warnings the flood causes
	}{
		{"flood-notify", []string{"malformed notify message from worker"}},
		{"flood-channel", []string{"worker channel: line dropped", "worker channel: broadcast dropped"}},
	} {
		t.Run(tt.helper, func(t *testing.T) {
			t.Parallel()
			addr := bustest.StartSessionBus(t)
			env := []string{"DBUS_SESSION_BUS_ADDRESS=" + addr}
			name := uniqueName(t)
			p := start(t, spec{args: []string{"--name", name, "--bus", "session", "--listen", "127.0.0.1:0", "--workers", "1"}, helper: tt.helper, env: env})
			_, m := p.waitLog(`INF worker started .*\bpid=(\d+)\b`, bound)
			pid := atoi(t, m[1])
			p.waitReady()
			pool := dialPool(t, addr, name)
			idle, idleCtl := statusLatencies(t, pool, 100), poolctlLatencies(t, env, name, 5)

			began := time.Now()
			kill(t, pid, syscall.SIGUSR1)
			during, duringCtl := statusLatencies(t, pool, 200), poolctlLatencies(t, env, name, 10)
			kill(t, pid, syscall.SIGUSR2)
			p.waitSeen(`e2e-helper: flood sent \d+ `, bound)
			lasted := time.Since(began)
			t.Logf("during a %v flood: D-Bus Status %s (idle %s); poolctl status %s (idle %s)",
				lasted.Round(time.Millisecond), summary(during), summary(idle), summary(duringCtl), summary(idleCtl))

			// Per kind: WarnBurst warnings and one summary per interval
			// the flood touched, the last summary maybe not yet written.
			intervals := int(lasted/logging.WarnEvery) + 2
			for _, kind := range tt.kinds {
				if n := countLines(p, regexp.QuoteMeta(kind)); n < logging.WarnBurst || n > intervals*(logging.WarnBurst+1) {
					t.Errorf("%d lines of %q for a flood of %v, want %d to %d", n, kind, lasted, logging.WarnBurst, intervals*(logging.WarnBurst+1))
				}
			}
		})
	}
}

// dialPool connects to the bus at addr and returns pool name on it.
func dialPool(t *testing.T, addr, name string) *dbusapi.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	bus, err := dbusapi.Dial(ctx, dbusapi.Address{Kind: dbusapi.BusSession, Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return bus.Pool(name)
}

// statusLatencies calls Status n times on one connection, each of which
// must answer, and returns how long each took.
func statusLatencies(t *testing.T, pool *dbusapi.Pool, n int) []time.Duration {
	t.Helper()
	var took []time.Duration
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		began := time.Now()
		_, err := pool.Status(ctx)
		took = append(took, time.Since(began))
		cancel()
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
	}
	return took
}

// poolctlLatencies runs poolctl status n times, each of which must answer,
// and returns how long each took, the start of poolctl included.
func poolctlLatencies(t *testing.T, env []string, name string, n int) []time.Duration {
	t.Helper()
	var took []time.Duration
	for range n {
		began := time.Now()
		if st := statusOf(t, env, name); st.Pool.Name != name {
			t.Fatalf("poolctl status %s answered for %q", name, st.Pool.Name)
		}
		took = append(took, time.Since(began))
	}
	return took
}

func summary(ds []time.Duration) string {
	s := slices.Sorted(slices.Values(ds))
	return fmt.Sprintf("median %v, max %v of %d", s[len(s)/2].Round(10*time.Microsecond), s[len(s)-1].Round(10*time.Microsecond), len(s))
}

func countLines(p *pool, pattern string) int {
	re := regexp.MustCompile(pattern)
	n := 0
	for _, l := range p.logs.all() {
		if re.MatchString(l.text) {
			n++
		}
	}
	return n
}

func kill(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("signal worker %d: %v", pid, err)
	}
}
