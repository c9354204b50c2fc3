package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// pythonApp returns how to run testdata/python/app.py in the given mode,
// with the repository's poold.py importable.
func pythonApp(t *testing.T, mode string) (command []string, env []string) {
	t.Helper()
	python, err := exec.LookPath("python3")
	needTool(t, err == nil, "python3", "apt-get install python3")
	module, err := filepath.Abs(filepath.Join("..", "..", "python"))
	if err != nil {
		t.Fatal(err)
	}
	return []string{python, "-B", filepath.Join("testdata", "python", "app.py"), mode}, []string{"PYTHONPATH=" + module}
}

// pythonPool is the spec of a pool of app.py in the given mode.
func pythonPool(t *testing.T, mode string) spec {
	t.Helper()
	command, env := pythonApp(t, mode)
	return spec{command: command, env: env}
}

// Python workers served by poold.py, http.server's with keep-alive and a
// WSGI app on wsgiref: three rolling reloads under load fail no request,
// on kept-alive and new connections, also for clients that never retry,
// and every worker replaced exits 0 once drained.
func TestPythonModuleReloadsDroppingNothing(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"http", "wsgi"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			p, f := reloadPool(t, pythonPool(t, mode), "python "+mode)
			f.check(t, "3 reloads", 50)
			p.waitReplacedExitedZero(4)
		})
	}
}

// The same http.server worker without poold.py dies at SIGTERM, and the
// same reloads fail requests: kept-alive clients that never retry lose at
// least the request after their worker died. So the test above can fail.
func TestPythonWorkerWithoutTheModuleFailsRequests(t *testing.T) {
	t.Parallel()
	_, f := reloadPool(t, pythonPool(t, "plain"), "python plain")
	if f.raw.failed == 0 {
		t.Errorf("no request without retry failed (%v); want some, as every worker died under them", f)
	}
}
