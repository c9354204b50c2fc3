package systemd

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// rootfsPackages are installed in the container: it has no network, so
// everything the tests run inside must be here.
var rootfsPackages = []string{
	"systemd", "systemd-sysv", "dbus", "iproute2", "curl", "nodejs", "passwd", "procps", "rpm",
	"python3", "python3-systemd",
}

// cacheDir keeps the root filesystem between runs (not /tmp: it may be a
// tmpfs, and a fresh machine builds it once in about a minute).
const cacheDir = "/var/tmp/poold-systemd-e2e"

var (
	rootfsOnce sync.Once
	rootfsPath string
	rootfsErr  error
	rootfsSkip string
)

// rootfs returns a tarball of a Debian bookworm root filesystem with
// rootfsPackages, built with mmdebstrap from the host's own apt mirror on
// first use, once for all the tests of this binary.
func rootfs(t *testing.T) string {
	t.Helper()
	rootfsOnce.Do(func() { rootfsPath, rootfsSkip, rootfsErr = buildRootfs() })
	switch {
	case rootfsSkip != "":
		t.Skip(rootfsSkip)
	case rootfsErr != nil:
		t.Fatal(rootfsErr)
	}
	return rootfsPath
}

// buildRootfs builds the tarball unless it is cached. Another test binary
// may build it at the same time: each writes its own file and renames it.
func buildRootfs() (path, skip string, err error) {
	key := sha256.Sum256([]byte("bookworm minbase " + strings.Join(rootfsPackages, ",")))
	tarball := filepath.Join(cacheDir, fmt.Sprintf("rootfs-%x.tar.zst", key[:6]))
	if fi, err := os.Stat(tarball); err == nil && fi.Size() > 0 {
		return tarball, "", nil
	}
	mirror, err := hostMirror()
	if err != nil {
		return "", fmt.Sprintf("cannot build the container's root filesystem: %v", err), nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", "", err
	}
	// mmdebstrap picks the output format from the name's extension.
	partial := fmt.Sprintf("%s.partial-%d.tar.zst", strings.TrimSuffix(tarball, ".tar.zst"), os.Getpid())
	cmd := exec.Command("mmdebstrap", "--quiet", "--variant=minbase", "--include="+strings.Join(rootfsPackages, ","),
		"bookworm", partial, mirror)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(partial)
		return "", "", fmt.Errorf("mmdebstrap: %v\n%s", err, out)
	}
	return tarball, "", os.Rename(partial, tarball)
}

// hostMirror is the Debian mirror the host's apt uses, so that the test
// never names one itself.
func hostMirror() (string, error) {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		if u := firstField(f, "URIs:"); u != "" {
			return u, nil
		}
	}
	if u := firstField("/etc/apt/sources.list", "deb"); u != "" {
		return u, nil
	}
	return "", fmt.Errorf("no Debian mirror in /etc/apt")
}

func firstField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 || fields[0] != key {
			continue
		}
		for _, f := range fields[1:] { // "deb [arch=amd64] URL suite"
			if strings.HasPrefix(f, "http") {
				return f
			}
		}
	}
	return ""
}
