// Package worker runs a net/http server as a poold worker: on the pool's
// sockets, ready once it listens, with heartbeats, and drained on SIGTERM
// without failing a request. It uses the standard library only, so that any
// Go program can import it (go get github.com/poold/poold; see
// docs/go.md), and it runs without poold too: on a laptop, Serve listens on
// srv.Addr and Ctrl-C drains the same way.
//
//	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux}
//	if err := worker.Serve(srv); err != nil {
//		log.Fatal(err)
//	}
//
// What Serve promises, from SIGTERM (or SIGINT, or the end of the context
// of ServeContext) on:
//
//   - It stops accepting first, by closing its own copies of the sockets:
//     connections not accepted yet stay queued on the shared sockets for the
//     pool's other workers.
//   - Every request it reads is answered, also on a connection it accepted
//     just before, whose request comes after the drain began. It never calls
//     http.Server.Shutdown while a connection it accepted is open: Shutdown
//     closes such a connection unanswered once its request arrives
//     (golang/go#75591), and closes idle kept-alive connections at once,
//     while their client may be sending its next request.
//   - Every answer it begins from then on says Connection: close, so that a
//     client's next request goes to another worker; a connection without a
//     request in flight is closed once it has been idle for IdleGrace.
//   - It returns before poold's SIGKILL: by 1 s before POOLD_STOP_TIMEOUT_MS,
//     or at 90% of it when that is under 10 s (9 s without poold), closing
//     the connections still open then. Its caller exits at once.
//
// Connections hijacked from the server (WebSockets) are the application's:
// Serve neither waits for them nor closes them.
package worker
