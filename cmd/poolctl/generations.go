package main

import (
	"fmt"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/config"
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
	c := config.SpecChange{EnvAdded: g.EnvAdded, EnvRemoved: g.EnvRemoved, EnvChanged: g.EnvChanged, Other: g.Other}
	if len(g.CommandTo) > 0 {
		c.CommandFrom, c.CommandTo = g.CommandFrom, g.CommandTo
	}
	if c.Empty() && g.From == 0 {
		return "as started"
	}
	return c.String()
}
