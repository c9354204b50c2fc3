package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/poold/poold/activation"
)

// metricsName names the metrics socket in bind errors.
const metricsName = "metrics"

// parseMetricsListen reads --metrics-listen: empty for off, else an address
// in --listen's forms without a NAME= prefix.
func parseMetricsListen(s string) (activation.ListenSpec, error) {
	if s == "" {
		return activation.ListenSpec{}, nil
	}
	if i := strings.IndexByte(s, '='); i >= 0 && !strings.Contains(s[:i], ":") {
		return activation.ListenSpec{}, fmt.Errorf("--metrics-listen %q: want HOST:PORT, [IPV6]:PORT, :PORT or unix:/PATH, without NAME=", s)
	}
	spec, err := activation.ParseListen(s)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil { // drop ParseListen's "--listen" prefix
			err = inner
		}
		return activation.ListenSpec{}, fmt.Errorf("--metrics-listen %q: %w", s, err)
	}
	spec.Name = metricsName
	return spec, nil
}
