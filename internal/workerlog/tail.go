package workerlog

import (
	"bytes"
	"sync"
	"unicode/utf8"
)

// A worker's last lines on stderr, kept for the supervisor to show when
// the worker fails: at most TailLines, each cut to TailLineBytes, so a
// slot's record stays small whatever the worker writes.
const (
	TailLines     = 8
	TailLineBytes = 256
)

// tail keeps the last non-blank lines of one stream. Its reader adds
// them; the spawner reads them once the reader has ended, or a little
// before if the pipe stays open.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(line []byte) {
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	if len(line) > TailLineBytes {
		cut := TailLineBytes
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = append(line[:cut:cut], "…"...)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == TailLines {
		t.lines = append(t.lines[:0], t.lines[1:]...)
	}
	t.lines = append(t.lines, string(line))
}

func (t *tail) get() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return nil
	}
	return append([]string(nil), t.lines...)
}
