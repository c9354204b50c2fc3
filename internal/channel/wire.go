package channel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

const (
	// MaxLine is the longest line either side may write, newline included.
	MaxLine = 64 << 10
	// MaxData bounds a broadcast's and the config's JSON: the envelope
	// poold adds must still fit in MaxLine.
	MaxData = MaxLine - 1024
)

// errLineTooLong reports a line over MaxLine, which is skipped.
var errLineTooLong = fmt.Errorf("longer than %d bytes", MaxLine)

// readLine returns the next line without its newline. A line over MaxLine
// is skipped up to its newline and reported as errLineTooLong, so that the
// stream stays in step.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > MaxLine {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil:
			return line, err // a last line without newline is not a line: the start of one, kept by a freeze
		case tooLong:
			return nil, errLineTooLong
		}
		return bytes.TrimSuffix(line, []byte("\n")), nil
	}
}

// incoming is any line a worker sends; which fields count depends on Op.
type incoming struct {
	Op      string          `json:"op"`
	Version int             `json:"version"`
	Runtime string          `json:"runtime"`
	State   string          `json:"state"`
	Data    json.RawMessage `json:"data"`

	LoopDelayMeanMs *float64 `json:"loopDelayMeanMs"`
	LoopDelayP99Ms  *float64 `json:"loopDelayP99Ms"`
	LoopDelayMaxMs  *float64 `json:"loopDelayMaxMs"`
	RSSBytes        *float64 `json:"rssBytes"`
	HeapUsedBytes   *float64 `json:"heapUsedBytes"`
	HeapTotalBytes  *float64 `json:"heapTotalBytes"`
	Requests        *float64 `json:"requests"`
	ActiveRequests  *float64 `json:"activeRequests"`
}

// decode parses a line. A field of the wrong type is left zero rather than
// losing the line, as for a metric the worker could not compute.
func decode(line []byte) (incoming, error) {
	var in incoming
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(line, &in); err != nil && !errors.As(err, &typeErr) {
		return in, fmt.Errorf("not a JSON object: %w", err)
	}
	if in.Op == "" {
		return in, errors.New(`no "op" field`)
	}
	return in, nil
}

// Metrics are a worker's latest figures from its metrics op. A field the
// worker left out, or sent as a negative or non-finite number, is zero.
type Metrics struct {
	LoopDelayMean, LoopDelayP99, LoopDelayMax time.Duration
	RSSBytes, HeapUsedBytes, HeapTotalBytes   uint64
	Requests, ActiveRequests                  uint64
}

func (in incoming) metrics() Metrics {
	return Metrics{
		LoopDelayMean:  millis(in.LoopDelayMeanMs),
		LoopDelayP99:   millis(in.LoopDelayP99Ms),
		LoopDelayMax:   millis(in.LoopDelayMaxMs),
		RSSBytes:       count(in.RSSBytes),
		HeapUsedBytes:  count(in.HeapUsedBytes),
		HeapTotalBytes: count(in.HeapTotalBytes),
		Requests:       count(in.Requests),
		ActiveRequests: count(in.ActiveRequests),
	}
}

// maxCount keeps conversions from float64 defined: 2^53, the largest
// integer JSON numbers carry exactly.
const maxCount = 1 << 53

func count(f *float64) uint64 {
	if f == nil || !(*f >= 0 && *f <= maxCount) { // also false for NaN
		return 0
	}
	return uint64(*f)
}

func millis(f *float64) time.Duration {
	if f == nil || !(*f >= 0 && *f <= float64(math.MaxInt64/int64(time.Millisecond))) {
		return 0
	}
	return time.Duration(*f * float64(time.Millisecond))
}

// From is who sent a message: another worker, or the control plane.
type From struct {
	Kind string `json:"kind"` // "worker" or "control"
	Slot *int   `json:"slot,omitempty"`
	PID  int    `json:"pid,omitempty"`
}

// FromControl marks a broadcast that came through D-Bus (poolctl).
var FromControl = From{Kind: "control"}

func fromWorker(p Peer) From {
	slot := p.Slot
	return From{Kind: "worker", Slot: &slot, PID: p.PID}
}

func messageLine(from From, data json.RawMessage) []byte {
	return encode(struct {
		Op   string          `json:"op"`
		From From            `json:"from"`
		Data json.RawMessage `json:"data"`
	}{"message", from, data})
}

func configLine(data json.RawMessage) []byte {
	return encode(struct {
		Op   string          `json:"op"`
		Data json.RawMessage `json:"data"`
	}{"config", data})
}

func errorLine(text string) []byte {
	return encode(struct {
		Op    string `json:"op"`
		Error string `json:"error"`
	}{"error", text})
}

// encode marshals what cannot fail to marshal (strings, ints and JSON
// already checked by CheckData) as one line.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("channel: encode: " + err.Error())
	}
	return append(b, '\n')
}

// CheckData checks that data is one JSON value of at most MaxData bytes,
// and returns it compacted (json.Marshal would compact it anyway; doing it
// here lets the size check count what is sent).
func CheckData(data []byte) (json.RawMessage, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty: want a JSON value, such as {\"type\":\"invalidate\",\"key\":\"users\"}")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if buf.Len() > MaxData {
		return nil, fmt.Errorf("%d bytes of JSON: at most %d", buf.Len(), MaxData)
	}
	return buf.Bytes(), nil
}
