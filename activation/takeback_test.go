package activation

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stored binds spec as a previous poold did and names the socket as it
// stored it, for --listen value i.
func stored(t *testing.T, i int, spec ListenSpec, opts ...BindOption) Socket {
	t.Helper()
	socks, err := Bind([]ListenSpec{spec}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { CloseAll(socks) })
	socks[0].Name = ListenStoreName(i)
	return socks[0]
}

func TestTakeBackKeepsWhatStillFits(t *testing.T) {
	dir := t.TempDir()
	tcp := stored(t, 0, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"}, SharePort)
	wild := stored(t, 1, ListenSpec{Network: "tcp", Address: ":0"}, SharePort)
	sock := stored(t, 2, ListenSpec{Network: "unix", Address: filepath.Join(dir, "a.sock")})
	_, wildPort, _ := strings.Cut(wild.Addr, "]:")
	specs := []ListenSpec{
		{Name: "http", Network: "tcp", Address: tcp.Addr},
		{Name: "all", Network: "tcp", Address: ":" + wildPort},
		{Name: "admin", Network: "unix", Address: sock.Addr},
		{Name: "new", Network: "tcp", Address: "127.0.0.1:0"},
	}
	kept, unfit := TakeBack(specs, []Socket{tcp, wild, sock}, SharePort)
	if len(unfit) != 0 {
		t.Fatalf("unfit: %v", unfit)
	}
	for i, want := range []Socket{tcp, wild, sock} {
		if kept[i].File != want.File || kept[i].Name != specs[i].FDName() || kept[i].Backlog <= 0 {
			t.Errorf("spec %d (%s): got %+v, want the stored %s named %q with a backlog", i, specs[i], kept[i], want.Addr, specs[i].FDName())
		}
	}
	if kept[3].File != nil {
		t.Errorf("spec 3 had nothing stored but got %+v", kept[3])
	}
}

// Port 0 asks for any port: the port the socket got is as good as any.
func TestTakeBackPortZero(t *testing.T) {
	s := stored(t, 0, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"})
	kept, unfit := TakeBack([]ListenSpec{{Network: "tcp", Address: "127.0.0.1:0"}}, []Socket{s})
	if len(unfit) != 0 || kept[0].File != s.File {
		t.Errorf("kept %+v, unfit %v; want the stored socket", kept, unfit)
	}
}

func TestTakeBackDropsWhatNoLongerFits(t *testing.T) {
	dir := t.TempDir()
	gone := filepath.Join(dir, "gone.sock")
	tests := []struct {
		name    string
		stored  Socket
		spec    ListenSpec
		opts    []BindOption
		wantErr string
	}{
		{
			name:    "another address",
			stored:  stored(t, 0, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"}),
			spec:    ListenSpec{Network: "tcp", Address: "127.0.0.2:0"},
			wantErr: "not 127.0.0.2:0",
		},
		{
			name:    "no SO_REUSEPORT for a distribution",
			stored:  stored(t, 0, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"}),
			spec:    ListenSpec{Network: "tcp", Address: "127.0.0.1:0"},
			opts:    []BindOption{SharePort},
			wantErr: "no SO_REUSEPORT",
		},
		{
			name:    "unix socket file gone",
			stored:  stored(t, 0, ListenSpec{Network: "unix", Address: gone}),
			spec:    ListenSpec{Network: "unix", Address: gone},
			wantErr: "socket file is gone",
		},
		{
			name:    "fewer --listen values now",
			stored:  stored(t, 1, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"}),
			spec:    ListenSpec{Network: "tcp", Address: "127.0.0.1:0"},
			wantErr: "1 --listen addresses now",
		},
		{
			name:    "tcp where unix is asked",
			stored:  stored(t, 0, ListenSpec{Network: "tcp", Address: "127.0.0.1:0"}),
			spec:    ListenSpec{Network: "unix", Address: gone},
			wantErr: "not unix:" + gone,
		},
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, unfit := TakeBack([]ListenSpec{tt.spec}, []Socket{tt.stored}, tt.opts...)
			if kept[0].File != nil || len(unfit) != 1 || unfit[0].Name != tt.stored.Name || !strings.Contains(unfit[0].Error(), tt.wantErr) {
				t.Errorf("kept %+v, unfit %v; want it unfit: %q", kept, unfit, tt.wantErr)
			}
		})
	}
}
