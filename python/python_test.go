package python

import (
	"os"
	"os/exec"
	"testing"
)

// The module's own tests, with real sockets and real worker processes.
func TestPooldModule(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 is missing; CI must install it")
		}
		t.Skip("python3 is missing: apt-get install python3")
	}
	cmd := exec.Command(python, "-B", "-m", "unittest", "-v", "test_poold")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 -m unittest test_poold: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
