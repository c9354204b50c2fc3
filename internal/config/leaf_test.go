package config

import (
	"go/build"
	"strings"
	"testing"
)

// leafImports are the only poold packages config may import: leaves that
// hold values and their parsing. A reload re-reads the configuration, so
// config must not reach the packages that bind, spawn or serve.
var leafImports = map[string]bool{
	"internal/bytesize": true, "internal/listenspec": true, "internal/mode": true, "internal/suggest": true,
}

func TestConfigIsALeaf(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		rel, ours := strings.CutPrefix(imp, "github.com/poold/poold/")
		if ours && !leafImports[rel] {
			t.Errorf("config imports %s, which is not a leaf of values", imp)
		}
	}
}
