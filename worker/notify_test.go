package worker

import (
	"fmt"
	"net"
	"os"
	"testing"
)

func TestNotifyWithoutSocketDoesNothing(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Notify("READY=1"); sent || err != nil {
		t.Errorf("Notify without NOTIFY_SOCKET = %v, %v; want false, nil", sent, err)
	}
}

// systemd passes an abstract socket as @name.
func TestNotifyAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("@poold-worker-test-%d", os.Getpid())
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", name)
	if sent, err := Notify("STATUS=up"); !sent || err != nil {
		t.Fatalf("Notify = %v, %v", sent, err)
	}
	n := &notifications{conn: conn}
	if got := n.next(t); got != "STATUS=up" {
		t.Errorf("received %q", got)
	}
}

func TestNotifyUnreachableSocketFails(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", t.TempDir()+"/none")
	if sent, err := Notify("READY=1"); sent || err == nil {
		t.Errorf("Notify to a missing socket = %v, %v; want false and an error", sent, err)
	}
}
