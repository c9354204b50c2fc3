package packaging

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRPMInfo(t *testing.T) {
	need(t, "rpm")
	p := packages(t)
	info := run(t, "rpm", "-qpi", p.rpm)
	fields := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			fields[strings.TrimSpace(k)] = v
		}
	}
	for k, v := range map[string]string{
		"Name":         "poold",
		"Version":      testVersion,
		"Release":      "1",
		"Architecture": wantArch(t, 1),
		"License":      "LicenseRef-poold-no-license-yet",
	} {
		if fields[k] != v {
			t.Errorf("rpm -qpi %s: %q, want %q", k, fields[k], v)
		}
	}
	if fields["Summary"] == "" || fields["URL"] == "" {
		t.Errorf("rpm -qpi: no Summary or URL:\n%s", info)
	}
	if got := strings.TrimSpace(run(t, "rpm", "-qp", "--requires", p.rpm)); strings.Contains(got, "libc") {
		t.Errorf("rpm requires libc: %s", got)
	}
	if got := strings.TrimSpace(run(t, "rpm", "-qp", "--recommends", p.rpm)); got != "dbus" {
		t.Errorf("rpm recommends %q, want dbus", got)
	}
}

func TestRPMContents(t *testing.T) {
	need(t, "rpm")
	p := packages(t)

	names := strings.Fields(run(t, "rpm", "-qpl", p.rpm))
	files, dirs := map[string]entry{}, map[string]entry{}
	query := "[%{FILEMODES:perms} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILENAMES}\n]"
	for _, line := range strings.Split(strings.TrimSpace(run(t, "rpm", "-qp", "--qf", query, p.rpm)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("rpm -qp --qf: unexpected line %q", line)
		}
		if !slices.Contains(names, f[2]) {
			t.Errorf("%s: in the query, not in rpm -qpl", f[2])
		}
		if strings.HasPrefix(f[0], "d") {
			dirs[f[2]] = entry{mode: f[0], owner: f[1]}
		} else {
			files[f[2]] = entry{mode: f[0], owner: f[1]}
		}
	}
	checkFiles(t, files, wantFiles(t, "/usr/share/zsh/site-functions"), "root/root")

	// The rpm owns its own directories and no directory of the system.
	var got []string
	for d, e := range dirs {
		got = append(got, d)
		if e.mode != "drwxr-xr-x" || e.owner != "root/root" {
			t.Errorf("directory %s: %s %s, want drwxr-xr-x root/root", d, e.mode, e.owner)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, wantDirs) {
		t.Errorf("rpm owns directories %q, want %q", got, wantDirs)
	}

	license := run(t, "rpm", "-qp", "--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\n]", p.rpm)
	if !strings.Contains(license, "l /usr/share/doc/poold/copyright\n") {
		t.Errorf("copyright is not %%license:\n%s", license)
	}
}

func TestRPMScripts(t *testing.T) {
	need(t, "rpm")
	p := packages(t)
	scripts := run(t, "rpm", "-qp", "--scripts", p.rpm)
	for header, file := range map[string]string{
		"postinstall scriptlet (using /bin/sh):":   "post.sh",
		"preuninstall scriptlet (using /bin/sh):":  "preun.sh",
		"postuninstall scriptlet (using /bin/sh):": "postun.sh",
	} {
		src, err := os.ReadFile(filepath.Join(repoRoot(t), "packaging/rpm", file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(scripts, header+"\n"+strings.TrimRight(string(src), "\n")) {
			t.Errorf("rpm --scripts has no %q followed by packaging/rpm/%s:\n%s", header, file, scripts)
		}
	}
	if strings.Contains(scripts, "preinstall scriptlet") {
		t.Errorf("unexpected %%pre:\n%s", scripts)
	}
}
