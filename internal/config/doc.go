// Package config turns poold's command line, its config file (--config)
// and its environment into one validated Config.
//
// Invariants:
//   - config is a leaf: it imports none of the packages that bind, spawn or
//     serve, only leaves of values (mode, listenspec, bytesize), so that a
//     reload can read a configuration again without touching the pool.
//   - It alone fills defaults (the flags' defaults, Default*) and validates;
//     the packages that act on a Config take its values as they are.
//   - Parsing and building a WorkerSpec have no side effects beyond reading
//     the config file: no file made, no socket bound, nothing logged.
//
// Every problem is reported at once (errors.Join), before any socket is
// bound or worker started, a problem of the config file as FILE:LINE;
// nothing reads flags later by name. The command line wins over the file,
// the file over the environment.
package config
