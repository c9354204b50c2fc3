package proc

import (
	"slices"
	"testing"

	"github.com/poold/poold/internal/config"
)

// A prepared environment counts for its generation's spec only, and the
// cache keeps the last few generations.
func TestGenerationEnvs(t *testing.T) {
	var g generationEnvs
	a := config.WorkerSpec{Command: []string{"app"}, Env: []string{"V=1"}}
	b := config.WorkerSpec{Command: []string{"app"}, Env: []string{"V=2"}}
	g.put(1, a, []string{"prepared=a"})
	if env, ok := g.get(1, a); !ok || !slices.Equal(env, []string{"prepared=a"}) {
		t.Fatalf("get(1, a) = %q, %v", env, ok)
	}
	if _, ok := g.get(1, b); ok {
		t.Fatal("generation 1 prepared from spec a counts for spec b")
	}
	g.put(1, b, []string{"prepared=b"})
	for gen := 2; gen <= keptEnvs; gen++ {
		g.put(gen, a, nil)
	}
	if env, ok := g.get(1, b); !ok || !slices.Equal(env, []string{"prepared=b"}) {
		t.Fatalf("get(1, b) = %q, %v; want the entry that replaced a's", env, ok)
	}
	g.put(keptEnvs+1, a, nil)
	if _, ok := g.get(1, b); ok {
		t.Errorf("generation 1 kept beside %d later ones, want at most %d entries", keptEnvs, keptEnvs)
	}
}
