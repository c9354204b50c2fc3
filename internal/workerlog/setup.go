package workerlog

import (
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/term"
)

// journalEnabled reports whether the journal's native socket answers.
var journalEnabled = journalAnswers

// Setup returns the Output that mode calls for, nil for Inherit, and the
// mode it resolved Auto to. stderrIsJournal says whether poold's stderr
// is the journal (go-systemd's journal.StderrIsJournalStream); stdout and
// stderr are poold's. An explicit journal mode without a journal is an
// error; Auto then falls back to Prefix.
func Setup(mode Mode, stderrIsJournal bool, command []string, stdout, stderr *os.File, log *slog.Logger) (*Output, Mode, error) {
	resolved := mode.Resolve(stderrIsJournal)
	if resolved == Journal && !journalEnabled() {
		if mode == Journal {
			return nil, 0, fmt.Errorf("--worker-logs journal: the journal does not answer at /run/systemd/journal/socket")
		}
		log.Warn("stderr is the journal, but its native socket does not answer: worker output is prefixed on stderr")
		resolved = Prefix
	}
	plain := NewPrefixSink(stdout, stderr, false, false)
	switch resolved {
	case Journal:
		return NewOutput(NewJournalSink(command), plain, log), resolved, nil
	case Prefix:
		return NewOutput(NewPrefixSink(stdout, stderr, colourFor(stdout), colourFor(stderr)), nil, log), resolved, nil
	}
	return nil, resolved, nil
}

// colourFor says whether lines to f get coloured prefixes: on a terminal,
// unless NO_COLOR is set (no-color.org).
func colourFor(f *os.File) bool {
	return os.Getenv("NO_COLOR") == "" && term.IsTerminal(int(f.Fd()))
}
