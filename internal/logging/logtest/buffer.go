// Package logtest has a log destination for tests.
package logtest

import (
	"bytes"
	"strings"
	"sync"
)

// Buffer keeps what loggers write to it, from any goroutine, for a test to
// read.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Count returns how many of the lines kept contain s.
func (b *Buffer) Count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for line := range strings.Lines(b.buf.String()) {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// Take returns the lines kept, without their newlines, and forgets them.
func (b *Buffer) Take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSuffix(b.buf.String(), "\n")
	b.buf.Reset()
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
