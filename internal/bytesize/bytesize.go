// Package bytesize reads and writes sizes in bytes the way poold's flags
// and messages spell them: "512M", "1.5 GiB".
package bytesize

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// units are the binary size suffixes Parse accepts, lower case,
// longest first so "kib" wins over "b".
var units = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// Parse parses a byte size with an optional binary unit: "1048576",
// "512M", "512MiB", "1G", "1.5GiB" (K, M, G, T, case-insensitive; "iB" and
// a space before the unit are optional). It parses the --worker-memory flag.
func Parse(s string) (int64, error) {
	num, mult := splitUnit(strings.ToLower(strings.TrimSpace(s)))
	if !isDecimal(num) {
		return 0, fmt.Errorf("parse size %q: want bytes or a number with K, M, G or T (or KiB, MiB, GiB, TiB), e.g. 1048576, 512M, 1.5GiB", s)
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, fmt.Errorf("parse size %q: too large", s)
		}
		return n * mult, nil
	}
	if mult == 1 {
		return 0, fmt.Errorf("parse size %q: fractional bytes; use a unit, e.g. 1.5GiB", s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f*float64(mult) >= math.MaxInt64 {
		return 0, fmt.Errorf("parse size %q: too large", s)
	}
	return int64(f * float64(mult)), nil
}

func splitUnit(s string) (num string, mult int64) {
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			return strings.TrimSpace(n), u.mult
		}
	}
	return s, 1
}

// isDecimal reports whether s is digits with at most one '.' among them.
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// Format renders n in B, KiB, MiB or GiB, with one decimal only when
// the value is not a whole number of the unit: "256 MiB", "1.5 GiB".
func Format(n int64) string {
	unit, name := int64(1), "B"
	switch {
	case n >= 1<<30:
		unit, name = 1<<30, "GiB"
	case n >= 1<<20:
		unit, name = 1<<20, "MiB"
	case n >= 1<<10:
		unit, name = 1<<10, "KiB"
	}
	if n%unit == 0 {
		return fmt.Sprintf("%d %s", n/unit, name)
	}
	return fmt.Sprintf("%.1f %s", float64(n)/float64(unit), name)
}
