package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/poold/poold/internal/listenspec"
)

// metricsName names the metrics socket in bind errors.
const metricsName = "metrics"

// parseMetricsListen reads --metrics-listen: empty for off, else an address
// in --listen's forms without a NAME= prefix.
func parseMetricsListen(s string) (listenspec.Spec, error) {
	if s == "" {
		return listenspec.Spec{}, nil
	}
	if i := strings.IndexByte(s, '='); i >= 0 && !strings.Contains(s[:i], ":") {
		return listenspec.Spec{}, fmt.Errorf("--metrics-listen %q: want HOST:PORT, [IPV6]:PORT, :PORT or unix:/PATH, without NAME=", s)
	}
	spec, err := listenspec.Parse(s)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil { // drop ParseListen's "--listen" prefix
			err = inner
		}
		return listenspec.Spec{}, fmt.Errorf("--metrics-listen %q: %w", s, err)
	}
	spec.Name = metricsName
	return spec, nil
}
