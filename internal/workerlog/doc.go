// Package workerlog carries the workers' stdout and stderr to where
// --worker-logs says: the journal, with fields naming each line's pool,
// slot, generation, worker and PID, or poold's own stdout and stderr with
// each line prefixed by the pool, slot and PID.
//
// journald's stdout stream protocol, the one systemd hands a service as its
// fds 1 and 2, carries no fields of the writer's choosing: a worker writing
// to it could not be told from another. So each worker gets one pipe for
// its stdout and one for its stderr, and poold reads them, cuts lines and
// sends each with the native protocol.
//
// Invariants:
//   - each stream of each worker has its own reader goroutine; nothing else
//     reads the pipes, and the supervisor loop never waits for one;
//   - a reader hands each line to the sink before it reads more: a slow sink
//     (a journal that blocks) fills that worker's pipe and blocks that
//     worker's writes, no other worker's and never poold's loop;
//   - a line is at most MaxLine bytes: longer ones are passed on in pieces,
//     as journald's LineMax= does; a last line without a newline is passed
//     on when the pipe ends (the worker and every process that inherited
//     its output have exited);
//   - a reader ends at EOF, or when Output.Close closes its pipe at
//     shutdown; Close waits for every reader.
package workerlog
