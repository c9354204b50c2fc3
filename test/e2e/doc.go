// Package e2e drives the real poold binary from outside: it builds
// ./cmd/poold once, runs it with workers that are this test binary
// re-executed as helpers (or python3, node, systemd-notify), and watches it
// through its log lines, a real listening socket, a real notify socket and
// the process table.
//
// Waiting is on events (a log line, an answer, an exit); every wait has a
// bound that only fails a stuck test. Every poold a test starts is stopped
// in t.Cleanup, which also checks that none of its workers survived it.
//
// The bounds (bound, a load's request timeout and deadline, the helpers'
// drain) grow with $POOLD_TEST_TIMEOUT_FACTOR, a number of at least 1
// (internal/testbound): POOLD_TEST_TIMEOUT_FACTOR=3 go test ./test/e2e/ on
// a slow or busy machine. Times a test measures or sets (a backoff, a stop
// timeout, a spike) do not grow.
//
// The tests assume no order the kernel or poold does not promise, so that
// they pass on a busy machine too: a write to a pipe longer than PIPE_BUF
// (4096 bytes) may be split, and another writer's line land inside it (a
// test that checks long lines gives poold's stdout a pipe of its own); a
// worker line that poold passes on has no fixed place among poold's own
// log lines (waitSeen finds it anywhere); and the kernel hands each
// connection on a shared socket to any worker waiting on it, with no turns
// (a test that wants every worker to answer asks for a time, not a count).
//
// Run with: go test ./test/e2e/ (as root for the PID 1 test; python3-systemd,
// systemd and node with examples/express/node_modules for the rest; a test
// whose tool is missing skips, or fails when CI is set).
package e2e
