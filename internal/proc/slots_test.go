package proc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/supervisor"
)

// bindHTTP binds one loopback socket named "http", closed with the test.
func bindHTTP(t *testing.T) activation.Socket {
	t.Helper()
	socks, err := activation.Bind([]activation.ListenSpec{{Name: "http", Network: "tcp", Address: "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { activation.CloseAll(socks) })
	return socks[0]
}

// askWorker makes a request to addr and returns what the serve helper that
// accepted it reports.
func askWorker(t *testing.T, addr string) contract {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got contract
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	return got
}

func socketLink(t *testing.T, s activation.Socket) string {
	t.Helper()
	ino, err := s.Inode()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("socket:[%d]", ino)
}

// With SlotSockets, slot 1's worker serves on slot 1's socket, the probe
// finds it there, and the pool's own socket does not reach it.
func TestWorkerGetsItsSlotSockets(t *testing.T) {
	own := bindHTTP(t)
	var pool []activation.Socket
	var asked []int
	f := newFixture(t, "serve-silent", func(c *fixtureConfig) {
		pool = c.Sockets
		c.SlotSockets = func(slot int) ([]activation.Socket, error) {
			asked = append(asked, slot)
			if slot == 0 {
				return pool, nil // slot 0 serves on the pool socket itself
			}
			return []activation.Socket{own}, nil
		}
	})
	w0 := f.spawn(t, 1, 0, true)
	w1 := f.spawn(t, 2, 1, true)
	if !slices.Equal(asked, []int{0, 1}) {
		t.Errorf("SlotSockets asked for slots %v, want [0 1]", asked)
	}
	listening := map[supervisor.WorkerID]bool{}
	for range 2 {
		listening[next[supervisor.Listening](t, f.sink).ID] = true
	}
	if !listening[1] || !listening[2] {
		t.Fatalf("Listening for workers %v, want 1 and 2", listening)
	}

	got := askWorker(t, own.Addr)
	if got.PID != w1.PID() {
		t.Fatalf("slot 1's socket answered by pid %d, want slot 1's worker %d", got.PID, w1.PID())
	}
	if got.Env["LISTEN_FDS"] != "1" || got.Env["LISTEN_FDNAMES"] != "http" {
		t.Errorf("LISTEN_FDS=%q LISTEN_FDNAMES=%q, want 1, http", got.Env["LISTEN_FDS"], got.Env["LISTEN_FDNAMES"])
	}
	if slices.Contains(got.OpenFiles, socketLink(t, pool[0])) {
		t.Errorf("the pool socket reached slot 1's worker: %q", got.OpenFiles)
	}
	if got := askWorker(t, pool[0].Addr); got.PID != w0.PID() {
		t.Fatalf("the pool socket answered by pid %d, want slot 0's worker %d", got.PID, w0.PID())
	}
}

func TestSlotSocketsMustMatchThePool(t *testing.T) {
	errNoSlot := errors.New("no such slot")
	other := bindHTTP(t)
	other.Name = "admin"
	tests := []struct {
		name    string
		give    func(slot int) ([]activation.Socket, error)
		wantErr string
		wantIs  error
	}{
		{"error", func(int) ([]activation.Socket, error) { return nil, errNoSlot },
			"spawn worker 2: sockets of slot 2: no such slot", errNoSlot},
		{"too few", func(int) ([]activation.Socket, error) { return nil, nil },
			"spawn worker 2: sockets of slot 2: got 0, want 1 like the pool", nil},
		{"another name", func(int) ([]activation.Socket, error) { return []activation.Socket{other}, nil },
			`spawn worker 2: sockets of slot 2: socket 0 is "admin", want "http" like the pool`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "serve", func(c *fixtureConfig) { c.SlotSockets = tt.give })
			p, err := f.spawner.Spawn(f.request(1, 2), f.sink)
			if err == nil {
				p.Signal(syscall.SIGKILL)
				t.Fatal("spawned a worker")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q does not wrap %q", err, tt.wantIs)
			}
		})
	}
}
