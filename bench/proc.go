package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, 100 on every Linux architecture Go runs on.
const clockTicks = 100

// procStat is what the harness reads of /proc/PID/stat.
type procStat struct {
	PPID int
	Comm string
	CPU  float64 // user + system seconds
	// ChildCPU is the user + system seconds of its children that have
	// exited and been waited for (cutime + cstime); 0 when the line is cut
	// short.
	ChildCPU float64
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(b))
}

func parseStat(s string) (procStat, error) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("bad stat %q", s)
	}
	f := strings.Fields(s[end+1:])
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("bad stat %q", s)
	}
	ppid, err1 := strconv.Atoi(f[1])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, fmt.Errorf("bad stat %q", s)
	}
	ps := procStat{PPID: ppid, Comm: s[open+1 : end], CPU: float64(ut+st) / clockTicks}
	if len(f) >= 15 { // cutime is field 16, cstime 17
		cut, err1 := strconv.ParseInt(f[13], 10, 64)
		cst, err2 := strconv.ParseInt(f[14], 10, 64)
		if err1 == nil && err2 == nil {
			ps.ChildCPU = float64(cut+cst) / clockTicks
		}
	}
	return ps, nil
}

// cpuSeconds is the user+system CPU time of pid, 0 when it is gone.
func cpuSeconds(pid int) float64 {
	st, err := readStat(pid)
	if err != nil {
		return 0
	}
	return st.CPU
}

// treeCPU is the CPU time of pid and its children, seconds: its own, that
// of its live children, and that of the children it has waited for, so
// that the difference of two readings counts the workers that exited in
// between, up to their exit. 0 when pid is gone.
func treeCPU(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	st, err := readStat(pid)
	if err != nil {
		return 0
	}
	total := st.CPU + st.ChildCPU
	for _, c := range children(pid) {
		if cs, err := readStat(c); err == nil {
			total += cs.CPU + cs.ChildCPU
		}
	}
	return total
}

// rssKiB is the resident set of pid in KiB (VmRSS), 0 when it is gone.
func rssKiB(pid int) int64 { return statusKiB(pid, "VmRSS") }

// statusKiB reads a KiB field of /proc/PID/status (VmRSS, RssAnon,
// RssFile), 0 when it is missing.
func statusKiB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// children lists the live child processes of pid, skipping those whose
// command name is in skip (a private dbus-daemon is no worker) and zombies.
func children(pid int, skip ...string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		st, err := parseStat(string(b))
		if err != nil || st.PPID != pid || isZombie(string(b)) {
			continue
		}
		skipped := false
		for _, s := range skip {
			skipped = skipped || st.Comm == s
		}
		if !skipped {
			out = append(out, c)
		}
	}
	return out
}

func isZombie(stat string) bool {
	end := strings.LastIndexByte(stat, ')')
	f := strings.Fields(stat[end+1:])
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

// systemCPU is the machine's busy time (user, nice, system, irq, softirq)
// and steal time (taken by the hypervisor), seconds over all CPUs, from
// /proc/stat.
func systemCPU() (busy, steal float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	v := make([]float64, 8)
	for i := range v {
		n, _ := strconv.ParseInt(f[i+1], 10, 64)
		v[i] = float64(n) / clockTicks
	}
	// user nice system idle iowait irq softirq steal
	return v[0] + v[1] + v[2] + v[5] + v[6], v[7]
}

// environ reads one variable of pid's initial environment.
func environ(pid int, key string) (string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return "", false
	}
	for _, kv := range strings.Split(string(b), "\x00") {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v, true
		}
	}
	return "", false
}
