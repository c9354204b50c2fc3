package notify

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// wantErr is one bad line a test expects, matched by line, key and
// sentinel. Of a test's list, the first is the *ParseError's; the others
// are only counted in its Others.
type wantErr struct {
	line int
	key  string
	err  error
}

var parseTests = []struct {
	name     string
	give     string
	want     Message
	wantErrs []wantErr
}{
	{name: "empty", give: "", want: Message{}},
	{name: "ready", give: "READY=1", want: Message{Ready: true}},
	{
		name: "ready and status",
		give: "READY=1\nSTATUS=Serving 12 req/s\n",
		want: Message{Ready: true, Status: "Serving 12 req/s", HasStatus: true},
	},
	{
		name: "status with equals",
		give: "STATUS=a=b=c",
		want: Message{Status: "a=b=c", HasStatus: true},
	},
	{name: "empty status clears", give: "STATUS=", want: Message{HasStatus: true}},
	{
		name: "status utf8",
		give: "STATUS=läuft ✓",
		want: Message{Status: "läuft ✓", HasStatus: true},
	},
	{name: "reloading", give: "RELOADING=1", want: Message{Reloading: true}},
	{name: "stopping", give: "STOPPING=1", want: Message{Stopping: true}},
	{
		name: "extend timeout",
		give: "EXTEND_TIMEOUT_USEC=5000000",
		want: Message{ExtendTimeout: 5 * time.Second},
	},
	{
		name: "extend timeout infinity clamps",
		give: "EXTEND_TIMEOUT_USEC=18446744073709551615",
		want: Message{ExtendTimeout: time.Duration(maxUSec) * time.Microsecond},
	},
	{
		name: "watchdog usec",
		give: "WATCHDOG_USEC=30000000",
		want: Message{WatchdogUSec: 30 * time.Second, HasWatchdogUSec: true},
	},
	{name: "watchdog usec zero", give: "WATCHDOG_USEC=0", want: Message{HasWatchdogUSec: true}},
	{name: "watchdog", give: "WATCHDOG=1", want: Message{Watchdog: true}},
	{name: "watchdog trigger", give: "WATCHDOG=trigger", want: Message{WatchdogTrigger: true}},
	{
		name: "watchdog both",
		give: "WATCHDOG=1\nWATCHDOG=trigger",
		want: Message{Watchdog: true, WatchdogTrigger: true},
	},
	{name: "mainpid", give: "MAINPID=4242", want: Message{MainPID: 4242}},
	{name: "errno", give: "ERRNO=2", want: Message{Errno: 2, HasErrno: true}},
	{name: "errno zero", give: "ERRNO=0", want: Message{HasErrno: true}},
	{name: "barrier", give: "BARRIER=1", want: Message{Barrier: true}},
	{name: "fdstore", give: "FDSTORE=1\nFDNAME=http", want: Message{FDStore: true, Unknown: []string{"FDNAME"}}},
	{
		name: "unknown keys",
		give: "X_APP=7\nMONOTONIC_USEC=123\nREADY=1",
		want: Message{Ready: true, Unknown: []string{"X_APP", "MONOTONIC_USEC"}},
	},
	{
		name: "empty lines and CRLF",
		give: "\n\nREADY=1\r\nSTATUS=up\r\n\n",
		want: Message{Ready: true, Status: "up", HasStatus: true},
	},
	{
		name: "first valued assignment wins",
		give: "STATUS=one\nSTATUS=two\nMAINPID=1\nMAINPID=2",
		want: Message{Status: "one", HasStatus: true, MainPID: 1},
	},
	{
		name:     "no equals",
		give:     "READY=1\nhello\nSTATUS=ok",
		want:     Message{Ready: true, Status: "ok", HasStatus: true},
		wantErrs: []wantErr{{2, "", ErrNoAssignment}},
	},
	{
		name:     "empty key",
		give:     "=1\nREADY=1",
		want:     Message{Ready: true},
		wantErrs: []wantErr{{1, "", ErrEmptyKey}},
	},
	{
		name:     "ready 2",
		give:     "READY=2\nSTATUS=starting",
		want:     Message{Status: "starting", HasStatus: true},
		wantErrs: []wantErr{{1, "READY", ErrInvalidValue}},
	},
	{
		name:     "extend timeout abc",
		give:     "READY=1\nEXTEND_TIMEOUT_USEC=abc",
		want:     Message{Ready: true},
		wantErrs: []wantErr{{2, "EXTEND_TIMEOUT_USEC", ErrInvalidValue}},
	},
	{
		name:     "NUL in status",
		give:     "READY=1\nSTATUS=a\x00b",
		want:     Message{Ready: true},
		wantErrs: []wantErr{{2, "STATUS", ErrNUL}},
	},
	{
		name:     "invalid UTF-8 in status",
		give:     "STATUS=\xff\xfe\nWATCHDOG=1",
		want:     Message{Watchdog: true},
		wantErrs: []wantErr{{1, "STATUS", ErrInvalidUTF8}},
	},
	{
		name: "several bad lines",
		give: "READY=yes\nMAINPID=0\nERRNO=-1\nWATCHDOG=2\nWATCHDOG_USEC=+5\nSTOPPING=1",
		want: Message{Stopping: true},
		wantErrs: []wantErr{
			{1, "READY", ErrInvalidValue},
			{2, "MAINPID", ErrInvalidValue},
			{3, "ERRNO", ErrInvalidValue},
			{4, "WATCHDOG", ErrInvalidValue},
			{5, "WATCHDOG_USEC", ErrInvalidValue},
		},
	},
	{
		name:     "invalid key",
		give:     "A\xff=1\nB\x00=1\nBARRIER=1",
		want:     Message{Barrier: true},
		wantErrs: []wantErr{{1, "", ErrInvalidKey}, {2, "", ErrInvalidKey}},
	},
	{
		name:     "too long",
		give:     "READY=1\nSTATUS=" + strings.Repeat("x", MaxDatagram),
		want:     Message{},
		wantErrs: []wantErr{{0, "", ErrTooLong}},
	},
	{
		name: "exactly MaxDatagram",
		give: "STATUS=" + strings.Repeat("x", MaxDatagram-len("STATUS=")),
		want: Message{Status: strings.Repeat("x", MaxDatagram-len("STATUS=")), HasStatus: true},
	},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.give))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.give, got, tt.want)
			}
			checkErrs(t, err, tt.wantErrs)
		})
	}
}

