package supervisor

import (
	"strings"
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	tests := []struct {
		give        State
		trigger     trigger
		want        State
		wantChanged bool
	}{
		{Starting, becameReady, Ready, true},
		{Starting, readyTimedOut, Stopping, true},
		{Starting, stopRequested, Stopping, true},
		{Starting, processExited, Reaped, true},
		{Ready, becameReady, Ready, false},
		{Ready, readyTimedOut, Ready, false},
		{Ready, stopRequested, Stopping, true},
		{Ready, processExited, Reaped, true},
		{Stopping, becameReady, Stopping, false},
		{Stopping, stopRequested, Stopping, false},
		{Stopping, processExited, Reaped, true},
		{Reaped, becameReady, Reaped, false},
		{Reaped, stopRequested, Reaped, false},
	}
	for _, tt := range tests {
		got, changed := next(tt.give, tt.trigger)
		if got != tt.want || changed != tt.wantChanged {
			t.Errorf("next(%v, %d) = %v, %v; want %v, %v", tt.give, tt.trigger, got, changed, tt.want, tt.wantChanged)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	tests := []struct {
		give int
		want time.Duration
	}{
		{0, 0}, {1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond},
		{4, 800 * time.Millisecond}, {5, time.Second}, {50, time.Second}, {1 << 30, time.Second},
	}
	for _, tt := range tests {
		if got := b.Delay(tt.give); got != tt.want {
			t.Errorf("Delay(%d) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		give    Options
		wantErr string
	}{
		{Options{Workers: 0}, "workers 0: want at least 1"},
		{Options{Workers: 2, MinReady: 3}, "min-ready 3: want 1..2"},
		{Options{Workers: 1, StopTimeout: -time.Second}, "stop-timeout -1s"},
		{Options{Workers: 2, MaxUnavailable: 2}, "max-unavailable 2: want 0..1"},
		{Options{Workers: 1, MaxUnavailable: 1}, "max-unavailable 1: want 0..0"},
		{Options{Workers: 2, MaxUnavailable: -1}, "max-unavailable -1"},
		{Options{Workers: 1, Backoff: Backoff{Initial: time.Second, Max: time.Millisecond}}, "backoff 1s..1ms"},
		// New fills none of the values config owns: zero is an error.
		{Options{Workers: 1, MinReady: -1}, "min-ready -1: want 1..1"},
		{Options{Workers: 1, ReadyTimeout: -1}, "ready-timeout -1ns"},
		{Options{Workers: 1, Ready: -1}, "ready mode ReadyMode(-1): unknown"},
	}
	for _, tt := range tests {
		_, err := New(testOptions(tt.give), nil, nil, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("New(%+v) error = %v, want %q", tt.give, err, tt.wantErr)
		}
	}
	for _, give := range []Options{{Workers: 1}, {Workers: 1, MaxWorkers: 1, MinReady: 1, Ready: ReadyAuto}} {
		if _, err := New(give, nil, nil, nil, nil); err == nil {
			t.Errorf("New(%+v) filled defaults that config owns", give)
		}
	}
}

func TestParseReadyMode(t *testing.T) {
	for _, m := range []ReadyMode{ReadyAuto, ReadyNotify, ReadyListening, ReadyDelay} {
		if got, err := ParseReadyMode(m.String()); err != nil || got != m {
			t.Errorf("ParseReadyMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseReadyMode("tcp"); err == nil {
		t.Error("ParseReadyMode(tcp) succeeded")
	}
}
