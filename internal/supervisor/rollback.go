package supervisor

import (
	"errors"
	"fmt"
	"sort"
)

// rollBack starts rolling back the slots a failed reload r replaced, when
// r changed the spec and some of its new workers run: the pool must not
// stay mixed. It reports whether it did; the rollback then answers r's
// caller when it ends (endRollback).
func (s *Supervisor) rollBack(r *rollout, err error) bool {
	var rerr *ReloadError
	if !r.specChanged || s.shuttingDown || !errors.As(err, &rerr) {
		return false
	}
	b := &rollout{kind: rollbackRollout, generation: s.generation, slot: -1, width: s.maxUnavailable(),
		reply: r.reply, started: s.clock.Now(), failed: r, cause: rerr, toldSystemd: r.toldSystemd}
	for _, w := range s.workers {
		if running(w) && w.generation == r.generation && w.slot < s.target {
			b.todo = append(b.todo, w)
		}
	}
	if len(b.todo) == 0 {
		return false
	}
	sort.Slice(b.todo, func(i, j int) bool { return b.todo[i].slot < b.todo[j].slot })
	s.rollout = b
	s.log.Warn("reload failed, rolling back", "generation", r.generation, "to", b.generation,
		"slots", len(b.todo), "err", err)
	return true
}

// endRollback ends the failed reload a rollback followed, and returns the
// error its caller gets: the reload's, saying how the rollback went.
func (s *Supervisor) endRollback(b *rollout, err error) error {
	cause := *b.cause
	cause.Previous = b.generation
	var rerr *ReloadError
	switch {
	case err == nil:
		cause.RolledBack = true
		s.log.Info("rollback complete", "generation", b.generation, "replaced", b.replaced)
	case errors.As(err, &rerr):
		cause.RollbackFailed = fmt.Sprintf("slot %d: %s", rerr.Slot, rerr.Reason)
	default:
		cause.RollbackFailed = err.Error()
	}
	s.endReload(b.failed, &cause)
	return &cause
}
