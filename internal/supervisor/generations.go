package supervisor

import (
	"maps"
	"slices"

	"github.com/poold/poold/internal/config"
)

// Generation is what the workers of one generation are made from. Its
// fields are plain values, so that the pool's generations can be handed
// over as JSON.
type Generation struct {
	Spec config.WorkerSpec
	// From is the generation it was built from: the pool's when the
	// reload that made it started; 0 for the first.
	From int
	// Changes is what changed from From's spec to this one.
	Changes config.SpecChange
}

// GenerationStatus is one live generation in a Status: it never carries
// the spec's environment, only the keys that changed.
type GenerationStatus struct {
	Generation int
	From       int
	Command    []string
	Changes    config.SpecChange
	Workers    int // its running workers
}

// addGeneration records generation gen, made from spec on top of from.
func (s *Supervisor) addGeneration(gen int, spec config.WorkerSpec, from int) Generation {
	g := Generation{Spec: spec, From: from}
	if prev, ok := s.generations[from]; ok {
		g.Changes = config.Diff(prev.Spec, spec)
	}
	s.generations[gen] = g
	return g
}

// specOf is the spec of generation gen. Every live generation has one:
// forgetGenerations keeps them.
func (s *Supervisor) specOf(gen int) config.WorkerSpec { return s.generations[gen].Spec }

// forgetGenerations drops the generations nothing needs any more: not the
// pool's, not a rollout's and no live worker's.
func (s *Supervisor) forgetGenerations() {
	maps.DeleteFunc(s.generations, func(gen int, _ Generation) bool { return !s.generationLive(gen) })
}

func (s *Supervisor) generationLive(gen int) bool {
	if gen == s.generation || s.rollout != nil && s.rollout.generation == gen {
		return true
	}
	for _, w := range s.workers {
		if w.generation == gen {
			return true
		}
	}
	return false
}

// generationStatuses are the live generations, oldest first.
func (s *Supervisor) generationStatuses() []GenerationStatus {
	out := make([]GenerationStatus, 0, len(s.generations))
	for _, gen := range slices.Sorted(maps.Keys(s.generations)) {
		g := s.generations[gen]
		n := 0
		for _, w := range s.workers {
			if w.generation == gen && running(w) {
				n++
			}
		}
		out = append(out, GenerationStatus{Generation: gen, From: g.From, Command: slices.Clone(g.Spec.Command), Changes: g.Changes, Workers: n})
	}
	return out
}
