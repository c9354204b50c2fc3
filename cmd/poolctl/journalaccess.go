package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// journalDirs hold the system journal's files: persistent, then volatile.
var journalDirs = []string{"/var/log/journal", "/run/log/journal"}

// canReadSystemJournal reports whether this user may open a file of the
// system journal (root may; others by the systemd-journal or adm group, as
// a file's group or in its ACL). known is false when there is no such file
// to judge by (no journald): journalctl then says what it says.
func canReadSystemJournal(dirs []string) (readable, known bool) {
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*", "system*.journal"))
		for _, f := range files {
			known = true
			if unix.Access(f, unix.R_OK) == nil {
				return true, true
			}
		}
	}
	return false, known
}

// noJournalAccessError: the pool's lines are in the system journal, which
// this user cannot read.
type noJournalAccessError struct {
	pool string
	args string // poolctl's arguments, to run again with sudo
}

func (e *noJournalAccessError) Error() string {
	who := "this user"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	return fmt.Sprintf("pool %s's workers write to the system journal, which %s may not read: run sudo poolctl %s, "+
		"or join the systemd-journal group (sudo usermod -aG systemd-journal %s; the adm group can read it too) and log in again",
		e.pool, who, e.args, who)
}

// checkJournalAccess fails with what to do when the system journal exists
// and this user cannot read it.
func checkJournalAccess(q logsQuery) error {
	if os.Geteuid() == 0 {
		return nil
	}
	if readable, known := canReadSystemJournal(journalDirs); readable || !known {
		return nil
	}
	return &noJournalAccessError{pool: q.name, args: shellJoin(q.argv())}
}
