// Package python holds poold.py, the module that Python workers import to
// serve on the pool's sockets, say READY=1, send heartbeats and drain on
// SIGTERM without failing a request (docs/python.md), and its tests:
// test_poold.py, which go test runs with python3 (and skips without it).
// The packages install poold.py where Python finds it; nothing here is Go
// but this test.
package python
