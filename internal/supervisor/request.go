package supervisor

import "context"

// ask sends a request to the loop and waits for its reply. It gives up with
// ErrStopped once the loop has ended, and with ctx.Err() when ctx ends first;
// a request already sent is carried out all the same.
func ask[T any](ctx context.Context, s *Supervisor, req message, reply <-chan T) (T, error) {
	var zero T
	select {
	case s.events <- req:
	case <-s.done:
		return zero, ErrStopped
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case v := <-reply:
		return v, nil
	case <-s.done:
		return zero, ErrStopped
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// request is ask for requests whose reply is an error.
func (s *Supervisor) request(ctx context.Context, req message, reply <-chan error) error {
	err, askErr := ask(ctx, s, req, reply)
	if askErr != nil {
		return askErr
	}
	return err
}
