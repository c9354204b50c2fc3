package procfs

import (
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestSocketHoldersFindsThisProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	ino, ok := SocketInode(link)
	if !ok {
		t.Fatalf("SocketInode(%q) found none", link)
	}
	if got := SocketHolders(map[uint64]bool{ino: true}); !slices.Equal(got, []int{os.Getpid()}) {
		t.Errorf("holders %v, want this process, %d", got, os.Getpid())
	}
}

func TestGetenvAndCmdlineOfThisProcess(t *testing.T) {
	t.Setenv("PROCFS_TEST", "x") // not in /proc: that is the environment at exec
	env, ok := Getenv(os.Getpid(), "PATH", "PROCFS_TEST")
	if !ok || env[0] != os.Getenv("PATH") || env[1] != "" {
		t.Errorf("Getenv = %q, %v; want PATH as at exec and no PROCFS_TEST", env, ok)
	}
	if got := Cmdline(os.Getpid()); got != strings.Join(os.Args, " ") {
		t.Errorf("Cmdline = %q, want %q", got, strings.Join(os.Args, " "))
	}
}
