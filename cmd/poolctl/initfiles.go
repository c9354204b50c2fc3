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

// unitDir is where poolctl init writes units, below the root.
const unitDir = "etc/systemd/system"

// files are every file poolctl init owns for the pool, those it does not
// write this time with empty content: the drop-ins of the template pair
// poold@.socket and poold@.service that an earlier poolctl init wrote.
func (s initSpec) files() []initFile {
	return []initFile{
		{filepath.Join("etc/poold", s.name+".conf"), s.configFile()},
		{filepath.Join(unitDir, s.name+".socket"), s.socketUnit()},
		{filepath.Join(unitDir, s.name+".service"), s.serviceUnit()},
		{s.templateListenDropIn(), ""},
		{filepath.Join(unitDir, "poold@"+s.name+".service.d", "user.conf"), ""},
		{filepath.Join(unitDir, "poold@"+s.name+".service.d", "workdir.conf"), ""},
	}
}

// templateListenDropIn is where an earlier poolctl init wrote the pool's
// addresses, for poold@NAME.socket.
func (s initSpec) templateListenDropIn() string {
	return filepath.Join(unitDir, "poold@"+s.name+".socket.d", "listen.conf")
}

func (s initSpec) configFile() string {
	return fmt.Sprintf(`# poold configuration of pool %[1]s, written by poolctl init.
# KEY = VALUE lines, KEY a long flag name of poold (poold --help) or command.
# poold reads this file, and %[1]s.env beside it, at start and at every
#   systemctl reload %[1]s
# which fails, naming it, for a setting only "systemctl restart %[1]s"
# changes (the sockets, distribution...).
command = %[2]s
workers = %[3]s
distribution = %[4]s
# stop-timeout = 30s  (raise TimeoutStopSec= of %[1]s.service with it)
# upgrade-on-install = false  (a package upgrade leaves the pool on its poold until a restart)
`, s.name, config.QuoteWords(s.command), s.workers, s.distribution)
}

// socketLines are the pool's addresses, in the [Socket] section.
func (s initSpec) socketLines() []string {
	lines := []string{"# The pool's addresses (poolctl init --listen)."}
	for _, l := range s.streams {
		lines = append(lines, "ListenStream="+unitEscape(l))
	}
	if s.fdName != "" {
		lines = append(lines, "FileDescriptorName="+s.fdName)
	}
	return lines
}

// serviceLines are what --user and --chdir set, in the [Service] section.
func (s initSpec) serviceLines() []string {
	var lines []string
	if s.user != "" {
		lines = append(lines, "# poolctl init --user: poold and the workers run as "+s.user+"; the poold",
			"# group lets it serve poolctl on the system bus.",
			"User="+s.user, "SupplementaryGroups=poold")
	}
	if s.chdir != "" {
		lines = append(lines, "# poolctl init --chdir: the workers' working directory.",
			"WorkingDirectory="+unitEscape(s.chdir))
	}
	return lines
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
