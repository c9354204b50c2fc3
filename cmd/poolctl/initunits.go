package main

import (
	"fmt"
	"strings"

	"github.com/poold/poold/units"
)

// The pool's own units are the packages' template pair, poold@.socket and
// poold@.service, made the pool's: systemd refuses an alias of a template
// instance (myapp.service -> poold@myapp.service) as a unit of another
// name, so that the user's words, "systemctl start myapp.socket" and
// "journalctl -u myapp", need units of that name (docs/systemd.md).

func (s initSpec) socketUnit() string {
	header := fmt.Sprintf(`# %[1]s.socket: the listening socket of the poold pool %[1]s, written by
# poolctl init from poold@.socket. Its first connection starts
# %[1]s.service; "systemctl enable --now %[1]s.socket" starts it at boot too.
# Change it with "poolctl init %[1]s --force ...", or with a drop-in
# (systemctl edit %[1]s.socket). See poold(8) and docs/systemd.md.
`, s.name)
	return ownUnit(units.Socket, header, s.name, map[string][]string{"[Socket]": s.socketLines()})
}

func (s initSpec) serviceUnit() string {
	header := fmt.Sprintf(`# %[1]s.service: the poold pool %[1]s, on the socket of %[1]s.socket,
# configured in /etc/poold/%[1]s.conf; written by poolctl init from
# poold@.service. Change it with "poolctl init %[1]s --force ...", or with a
# drop-in (systemctl edit %[1]s), e.g. for MemoryMax= or CPUQuota=, which
# workers = auto sizes the pool from. See poold(8) and docs/systemd.md.
`, s.name)
	return ownUnit(units.Service, header, s.name, map[string][]string{"[Service]": s.serviceLines()})
}

// ownUnit makes the template unit the unit of pool name: header instead of
// the template's opening comment, the template's units (poold@%i.socket)
// and its instance (%i) named after the pool, and after a section's header
// the lines extra has for it.
func ownUnit(template, header, name string, extra map[string][]string) string {
	body := template[strings.Index(template, "\n[Unit]\n")+1:]
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, line := range strings.SplitAfter(body, "\n") {
		line = strings.ReplaceAll(line, "poold@%i.", name+".")
		b.WriteString(strings.ReplaceAll(line, "%i", name))
		for _, l := range extra[strings.TrimSpace(line)] {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
