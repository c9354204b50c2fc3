package workerlog

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/journal"
)

var web3 = Worker{Pool: "web", Slot: 3, Generation: 2, ID: 17, PID: 4242}

func TestJournalEntry(t *testing.T) {
	j := NewJournalSink([]string{"/usr/bin/node", "server.js"})
	tests := []struct {
		stream  Stream
		line    string
		wantMsg string
		wantPri journal.Priority
	}{
		{Stdout, "listening", "listening", journal.PriInfo},
		{Stderr, "TypeError: x is undefined", "TypeError: x is undefined", journal.PriErr},
		{Stdout, "<4>deprecated option", "deprecated option", journal.PriWarning},
		{Stderr, "<6>just chatty", "just chatty", journal.PriInfo},
		{Stdout, "<9>not a level", "<9>not a level", journal.PriInfo},
		{Stdout, "", "", journal.PriInfo},
	}
	for _, tt := range tests {
		e := j.entry(web3, tt.stream, []byte(tt.line))
		if e.message != tt.wantMsg || e.priority != tt.wantPri {
			t.Errorf("%v %q: message %q priority %d; want %q %d", tt.stream, tt.line, e.message, e.priority, tt.wantMsg, tt.wantPri)
		}
		want := map[string]string{
			"SYSLOG_IDENTIFIER": "node", "POOLD_POOL": "web", "POOLD_SLOT": "3", "POOLD_GENERATION": "2",
			"POOLD_WORKER_ID": "17", "POOLD_PID": "4242", "OBJECT_PID": "4242", "POOLD_STREAM": tt.stream.String(),
		}
		if !reflect.DeepEqual(e.fields, want) {
			t.Errorf("fields = %v, want %v", e.fields, want)
		}
		for k := range e.fields {
			if k == "" || k[0] == '_' || strings.ToUpper(k) != k {
				t.Errorf("field %q: journald would drop it", k)
			}
		}
	}
}

func TestJournalSinkSends(t *testing.T) {
	var got []string
	j := &JournalSink{ident: "x", send: func(entry []byte) error {
		got = append(got, string(entry))
		return errors.New("refused")
	}}
	if err := j.Line(web3, Stdout, []byte("hello")); err == nil || len(got) != 1 {
		t.Fatalf("Line: %v, sent %q", err, got)
	}
	want := "MESSAGE=hello\nPRIORITY=6\nOBJECT_PID=4242\nPOOLD_GENERATION=2\nPOOLD_PID=4242\nPOOLD_POOL=web\n" +
		"POOLD_SLOT=3\nPOOLD_STREAM=stdout\nPOOLD_WORKER_ID=17\nSYSLOG_IDENTIFIER=x\n"
	if got[0] != want {
		t.Errorf("entry %q, want %q", got[0], want)
	}
	if id := identifier(nil); id != "poold-worker" {
		t.Errorf("identifier(nil) = %q", id)
	}
}

func TestPrefixSink(t *testing.T) {
	var out, errOut bytes.Buffer
	p := NewPrefixSink(&out, &errOut, false, true)
	p.Line(web3, Stdout, []byte("GET / 200"))
	p.Line(Worker{Pool: "web", Slot: 0, PID: 7}, Stdout, []byte(""))
	p.Line(web3, Stderr, []byte("<3>oops"))
	if want := "[web 3 4242] GET / 200\n[web 0 7] \n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
	// Colours on stderr only, as asked; the line itself is left alone.
	if want := "\x1b[35m[web 3 4242]\x1b[0m <3>oops\n"; errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut.String(), want)
	}
}

func TestSlotsGetDifferentColours(t *testing.T) {
	seen := map[string]int{}
	for slot := range len(slotColours) {
		b := appendPrefix(nil, Worker{Pool: "p", Slot: slot, PID: 1}, true)
		seen[string(b[:strings.IndexByte(string(b), 'm')])] = slot
	}
	if len(seen) != len(slotColours) {
		t.Errorf("%d colours for %d slots", len(seen), len(slotColours))
	}
}

func TestSetup(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	defer func(f func() bool) { journalEnabled = f }(journalEnabled)
	tests := []struct {
		mode      Mode
		journal   bool // stderr is the journal
		enabled   bool // its native socket answers
		want      Mode
		wantNil   bool
		wantError string
	}{
		{Auto, true, true, Journal, false, ""},
		{Auto, false, true, Prefix, false, ""},
		{Auto, true, false, Prefix, false, ""},
		{Journal, false, true, Journal, false, ""},
		{Journal, true, false, 0, true, "--worker-logs journal: the journal does not answer"},
		{Prefix, true, true, Prefix, false, ""},
		{Inherit, true, true, Inherit, true, ""},
	}
	for _, tt := range tests {
		journalEnabled = func() bool { return tt.enabled }
		o, got, err := Setup(tt.mode, tt.journal, []string{"node"}, os.Stdout, os.Stderr, log)
		if tt.wantError != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantError) {
				t.Errorf("Setup(%v, %v, %v) error = %v, want %q", tt.mode, tt.journal, tt.enabled, err, tt.wantError)
			}
			continue
		}
		if err != nil || got != tt.want || (o == nil) != tt.wantNil {
			t.Errorf("Setup(%v, %v, %v) = %v, %v, %v; want %v", tt.mode, tt.journal, tt.enabled, o, got, err, tt.want)
		}
		if _, isJournal := sinkOf(o).(*JournalSink); o != nil && isJournal != (tt.want == Journal) {
			t.Errorf("Setup(%v, %v, %v): sink %T", tt.mode, tt.journal, tt.enabled, sinkOf(o))
		}
	}
}

func sinkOf(o *Output) Sink {
	if o == nil {
		return nil
	}
	return o.sink
}
