package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// `-- npm start` cannot serve the pool: npm starts the app's node as its
// child, without the pool's sockets. poold warns at start; the preload in
// that node says, instead of a bare "listen EINVAL", to run node itself;
// and poolctl status shows the slots crash-looping with that line.
func TestNpmStartSaysToRunNodeItself(t *testing.T) {
	t.Parallel()
	_, err := exec.LookPath("npm")
	needTool(t, err == nil, "npm", "apt-get install npm")
	dir := expressDir(t)
	name := uniqueName(t)
	p := start(t, spec{
		args:    []string{"--name", name, "--listen", "127.0.0.1:0", "--workers", "1", "--restart-delay", "50ms", "--restart-delay-max", "200ms"},
		command: []string{"npm", "start"},
		dir:     dir,
	})
	p.waitSeen(`WRN the worker command is a package manager, whose node does not get the pool's sockets: run node itself \(-- node server\.js\) .*\bcommand=npm\b`, bound)
	said := `poold node preload (pid \d+): listen({fd: 3}) cannot serve poold's sockets: poold started npm (pid \d+), whose node (pid \d+) does not get them; run node itself as poold's worker command (-- node server.js)`
	p.waitSeen(`ERR slot is crash-looping; .*\bslot=0 .*last_exit="exit code 1 before it was ready".*`+quoteRE(said), bound)
	if p.sawLog(`EINVAL`) {
		t.Error("a bare listen EINVAL is still printed")
	}
	text := mustPoolctl(t, nil, "status", name)
	for _, want := range []string{"      State: crash-looping, 0/1 workers ready", "     Slot 0: crash-looping, ", "listen({fd: 3}) cannot serve poold's sockets"} {
		if !strings.Contains(text, want) {
			t.Errorf("poolctl status lacks %q:\n%s", want, text)
		}
	}
}

// quoteRE quotes s for a regexp, leaving its \d+ as they are.
func quoteRE(s string) string {
	parts := strings.Split(s, `\d+`)
	for i, part := range parts {
		parts[i] = regexp.QuoteMeta(part)
	}
	return strings.Join(parts, `\d+`)
}
