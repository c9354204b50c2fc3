package procstat

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestReadFromParsesFieldsAfterTheCommandName(t *testing.T) {
	// A command name with spaces and a ')' must not shift the fields.
	stat := "1234 (my) app (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 1000 1000000 300 18446744073709551615\n"
	path := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(path, []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ReadFrom(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * time.Second; s.CPU != want {
		t.Errorf("CPU = %v, want %v (250+50 ticks)", s.CPU, want)
	}
	if want := uint64(300 * os.Getpagesize()); s.RSS != want {
		t.Errorf("RSS = %d, want %d (300 pages)", s.RSS, want)
	}
}

func TestReadSelfSeesOwnMemory(t *testing.T) {
	s, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSS < 1<<20 {
		t.Errorf("RSS = %d, want at least 1 MiB for a running Go test", s.RSS)
	}
}

func TestReadFromRejectsTruncatedStat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(path, []byte("1 (x) S 1 2 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFrom(path); err == nil {
		t.Fatal("ReadFrom accepted a truncated stat line")
	}
}

func TestParent(t *testing.T) {
	ppid, err := Parent(os.Getpid())
	if err != nil || ppid != os.Getppid() {
		t.Errorf("Parent(self) = %d, %v; want %d", ppid, err, os.Getppid())
	}
	if _, err := Parent(-1); err == nil {
		t.Error("Parent(-1) succeeded")
	}
}