func checkErrs(t *testing.T, err error, want []wantErr) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Errorf("err = %v, want nil", err)
		}
		return
	}
	var got *ParseError
	if !errors.As(err, &got) {
		t.Fatalf("err = %v (%T), want a *ParseError", err, err)
	}
	w := want[0]
	if got.Line != w.line || got.Key != w.key || !errors.Is(got, w.err) || got.Others != len(want)-1 {
		t.Errorf("error = {line %d, key %q, %v, %d others}, want {line %d, key %q, %v, %d others}",
			got.Line, got.Key, got.Err, got.Others, w.line, w.key, w.err, len(want)-1)
	}
}

func TestParseErrorMessage(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{give: "READY=2", want: `notify: line 1 (READY): invalid value "2"`},
		{give: "\nhello", want: "notify: line 2: not a KEY=VALUE assignment"},
		{give: strings.Repeat("x", MaxDatagram+1), want: "notify: datagram too long (over 4096 bytes)"},
		{give: "READY=1\nhello\nA=\x00\nREADY=2", want: "notify: line 2: not a KEY=VALUE assignment (and 2 more bad lines)"},
		{
			give: "STATUS=ok\nMAINPID=" + strings.Repeat("9", 100),
			want: `notify: line 2 (MAINPID): invalid value "` + strings.Repeat("9", 64) + `..."`,
		},
		{
			give: strings.Repeat("K", 70) + "=\x00",
			want: "notify: line 1 (" + strings.Repeat("K", 64) + "...): NUL byte",
		},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.give))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%.20q) error = %v, want %s", tt.give, err, tt.want)
		}
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		give Message
		want string
	}{
		{give: Message{}, want: ""},
		{give: Message{Ready: true, Status: "up", HasStatus: true}, want: "READY=1\nSTATUS=up"},
		{give: Message{Stopping: true, ExtendTimeout: 1500 * time.Millisecond}, want: "STOPPING=1\nEXTEND_TIMEOUT_USEC=1500000"},
		{give: Message{Watchdog: true, Unknown: []string{"X"}}, want: "WATCHDOG=1\nX="},
	}
	for _, tt := range tests {
		if got := tt.give.Encode(); got != tt.want {
			t.Errorf("%+v.Encode() = %q, want %q", tt.give, got, tt.want)
		}
	}
}

// A datagram of nothing but bad lines, as a worker flooding its notify
// socket sends them, costs a handful of allocations and one short error,
// however many lines it has.
func TestParseBadLinesAreCheap(t *testing.T) {
	for _, line := range []string{"x", "READY=2", "WATCHDOG=\xff", "A=\x00"} {
		b := []byte(strings.Repeat(line+"\n", MaxDatagram/(len(line)+1)))
		var err error
		allocs := testing.AllocsPerRun(20, func() { _, err = Parse(b) })
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Others != bytes.Count(b, []byte("\n"))-1 {
			t.Fatalf("%q lines: err = %v, want a *ParseError counting the others", line, err)
		}
		if allocs > 16 {
			t.Errorf("%q lines: %v allocations to parse %d bytes, want at most 16", line, allocs, len(b))
		}
		if n := len(err.Error()); n > 200 {
			t.Errorf("%q lines: error of %d bytes", line, n)
		}
	}
}

// BenchmarkParseBadLines parses a 4 KiB datagram of 2,048 bad lines.
func BenchmarkParseBadLines(b *testing.B) {
	d := []byte(strings.Repeat("x\n", MaxDatagram/2))
	b.ReportAllocs()
	for b.Loop() {
		Parse(d)
	}
}
