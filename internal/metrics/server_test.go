package metrics

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/poold/poold/activation"
)

func get(t *testing.T, c *http.Client, url string) *http.Response {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestServerServesMetricsAndStops(t *testing.T) {
	c := newTestCollector(&fakePool{st: twoWorkers()})
	reg, err := NewRegistry(c)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Listen(activation.ListenSpec{Name: "metrics", Network: "tcp", Address: "127.0.0.1:0"}, Handler(reg, quiet), quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if srv.Network() != "tcp" || !strings.HasPrefix(srv.Addr(), "127.0.0.1:") || strings.HasSuffix(srv.Addr(), ":0") {
		t.Errorf("bound %s %s, want tcp 127.0.0.1 with the port chosen", srv.Network(), srv.Addr())
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	f := parse(t, get(t, client, "http://"+srv.Addr()+Path).Body)
	if got := f.value(t, "poold_target_workers"); got != 2 {
		t.Errorf("poold_target_workers = %v", got)
	}
	if resp := get(t, client, "http://"+srv.Addr()+"/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /: %d, want 404", resp.StatusCode)
	}

	// A second server on the same address fails with the reason.
	_, err = Listen(activation.ListenSpec{Name: "metrics", Network: "tcp", Address: srv.Addr()}, Handler(reg, quiet), quiet)
	if err == nil || !strings.Contains(err.Error(), "metrics endpoint "+srv.Addr()) || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("second Listen on %s: %v, want address already in use", srv.Addr(), err)
	}

	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", srv.Addr()); err == nil || !strings.Contains(err.Error(), syscall.ECONNREFUSED.Error()) {
		t.Errorf("dial after Stop: %v, want connection refused", err)
	}
}

func TestServerOnAUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.sock")
	reg, err := NewRegistry(newTestCollector(&fakePool{st: twoWorkers()}))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Listen(activation.ListenSpec{Name: "metrics", Network: "unix", Address: path}, Handler(reg, quiet), quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Stop(context.Background())
	client := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
	f := parse(t, get(t, client, "http://poold"+Path).Body)
	if got := f.value(t, "poold_workers", "state", "ready"); got != 1 {
		t.Errorf("poold_workers{state=ready} = %v", got)
	}
}

func TestStopWithoutStart(t *testing.T) {
	srv, err := Listen(activation.ListenSpec{Name: "metrics", Network: "tcp", Address: "127.0.0.1:0"}, http.NotFoundHandler(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
