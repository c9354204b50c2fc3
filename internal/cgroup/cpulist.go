package cgroup

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxCPU bounds CPU numbers far above any kernel's NR_CPUS.
const maxCPU = 1 << 20

// ParseCPUList counts the CPUs in a kernel CPU list such as "0-3,6" (5).
// Overlaps count once; an empty list counts 0.
func ParseCPUList(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	var spans [][2]int
	for _, part := range strings.Split(s, ",") {
		lo, hi, err := parseSpan(part)
		if err != nil {
			return 0, fmt.Errorf("parse CPU list %q: element %q: %w; want N or N-M with N <= M, as in \"0-3,6\"", s, part, err)
		}
		spans = append(spans, [2]int{lo, hi})
	}
	return countSpans(spans), nil
}

func parseSpan(part string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(part, "-")
	if lo, err = parseCPU(a); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = parseCPU(b); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, errors.New("reversed range")
	}
	return lo, hi, nil
}

func parseCPU(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("not a CPU number")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxCPU {
		return 0, fmt.Errorf("CPU number above %d", maxCPU)
	}
	return n, nil
}

// countSpans counts the integers covered by inclusive spans.
func countSpans(spans [][2]int) int {
	slices.SortFunc(spans, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	n, next := 0, 0 // next: first CPU not yet counted
	for _, sp := range spans {
		lo := max(sp[0], next)
		if sp[1] >= lo {
			n += sp[1] - lo + 1
			next = sp[1] + 1
		}
	}
	return n
}
