// Package enum spells the values of poold's small enumerations (the modes
// its flags take), so that each one's String and Parse are one list of
// names instead of a map and two loops.
package enum

import (
	"fmt"
	"strings"
)

// Names spells an enumeration T whose values are 1, 2, ... in the order of
// Names, as the `iota + 1` constants of a mode are.
type Names[T ~int] struct {
	What  string   // what a value is, for errors: "distribution"
	Type  string   // the Go type's name, for values out of range: "Mode"
	Names []string // the spelling of 1, 2, ...
}

// String spells v, or Type(v) for a value without a name.
func (n Names[T]) String(v T) string {
	if v >= 1 && int(v) <= len(n.Names) {
		return n.Names[v-1]
	}
	return fmt.Sprintf("%s(%d)", n.Type, int(v))
}

// Parse is the value spelled s, or an error that lists the spellings.
func (n Names[T]) Parse(s string) (T, error) {
	for i, name := range n.Names {
		if s == name {
			return T(i + 1), nil
		}
	}
	return 0, fmt.Errorf("%s %q: want %s", n.What, s, n.list())
}

// list is "a, b or c".
func (n Names[T]) list() string {
	if len(n.Names) < 2 {
		return strings.Join(n.Names, "")
	}
	return strings.Join(n.Names[:len(n.Names)-1], ", ") + " or " + n.Names[len(n.Names)-1]
}
