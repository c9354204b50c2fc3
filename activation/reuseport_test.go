package activation

import (
	"net"
	"strings"
	"testing"
)

func TestReplicateJoinsTheSocketsAddress(t *testing.T) {
	socks, err := Bind([]ListenSpec{{Name: "http", Network: "tcp", Address: "127.0.0.1:0"}}, SharePort)
	if err != nil {
		t.Fatal(err)
	}
	defer CloseAll(socks)
	if on, err := ReusePort(socks[0]); err != nil || !on {
		t.Fatalf("ReusePort after Bind with SharePort = %v, %v", on, err)
	}
	r, err := Replicate(socks[0])
	if err != nil {
		t.Fatal(err)
	}
	defer r.File.Close()
	if r.Addr != socks[0].Addr || r.Name != "http" || r.Network != socks[0].Network {
		t.Errorf("replica %s %s %s, want the pool socket's %s %s %s", r.Name, r.Network, r.Addr, "http", socks[0].Network, socks[0].Addr)
	}
	ino, _ := socks[0].Inode()
	rino, _ := r.Inode()
	if ino == rino {
		t.Error("the replica is the pool socket itself")
	}
	c, err := net.Dial("tcp", r.Addr)
	if err != nil {
		t.Fatalf("connect to the group: %v", err)
	}
	c.Close()
}

func TestReplicateNeedsReusePort(t *testing.T) {
	socks, err := Bind([]ListenSpec{{Name: "http", Network: "tcp", Address: "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer CloseAll(socks)
	if on, err := ReusePort(socks[0]); err != nil || on {
		t.Errorf("ReusePort without SharePort = %v, %v; want false", on, err)
	}
	if _, err := Replicate(socks[0]); err == nil || !strings.Contains(err.Error(), "SO_REUSEPORT") {
		t.Errorf("Replicate without SO_REUSEPORT: %v; want an error naming it", err)
	}
}

func TestReplicateRefusesUnixSockets(t *testing.T) {
	socks, err := Bind([]ListenSpec{{Name: "u", Network: "unix", Address: t.TempDir() + "/s"}}, SharePort)
	if err != nil {
		t.Fatal(err)
	}
	defer CloseAll(socks)
	if _, err := Replicate(socks[0]); err == nil || !strings.Contains(err.Error(), "only TCP") {
		t.Errorf("Replicate of a unix socket: %v", err)
	}
}
