package main

import (
	"fmt"
	"strings"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/plural"
)

// generationLines are the pool's live generations, one line each, with
// what changed from the one before: nothing for a pool that only ever ran
// its first generation, or that a poold without generations serves.
//
//	2 (from 1, 4 workers): command node a.js → node b.js; env +PORT ~DB_URL
func generationLines(p dbusapi.PoolInfo) []string {
	if len(p.Generations) == 0 || len(p.Generations) == 1 && p.Generations[0].From == 0 {
		return nil
	}
	lines := make([]string, 0, len(p.Generations))
	for _, g := range p.Generations {
		head := fmt.Sprintf("%d (%s", g.Generation, plural.Of(int(g.Workers), "worker"))
		if g.From != 0 {
			head = fmt.Sprintf("%d (from %d, %s", g.Generation, g.From, plural.Of(int(g.Workers), "worker"))
		}
		if g.Generation == p.Generation {
			head += ", the pool's"
		}
		lines = append(lines, head+"): "+changesOf(g))
	}
	return lines
}

// changesOf is what changed in g, keys only for the environment.
func changesOf(g dbusapi.GenerationInfo) string {
	var parts []string
	if len(g.CommandTo) > 0 {
		parts = append(parts, fmt.Sprintf("command %s → %s", shellJoin(g.CommandFrom), shellJoin(g.CommandTo)))
	}
	var env []string
	for _, k := range g.EnvAdded {
		env = append(env, "+"+k)
	}
	for _, k := range g.EnvRemoved {
		env = append(env, "-"+k)
	}
	for _, k := range g.EnvChanged {
		env = append(env, "~"+k)
	}
	if len(env) > 0 {
		parts = append(parts, "env "+strings.Join(env, " "))
	}
	parts = append(parts, g.Other...)
	if len(parts) == 0 {
		if g.From == 0 {
			return "as started"
		}
		return "no change"
	}
	return strings.Join(parts, "; ")
}
