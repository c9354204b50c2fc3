package config

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poold/poold/internal/testbound"
)

func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, bytes.Repeat([]byte(" "), MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	zeroLink := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zeroLink); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		give string
		want string
	}{
		{fifo, fifo + " is a FIFO, not a regular file"},
		{"/dev/zero", "/dev/zero is a character device, not a regular file"},
		{zeroLink, zeroLink + " is a character device, not a regular file"},
		{dir, dir + " is a directory, not a regular file"},
		{sock, sock + " is a socket, not a regular file"},
		{big, big + " is 1048577 bytes, above the limit of 1048576 (1 MiB)"},
		{filepath.Join(dir, "missing"), "no such file or directory"},
	}
	for _, tt := range tests {
		done := make(chan error, 1)
		go func() {
			_, err := ReadFile(tt.give)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadFile(%s) = %v, want %q", tt.give, err, tt.want)
			}
		case <-time.After(testbound.Scale(10 * time.Second)): // a FIFO without a writer blocks a plain open for ever
			t.Errorf("ReadFile(%s) still blocked after 10s", tt.give)
		}
	}
}

func TestReadFileReadsRegularFilesAndSymlinksToThem(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "flags.json")
	full := bytes.Repeat([]byte("x"), MaxFileSize) // the limit itself is allowed
	if err := os.WriteFile(file, full, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "current.json")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{file, link} {
		if got, err := ReadFile(path); err != nil || !bytes.Equal(got, full) {
			t.Errorf("ReadFile(%s) = %d bytes, %v; want %d bytes", path, len(got), err, len(full))
		}
	}
}

// A file can say it is small and then give more: it grew after fstat, or
// it is a /proc file, which says it is empty.
func TestReadFileStopsAtTheLimitWhateverTheSizeSaid(t *testing.T) {
	_, err := readCapped("growing.json", endless{})
	if err == nil || !strings.Contains(err.Error(), "growing.json is above the limit of 1048576 bytes") {
		t.Errorf("readCapped(an endless reader) = %v, want the limit", err)
	}
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		return
	}
	if _, err := ReadFile("/proc/self/mountinfo"); err != nil { // size 0, yet read whole
		t.Errorf("ReadFile(/proc/self/mountinfo) = %v", err)
	}
}

// endless is a file that never ends, as if it grew as fast as it is read.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}
