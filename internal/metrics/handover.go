package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"syscall"
	"time"

	"github.com/poold/poold/activation"
	"github.com/poold/poold/internal/handoff"
)

// HandOver stops accepting, leaving the socket open with the connections
// queued on it, and returns its fd for the poold that an upgrade in place
// execs (Adopt). A scrape being answered is cut by the exec.
func (s *Server) HandOver() (int, error) {
	sc, ok := s.ln.(interface {
		syscall.Conn
		SetDeadline(time.Time) error
	})
	if !ok {
		return -1, fmt.Errorf("metrics endpoint: a %T cannot be handed over", s.ln)
	}
	// Serve takes the timeouts for temporary errors and retries: it
	// accepts nothing more, and ends with the exec.
	if err := sc.SetDeadline(time.Unix(1, 0)); err != nil {
		return -1, fmt.Errorf("metrics endpoint: %w", err)
	}
	return handoff.FD(sc)
}

// Adopt serves h on the socket a poold handed over (HandOver) before the
// exec of this one; it owns fd from then on.
func Adopt(fd int, h http.Handler, log *slog.Logger) (*Server, error) {
	sock, err := activation.Adopt(fd, "metrics", 0)
	if err != nil {
		return nil, fmt.Errorf("metrics endpoint: %w", err)
	}
	srv, err := serveOn(sock, h, log)
	if err != nil {
		return nil, fmt.Errorf("metrics endpoint %s: %w", sock.Addr, err)
	}
	return srv, nil
}
