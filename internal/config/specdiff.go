package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/poold/poold/internal/bytesize"
)

// SpecChange is what changed from one worker spec to the next, as status
// shows it between generations. It names the environment's keys, never
// their values, which may be secrets.
type SpecChange struct {
	// CommandFrom and CommandTo are the command before and after; both
	// nil when it did not change.
	CommandFrom []string `json:",omitempty"`
	CommandTo   []string `json:",omitempty"`
	EnvAdded    []string `json:",omitempty"` // keys, sorted
	EnvRemoved  []string `json:",omitempty"`
	EnvChanged  []string `json:",omitempty"`
	// Other names each other setting that changed, with its values, e.g.
	// "stop-timeout 30s → 10s".
	Other []string `json:",omitempty"`
}

// Empty reports whether nothing changed.
func (c SpecChange) Empty() bool {
	return c.CommandTo == nil && len(c.EnvAdded)+len(c.EnvRemoved)+len(c.EnvChanged)+len(c.Other) == 0
}

// String is the change on one line, e.g.
// "command node a.js → node b.js; env +PORT ~DB_URL; stop-timeout 30s → 10s".
func (c SpecChange) String() string {
	if c.Empty() {
		return "no change"
	}
	var parts []string
	if c.CommandTo != nil {
		parts = append(parts, fmt.Sprintf("command %s → %s", QuoteWords(c.CommandFrom), QuoteWords(c.CommandTo)))
	}
	var env []string
	for _, k := range c.EnvAdded {
		env = append(env, "+"+k)
	}
	for _, k := range c.EnvRemoved {
		env = append(env, "-"+k)
	}
	for _, k := range c.EnvChanged {
		env = append(env, "~"+k)
	}
	if env != nil {
		parts = append(parts, "env "+strings.Join(env, " "))
	}
	return strings.Join(append(parts, c.Other...), "; ")
}

// Diff is what changed from old to new.
func Diff(old, new WorkerSpec) SpecChange {
	var c SpecChange
	if !slices.Equal(old.Command, new.Command) {
		c.CommandFrom, c.CommandTo = slices.Clone(old.Command), slices.Clone(new.Command)
	}
	c.EnvAdded, c.EnvRemoved, c.EnvChanged = diffEnv(envMap(old.Env), envMap(new.Env))
	other := func(name string, from, to any) {
		if from != to {
			c.Other = append(c.Other, fmt.Sprintf("%s %v → %v", name, from, to))
		}
	}
	other("directory", old.Dir, new.Dir)
	other("user", fmt.Sprintf("%d:%d", old.UID, old.GID), fmt.Sprintf("%d:%d", new.UID, new.GID))
	other("node-preload", old.NodePreload, new.NodePreload)
	other("node-drain", old.NodeDrain, new.NodeDrain)
	other("watchdog", old.Watchdog, new.Watchdog)
	other("stop-timeout", old.StopTimeout, new.StopTimeout)
	other("recycle-memory", sizeOrNone(old.MemoryHigh), sizeOrNone(new.MemoryHigh))
	other("worker-memory-max", sizeOrNone(old.MemoryMax), sizeOrNone(new.MemoryMax))
	other("worker-config", orNone(old.WorkerConfig), orNone(new.WorkerConfig))
	return c
}

// envMap is env by key; a later entry wins, as it does for a process.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func diffEnv(old, new map[string]string) (added, removed, changed []string) {
	for k, v := range new {
		switch was, ok := old[k]; {
		case !ok:
			added = append(added, k)
		case was != v:
			changed = append(changed, k)
		}
	}
	for k := range old {
		if _, ok := new[k]; !ok {
			removed = append(removed, k)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	sort.Strings(changed)
	return added, removed, changed
}

func sizeOrNone(n int64) string {
	if n == 0 {
		return "none"
	}
	return bytesize.Format(n)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
