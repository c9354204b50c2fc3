package bench

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Wrk is what one wrk run reported.
type Wrk struct {
	Requests int64   `json:"requests"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	// Latency percentiles in milliseconds, keyed "50", "75", "90", "99"
	// (wrk --latency).
	Latency map[string]float64 `json:"latency_ms"`
	Connect int64              `json:"err_connect"`
	Read    int64              `json:"err_read"`
	Write   int64              `json:"err_write"`
	Timeout int64              `json:"err_timeout"`
	Non2xx  int64              `json:"non_2xx_3xx"`
	// CPU is wrk's own user+system time, seconds: the load generator's
	// share of the cores the servers also use.
	CPU float64 `json:"wrk_cpu_s"`
}

// Failed counts the requests that did not get a good answer: socket errors
// of every kind and responses outside 2xx/3xx.
func (w Wrk) Failed() int64 {
	return w.Connect + w.Read + w.Write + w.Timeout + w.Non2xx
}

// Load is one kind of load wrk puts on a contender.
type Load struct {
	Name  string // key in results: keepalive, close, heavy
	Label string
	Path  string // URL path and query
	Conns int
	Close bool // Connection: close, a new connection per request
}

// Loads are the three loads of the issue, /heavy with the given loop length.
func Loads(heavyN int) []Load {
	return []Load{
		{Name: "keepalive", Label: "keep-alive", Path: "/", Conns: 50},
		{Name: "close", Label: "new connection per request", Path: "/", Conns: 50, Close: true},
		{Name: "heavy", Label: "CPU-bound /heavy", Path: fmt.Sprintf("/heavy?n=%d", heavyN), Conns: 8},
	}
}

// WrkArgs is the wrk command line for a load against addr, with the load
// generator pinned to cpus (taskset -c) unless cpus is empty.
func WrkArgs(l Load, addr string, d time.Duration, threads int, cpus string) []string {
	var args []string
	if cpus != "" {
		args = append(args, "taskset", "-c", cpus)
	}
	args = append(args, "wrk", "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(l.Conns),
		"-d"+strconv.Itoa(int(d.Round(time.Second)/time.Second))+"s", "--latency", "--timeout", "5s")
	if l.Close {
		args = append(args, "-H", "Connection: close")
	}
	return append(args, "http://"+addr+l.Path)
}

// RunWrk runs wrk with args (from WrkArgs) and parses its report.
func RunWrk(ctx context.Context, args []string) (Wrk, string, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Wrk{}, string(out), fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	w, err := ParseWrk(string(out))
	w.CPU = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return w, string(out), err
}

// ParseWrk reads wrk's text report: the request count and duration, the
// latency distribution (--latency), socket errors and non-2xx/3xx answers.
func ParseWrk(out string) (Wrk, error) {
	w := Wrk{Latency: map[string]float64{}}
	var haveTotal, haveRPS bool
	inDist := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		switch {
		case line == "Latency Distribution":
			inDist = true
			continue
		case inDist && len(f) == 2 && strings.HasSuffix(f[0], "%"):
			ms, err := parseDuration(f[1])
			if err != nil {
				return w, err
			}
			w.Latency[strings.TrimSuffix(strings.TrimSuffix(f[0], "%"), ".000")] = ms
			continue
		case strings.Contains(line, " requests in "):
			// 121234 requests in 10.01s, 30.00MB read
			if len(f) < 4 {
				return w, fmt.Errorf("wrk: bad line %q", line)
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return w, fmt.Errorf("wrk: bad count in %q", line)
			}
			ms, err := parseDuration(strings.TrimSuffix(f[3], ","))
			if err != nil {
				return w, err
			}
			w.Requests, w.Seconds, haveTotal = n, ms/1000, true
		case strings.HasPrefix(line, "Socket errors:"):
			// Socket errors: connect 0, read 12, write 0, timeout 3
			for i := 2; i+1 < len(f); i += 2 {
				n, err := strconv.ParseInt(strings.TrimSuffix(f[i+1], ","), 10, 64)
				if err != nil {
					return w, fmt.Errorf("wrk: bad socket errors %q", line)
				}
				switch f[i] {
				case "connect":
					w.Connect = n
				case "read":
					w.Read = n
				case "write":
					w.Write = n
				case "timeout":
					w.Timeout = n
				}
			}
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				return w, fmt.Errorf("wrk: bad line %q", line)
			}
			w.Non2xx = n
		case strings.HasPrefix(line, "Requests/sec:") && len(f) == 2:
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return w, fmt.Errorf("wrk: bad line %q", line)
			}
			w.RPS, haveRPS = v, true
		}
		inDist = false
	}
	if !haveTotal || !haveRPS {
		return w, fmt.Errorf("wrk: no summary in output: %q", out)
	}
	return w, nil
}

// parseDuration reads wrk's durations (12.5us, 3.40ms, 1.02s, 2.00m) in
// milliseconds.
func parseDuration(s string) (float64, error) {
	units := []struct {
		suffix string
		ms     float64
	}{{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("wrk: bad duration %q", s)
			}
			return v * u.ms, nil
		}
	}
	return 0, fmt.Errorf("wrk: bad duration %q", s)
}
