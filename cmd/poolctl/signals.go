package main

import (
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The real-time signals as kill(1) numbers them: glibc keeps 32 and 33 for
// itself, so SIGRTMIN is 34.
const (
	sigRTMin = 34
	sigRTMax = 64
)

// signalAliases are the second names Linux gives some signals.
var signalAliases = map[string]string{"IOT": "ABRT", "POLL": "IO", "CLD": "CHLD"}

// parseSignal reads a signal as kill(1) does: HUP, SIGHUP, sighup, RTMIN+2,
// RTMAX-1 or a number from 1 to 64.
func parseSignal(s string) (syscall.Signal, error) {
	if isDigits(s) {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil || n < 1 || n > sigRTMax {
			return 0, usagef("signal number %s is out of range (1-%d)", s, sigRTMax)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	name = strings.TrimPrefix(name, "SIG")
	if alias, ok := signalAliases[name]; ok {
		name = alias
	}
	if sig, ok := parseRealtime(name); ok {
		return sig, nil
	}
	if sig := unix.SignalNum("SIG" + name); sig != 0 && name != "" {
		return sig, nil
	}
	return 0, usagef("unknown signal %q; use one of %s, RTMIN+N, RTMAX-N or a number 1-%d", s, signalList(), sigRTMax)
}

// parseRealtime reads RTMIN, RTMIN+N, RTMAX and RTMAX-N.
func parseRealtime(name string) (syscall.Signal, bool) {
	base, sign := sigRTMin, 1
	rest, ok := strings.CutPrefix(name, "RTMIN")
	if !ok {
		base, sign = sigRTMax, -1
		if rest, ok = strings.CutPrefix(name, "RTMAX"); !ok {
			return 0, false
		}
	}
	if rest == "" {
		return syscall.Signal(base), true
	}
	op := "+"
	if sign < 0 {
		op = "-"
	}
	digits, ok := strings.CutPrefix(rest, op)
	n, err := strconv.ParseUint(digits, 10, 8)
	if !ok || err != nil {
		return 0, false
	}
	sig := base + sign*int(n)
	if sig < sigRTMin || sig > sigRTMax {
		return 0, false
	}
	return syscall.Signal(sig), true
}

// signalName is how poolctl names a signal: SIGHUP, SIGRTMIN+2.
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	if sig >= sigRTMin && sig <= sigRTMax {
		return "SIGRTMIN+" + strconv.Itoa(int(sig)-sigRTMin)
	}
	return "signal " + strconv.Itoa(int(sig))
}

// signalNames are the named signals of this platform, without SIG.
func signalNames() []string {
	var names []string
	for sig := syscall.Signal(1); sig < sigRTMin; sig++ {
		if name := unix.SignalName(sig); name != "" {
			names = append(names, strings.TrimPrefix(name, "SIG"))
		}
	}
	return names
}

func signalList() string { return strings.Join(signalNames(), " ") }

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
