package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/config"
	"github.com/poold/poold/internal/distribute"
)

// initSpec is what poolctl init was asked for, validated.
type initSpec struct {
	name         string
	streams      []string // ListenStream= values
	fdName       string   // FileDescriptorName=, "" for systemd's default
	user         string
	chdir        string
	workers      string
	distribution distribute.Mode
	command      []string
}

// initFile is one file poolctl init owns: written with content, or removed
// with --force when content is "" (left over from an earlier init).
type initFile struct {
	path    string // below the root
	content string
}

// files are every file poolctl init owns for the pool, those it does not
// write this time with empty content.
func (s initSpec) files() []initFile {
	unitDir := "etc/systemd/system"
	return []initFile{
		{filepath.Join("etc/poold", s.name+".conf"), s.configFile()},
		{filepath.Join(unitDir, "poold@"+s.name+".socket.d", "listen.conf"), s.listenDropIn()},
		{filepath.Join(unitDir, "poold@"+s.name+".service.d", "user.conf"), s.userDropIn()},
		{filepath.Join(unitDir, "poold@"+s.name+".service.d", "workdir.conf"), s.workdirDropIn()},
	}
}

func (s initSpec) configFile() string {
	return fmt.Sprintf(`# poold configuration of pool %[1]s, written by poolctl init.
# KEY = VALUE lines, KEY a long flag name of poold (poold --help) or command.
# poold reads this file at start; after a change:
#   systemctl restart poold@%[1]s
# (a reload starts new workers with the configuration poold started with).
command = %[2]s
workers = %[3]s
distribution = %[4]s
# stop-timeout = 30s  (raise TimeoutStopSec= of poold@%[1]s.service with it)
`, s.name, config.QuoteWords(s.command), s.workers, s.distribution)
}

func (s initSpec) listenDropIn() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# The addresses of pool %s, written by poolctl init.\n[Socket]\n", s.name)
	for _, l := range s.streams {
		fmt.Fprintf(&b, "ListenStream=%s\n", unitEscape(l))
	}
	if s.fdName != "" {
		fmt.Fprintf(&b, "FileDescriptorName=%s\n", s.fdName)
	}
	return b.String()
}

func (s initSpec) userDropIn() string {
	if s.user == "" {
		return ""
	}
	return fmt.Sprintf(`# The user of pool %s, written by poolctl init. The poold group lets it
# serve poolctl on the system bus.
[Service]
User=%s
SupplementaryGroups=poold
`, s.name, s.user)
}

func (s initSpec) workdirDropIn() string {
	if s.chdir == "" {
		return ""
	}
	return fmt.Sprintf(`# The working directory of pool %s's workers, written by poolctl init.
[Service]
WorkingDirectory=%s
`, s.name, unitEscape(s.chdir))
}

// unitEscape keeps '%' from being read as a unit file specifier.
func unitEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// listenStream turns poold's --listen address into ListenStream= form.
func listenStream(spec activation.ListenSpec) (string, error) {
	if spec.Network == "unix" {
		return spec.Address, nil // "/run/x.sock" or "@name", as systemd writes them
	}
	i := strings.LastIndexByte(spec.Address, ':')
	if port, _ := strconv.Atoi(spec.Address[i+1:]); port == 0 {
		return "", fmt.Errorf("--listen %q: port 0 cannot be in a socket unit; give a port", spec.Address)
	}
	if i == 0 {
		return spec.Address[1:], nil // ":3000": every address, like ListenStream=3000
	}
	return spec.Address, nil
}

// userName is what systemd accepts in User=, conservatively: a name or a UID.
var userName = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]{0,31}|[0-9]+)$`)
