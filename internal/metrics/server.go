package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/poold/poold/activation"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Server serves GET /metrics on a socket of its own.
type Server struct {
	srv    *http.Server
	ln     net.Listener
	sock   activation.Socket // for its read-back network and address
	served chan struct{}     // closed once Serve has returned
	// started is set by Start; Start and Stop are called in turn, from
	// the lifecycle's goroutine.
	started bool
	log     *slog.Logger
}

// Listen binds spec the way --listen sockets are bound (a stale unix socket
// file is replaced) and returns a server of h that has not started
// serving. Errors name the address: "address already in use" among them.
func Listen(spec activation.ListenSpec, h http.Handler, log *slog.Logger) (*Server, error) {
	socks, err := activation.Bind([]activation.ListenSpec{spec})
	if err != nil {
		var berr *activation.BindError
		if errors.As(err, &berr) {
			err = berr.Err
		}
		return nil, fmt.Errorf("metrics endpoint %s: %w", address(spec), err)
	}
	srv, err := serveOn(socks[0], h, log)
	if err != nil {
		return nil, fmt.Errorf("metrics endpoint %s: %w", address(spec), err)
	}
	return srv, nil
}

// serveOn returns a server of h on sock, which it closes: the server has
// a duplicate of its own.
func serveOn(sock activation.Socket, h http.Handler, log *slog.Logger) (*Server, error) {
	ln, err := net.FileListener(sock.File) // a non-blocking duplicate for the netpoller
	if cerr := sock.File.Close(); err == nil && cerr != nil {
		ln.Close()
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(Path, h)
	return &Server{
		srv:    &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		ln:     ln,
		sock:   sock,
		served: make(chan struct{}),
		log:    log,
	}, nil
}

// address is spec as --metrics-listen takes it.
func address(spec activation.ListenSpec) string {
	if spec.Network == "unix" {
		return "unix:" + spec.Address
	}
	return spec.Address
}

// Network and Addr are the bound socket's, read back from the kernel: the
// port chosen for port 0 among them.
func (s *Server) Network() string { return s.sock.Network }
func (s *Server) Addr() string    { return s.sock.Addr }

// Start serves in a goroutine of its own until Stop.
func (s *Server) Start() {
	s.started = true
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics endpoint stopped serving", "addr", s.Addr(), "err", err)
		}
	}()
}

// Stop closes the socket, lets scrapes in progress finish until ctx ends,
// then closes their connections, and waits for the serving goroutine.
func (s *Server) Stop(ctx context.Context) error {
	if !s.started {
		return s.ln.Close()
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	<-s.served // Serve returns as soon as Shutdown has closed the socket
	return err
}
