package workerlog

import (
	"io"
	"strconv"
	"sync"
)

// slotColours are the prefix colours, by slot: the ANSI colours docker
// compose gives its services, without red (errors) and black/white
// (invisible on some terminals).
var slotColours = []string{"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"}

// PrefixSink writes each line to poold's stdout or stderr, the worker's
// own stream, as "[POOL SLOT PID] line", the prefix coloured per slot
// where that output is a terminal. Each line is one write.
type PrefixSink struct {
	mu     sync.Mutex
	out    [2]io.Writer // by Stream - 1
	colour [2]bool
}

// NewPrefixSink writes stdout lines to stdout and stderr lines to stderr,
// with colours on each where colourOut, colourErr say.
func NewPrefixSink(stdout, stderr io.Writer, colourOut, colourErr bool) *PrefixSink {
	return &PrefixSink{out: [2]io.Writer{stdout, stderr}, colour: [2]bool{colourOut, colourErr}}
}

func (p *PrefixSink) Line(w Worker, s Stream, line []byte) error {
	i := 0
	if s == Stderr {
		i = 1
	}
	buf := make([]byte, 0, len(line)+48)
	buf = appendPrefix(buf, w, p.colour[i])
	buf = append(append(buf, line...), '\n')
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.out[i].Write(buf)
	return err
}

// appendPrefix appends "[POOL SLOT PID] ".
func appendPrefix(buf []byte, w Worker, colour bool) []byte {
	if colour {
		buf = append(buf, "\x1b["+slotColours[w.Slot%len(slotColours)]+"m"...)
	}
	buf = append(append(buf, '['), w.Pool...)
	buf = strconv.AppendInt(append(buf, ' '), int64(w.Slot), 10)
	buf = strconv.AppendInt(append(buf, ' '), int64(w.PID), 10)
	buf = append(buf, ']')
	if colour {
		buf = append(buf, "\x1b[0m"...)
	}
	return append(buf, ' ')
}
