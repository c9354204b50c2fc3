package packaging

import (
	"debug/buildinfo"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The binaries are static: every Go module linked into them must be in the
// copyright file, with its license.
func TestCopyrightListsLinkedModules(t *testing.T) {
	p := packages(t)
	copyright, err := os.ReadFile(filepath.Join(repoRoot(t), "packaging/copyright"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bin := range []string{"poold", "poolctl"} {
		info, err := buildinfo.ReadFile(filepath.Join(p.dir, "stage", bin))
		if err != nil {
			t.Fatal(err)
		}
		for _, dep := range info.Deps {
			if !strings.Contains(string(copyright), " "+dep.Path+"/*\n") {
				t.Errorf("%s links %s %s, which packaging/copyright does not list (Files: %s/*)",
					bin, dep.Path, dep.Version, dep.Path)
			}
		}
	}
}
