package proc

import (
	"slices"
	"strings"
	"time"
)

// outputDrainBound is how long an exited worker's Exited event waits for
// the rest of its output to be passed on: the pipes end as soon as its
// process group is gone, unless a process that left the group (a daemon
// it started) still holds them, whose output is then passed on later.
const outputDrainBound = 500 * time.Millisecond

// withoutJournalStream drops JOURNAL_STREAM: with fds 1 and 2 pipes to
// poold, it would name a stream that the worker's stderr is not.
func withoutJournalStream(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "JOURNAL_STREAM=") })
}
