// Package testbound scales the tests' bounds by one factor that CI can
// raise: POOLD_TEST_TIMEOUT_FACTOR, a number of at least 1 (default 1).
//
// A bound is how long a test waits for an event before it fails, or how
// long a test's client waits for an answer: it only ends a stuck test, so
// raising it never slows a passing test down. What a test measures (a
// backoff, a stop timeout, an absence looked for a while) is not a bound
// and stays as it is.
//
// The factor is read from the environment at every call, so that a helper
// process can set it before it asks; a factor that is not a number of at
// least 1 panics, naming the variable.
package testbound

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

// Env names the factor.
const Env = "POOLD_TEST_TIMEOUT_FACTOR"

// Scale returns d times the factor.
func Scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * Factor())
}

// Factor is $POOLD_TEST_TIMEOUT_FACTOR, or 1 when it is unset or empty.
func Factor() float64 {
	f, err := parse(os.Getenv(Env))
	if err != nil {
		panic(err)
	}
	return f
}

func parse(s string) (float64, error) {
	if s == "" {
		return 1, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || !(f >= 1) {
		return 0, fmt.Errorf("%s=%q: want a number of at least 1, the factor by which the tests' bounds grow", Env, s)
	}
	return f, nil
}
