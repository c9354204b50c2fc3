package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Debian's gunicorn and uvicorn under poold, with the settings
// docs/python.md gives, through three rolling reloads under load:
// gunicorn's sync worker, and its threaded one without keep-alive, fail no
// request. uvicorn, at SIGTERM, closes at once the connections it has
// accepted and not read a request from, and the kept-alive ones idle at
// that moment: a client that does not retry can lose the request it was
// sending on one (docs/python.md says so). Only clients that retry a GET
// on a new connection, as browsers and net/http do, must not see it.
func TestPythonServersReloadUnderLoad(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		args    []string // poold's, beside --listen and --workers
		command []string
		module  string // that /usr/bin/python3 must import
		lossy   bool
	}{
		{"gunicorn sync", []string{"--ready", "listening"}, []string{"gunicorn", "--graceful-timeout", "25", "app:app"}, "gunicorn", false},
		{"gunicorn gthread", []string{"--ready", "listening"}, []string{"gunicorn", "--threads", "4", "--keep-alive", "0", "--graceful-timeout", "25", "app:app"}, "gunicorn", false},
		{"uvicorn", nil, []string{"/usr/bin/python3", "-m", "uvicorn", "--fd", "3", "app:asgi"}, "uvicorn", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := exec.Command("/usr/bin/python3", "-c", "import "+tt.module).Run()
			needTool(t, err == nil, tt.module, "apt-get install gunicorn python3-uvicorn")
			dir, err := filepath.Abs(filepath.Join("testdata", "python"))
			if err != nil {
				t.Fatal(err)
			}
			_, f := reloadPool(t, spec{args: tt.args, command: tt.command, dir: dir, env: []string{"PYTHONDONTWRITEBYTECODE=1"}}, tt.name)
			if !tt.lossy {
				f.check(t, "3 reloads", 50)
			} else if f.keepAlive.failed > 0 {
				t.Errorf("3 reloads: %v; want none failed on kept-alive connections with retry", f)
			}
		})
	}
}
