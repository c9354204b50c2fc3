package node

import (
	"encoding/json"
	"io/fs"
	"slices"
	"testing"
)

// The embedded files are the ones package.json names: its main and its
// files list, with package.json itself.
func TestFilesMatchPackageJSON(t *testing.T) {
	data, err := fs.ReadFile(Files, "package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Name  string   `json:"name"`
		Type  string   `json:"type"`
		Main  string   `json:"main"`
		Files []string `json:"files"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatalf("package.json: %v", err)
	}
	if pkg.Name != "poold" || pkg.Type != "commonjs" {
		t.Errorf("package.json: name %q, type %q; want poold, commonjs", pkg.Name, pkg.Type)
	}
	entries, err := fs.ReadDir(Files, ".")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := append([]string{"package.json"}, pkg.Files...)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("embedded %q, want %q (package.json and its files)", got, want)
	}
	if !slices.Contains(got, pkg.Main) {
		t.Errorf("main %q is not embedded", pkg.Main)
	}
}
