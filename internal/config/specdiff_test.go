package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDiffNamesWhatChangedWithoutEnvValues(t *testing.T) {
	old := WorkerSpec{Command: []string{"node", "a.js"}, Env: []string{"KEEP=1", "GONE=x", "DB_URL=secret-old", "PORT=1"},
		StopTimeout: 30 * time.Second}
	new := WorkerSpec{Command: []string{"node", "b.js"}, Env: []string{"KEEP=1", "DB_URL=secret-new", "NEW=y", "PORT=2", "PORT=1"},
		StopTimeout: 10 * time.Second, MemoryMax: 1 << 30}
	got := Diff(old, new)
	want := SpecChange{
		CommandFrom: []string{"node", "a.js"}, CommandTo: []string{"node", "b.js"},
		EnvAdded: []string{"NEW"}, EnvRemoved: []string{"GONE"}, EnvChanged: []string{"DB_URL"},
		Other: []string{"stop-timeout 30s → 10s", "worker-memory-max none → 1 GiB"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Diff = %+v\nwant %+v", got, want)
	}
	line := got.String()
	if want := "command node a.js → node b.js; env +NEW -GONE ~DB_URL; stop-timeout 30s → 10s; worker-memory-max none → 1 GiB"; line != want {
		t.Errorf("String = %q\nwant %q", line, want)
	}
	for _, secret := range []string{"secret", "=y"} {
		if strings.Contains(line, secret) {
			t.Errorf("String %q shows a value (%q)", line, secret)
		}
	}
}

func TestDiffOfTheSameSpecIsEmpty(t *testing.T) {
	s := WorkerSpec{Command: []string{"app"}, Env: []string{"A=1"}, Watchdog: time.Second}
	if c := Diff(s, s); !c.Empty() || c.String() != "no change" {
		t.Errorf("Diff(s, s) = %+v (%q), want empty", c, c)
	}
}
