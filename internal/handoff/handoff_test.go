package handoff

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

type sample struct {
	Name    string
	Workers []int
}

func TestWriteReadRoundTrip(t *testing.T) {
	f, err := Write(sample{Name: "web", Workers: []int{10, 11}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for range 2 { // the fallback reads it again
		var got sample
		if err := Read(f, &got); err != nil {
			t.Fatal(err)
		}
		if got.Name != "web" || len(got.Workers) != 2 || got.Workers[1] != 11 {
			t.Errorf("Read = %+v", got)
		}
	}
}

func TestWrittenStateIsSealed(t *testing.T) {
	f, err := Write(sample{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("x"), 0); !errors.Is(err, unix.EPERM) {
		t.Errorf("write to the sealed state: %v, want EPERM", err)
	}
	if err := f.Truncate(0); !errors.Is(err, unix.EPERM) {
		t.Errorf("truncate the sealed state: %v, want EPERM", err)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, 0); !errors.Is(err, unix.EPERM) {
		t.Errorf("add a seal: %v, want EPERM", err)
	}
}

// memfd holds doc, sealed as Write seals it.
func memfd(t *testing.T, doc string, seal int) *os.File {
	t.Helper()
	fd, err := unix.MemfdCreate("test", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "test")
	t.Cleanup(func() { f.Close() })
	if _, err := f.WriteString(doc); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seal); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReadRefuses(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		seal int
		want string
	}{
		{"unknown version", `{"version":2,"state":{"Name":"web"}}`, seals, "version 2"},
		{"no version", `{"state":{"Name":"web"}}`, seals, "version 0"},
		{"not sealed", `{"version":1,"state":{}}`, unix.F_SEAL_GROW, "not sealed"},
		{"not JSON", `version 1`, seals, "decode state"},
		{"state of another shape", `{"version":1,"state":{"Workers":"many"}}`, seals, "decode state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got sample
			err := Read(memfd(t, tt.doc, tt.seal), &got)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read = %v, want an error with %q", err, tt.want)
			}
		})
	}
	var verr *VersionError
	if err := Read(memfd(t, `{"version":7,"state":{}}`, seals), &sample{}); !errors.As(err, &verr) || verr.Got != 7 {
		t.Errorf("Read of version 7 = %v, want a VersionError", err)
	}
}

// TestInheritKeepsFDsAcrossExec execs a shell that looks for the fds:
// those Inherit cleared are open in it, the others closed.
func TestInheritKeepsFDsAcrossExec(t *testing.T) {
	kept, err := Write(sample{Name: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	other, err := Write(sample{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	fd := int(kept.Fd())
	if err := Inherit([]int{fd}); err != nil {
		t.Fatal(err)
	}
	defer Disinherit([]int{fd})
	script := "test -e /proc/self/fd/" + strconv.Itoa(fd) + " && echo kept; test -e /proc/self/fd/" + strconv.Itoa(int(other.Fd())) + " && echo leaked; true"
	out, err := exec.Command("/bin/sh", "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) != "kept" {
		t.Errorf("the exec'd shell saw %q, want only the inherited fd", out)
	}
	Disinherit([]int{fd})
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("after Disinherit: flags %#x, %v; want close-on-exec", flags, err)
	}
}

func TestFromEnv(t *testing.T) {
	f, err := Write(sample{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dup, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvFD, strconv.Itoa(dup))
	got, err := FromEnv()
	if err != nil || got == nil {
		t.Fatalf("FromEnv = %v, %v", got, err)
	}
	defer got.Close()
	if _, set := os.LookupEnv(EnvFD); set {
		t.Errorf("%s still set: a worker would see it", EnvFD)
	}
	var st sample
	if err := Read(got, &st); err != nil || st.Name != "web" {
		t.Errorf("Read = %+v, %v", st, err)
	}

	os.Unsetenv(EnvFD)
	if f, err := FromEnv(); f != nil || err != nil {
		t.Errorf("FromEnv without %s = %v, %v; want nothing", EnvFD, f, err)
	}
	t.Setenv(EnvFD, "1")
	if _, err := FromEnv(); err == nil {
		t.Errorf("FromEnv with fd 1: no error")
	}
}
