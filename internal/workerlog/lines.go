package workerlog

import (
	"bufio"
	"errors"
	"io"
)

// MaxLine is the longest line passed on whole: journald's LineMax= default.
// Longer lines are passed on in pieces of MaxLine bytes.
const MaxLine = 48 * 1024

// splitLines reads r to its end and calls emit with each line, without its
// '\n'. A line longer than max is emitted in pieces of max bytes (the
// newline that ends a line of exactly max bytes makes no empty line), and a
// last line without '\n' is emitted at EOF. emit must not keep the slice.
// A read error other than EOF ends it, after what came before it.
func splitLines(r io.Reader, max int, emit func([]byte)) error {
	br := bufio.NewReaderSize(r, max)
	split := false // the last piece emitted was cut at max bytes
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			if len(line) > 1 || !split {
				emit(line[:len(line)-1])
			}
			split = false
		case errors.Is(err, bufio.ErrBufferFull):
			emit(line)
			split = true
		default:
			if len(line) > 0 {
				emit(line)
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// levelPrefix reads a "<N>" at the start of line, N a syslog level 0-7
// (sd-daemon(3)'s SD_ERR and friends), the way journald does for stdout
// streams with SyslogLevelPrefix=yes, the default: "<3>", "<03>" and "<003>"
// are level 3; "<8>", "<13>" or "<x>" are not a prefix and stay in the line.
func levelPrefix(line []byte) (level int, rest []byte, ok bool) {
	if len(line) < 3 || line[0] != '<' {
		return 0, line, false
	}
	end := 0
	for i := 1; i < len(line) && i <= 4; i++ {
		if line[i] == '>' {
			end = i
			break
		}
	}
	if end < 2 {
		return 0, line, false
	}
	for _, c := range line[1 : end-1] {
		if c != '0' {
			return 0, line, false
		}
	}
	c := line[end-1]
	if c < '0' || c > '7' {
		return 0, line, false
	}
	return int(c - '0'), line[end+1:], true
}
