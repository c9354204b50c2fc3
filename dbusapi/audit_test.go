package dbusapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/poold/poold/dbusapi"
)

// recorder is an Auditor that keeps every record.
type recorder struct {
	mu    sync.Mutex
	calls []dbusapi.Call
}

func (r *recorder) Audit(c dbusapi.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

// lines are the records as "outcome op args uid err".
func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.calls {
		line := fmt.Sprintf("%s %s [%s] uid=%d pid=%d", c.Outcome, c.Op, c.Args, c.Caller.UID, c.Caller.PID)
		if c.Err != nil {
			line += " err=" + c.Err.Error()
		}
		out = append(out, line)
	}
	return out
}

// Every changing call is recorded with its arguments and its caller, once
// accepted, and again if it fails; a refused call once, with why.
func TestChangingCallsAreAudited(t *testing.T) {
	audit := &recorder{}
	fake, pool, _ := serveAudited(t, "web", allowAll, audit)
	ctx := context.Background()
	mustOK := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustOK(pool.Scale(ctx, 3, 0))
	mustOK(pool.SignalWorkers(ctx, -1, int32(syscall.SIGUSR2)))
	_, err := pool.Broadcast(ctx, `{"a":1}`)
	mustOK(err)
	fake.failNext(fmt.Errorf("%w: slot 7: want 0..1", dbusapi.ErrInvalidArgument))
	if err := pool.RestartWorker(ctx, 7); err == nil {
		t.Fatal("RestartWorker succeeded, want the backend's error")
	}
	_, err = pool.Reload(ctx)
	mustOK(err)
	_, err = pool.Upgrade(ctx)
	mustOK(err)
	want := []string{
		"accepted scale [workers=3] uid=1000 pid=4242",
		"accepted signal [slot=-1 signal=SIGUSR2] uid=1000 pid=4242",
		"accepted broadcast [bytes=7] uid=1000 pid=4242",
		"accepted restart worker [slot=7] uid=1000 pid=4242",
		"failed restart worker [slot=7] uid=1000 pid=4242 err=invalid argument: slot 7: want 0..1",
		"accepted reload [] uid=1000 pid=4242",
		"accepted upgrade [] uid=1000 pid=4242",
	}
	if got := audit.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	refusals := &recorder{}
	_, refused, _ := serveAudited(t, "shop", authFunc(func(string) error { return dbusapi.ErrNotPermitted }), refusals)
	if err := refused.Scale(ctx, 0, dbusapi.ScaleAllowZero); !errors.Is(err, dbusapi.ErrNotPermitted) {
		t.Fatalf("Scale = %v, want refused", err)
	}
	if got, want := refusals.lines(), []string{"refused scale [workers=0 flags=0x1] uid=1000 pid=4242 err=not permitted"}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log %q, want %q", got, want)
	}
}

// LogAuditor writes a record as one line: the message says the outcome,
// the caller is a group.
func TestLogAuditorLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	dbusapi.LogAuditor{Log: log}.Audit(dbusapi.Call{
		Op: "scale", Args: "workers=8", Outcome: dbusapi.Refused, Err: dbusapi.ErrNotPermitted,
		Caller: dbusapi.Caller{Sender: ":1.7", UID: 65534, HasUID: true, User: "nobody", PID: 99, Command: "poolctl", Unit: "session-3.scope", SSH: true},
	})
	want := `level=WARN msg="d-bus call refused" op=scale args="workers=8" caller.uid=65534 caller.user=nobody caller.pid=99 caller.comm=poolctl caller.unit=session-3.scope caller.ssh=true caller.sender=:1.7 err="not permitted"` + "\n"
	if buf.String() != want {
		t.Errorf("logged\n%s\nwant\n%s", buf.String(), want)
	}
}
