package cgroup

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/poold/poold/internal/bytesize"
	"github.com/poold/poold/internal/plural"
)

// Bound is the input that decided a worker count.
type Bound int

const (
	BoundCPUs     Bound = iota + 1 // CPUs in the affinity mask or cpuset
	BoundHostCPUs                  // the host's CPU count, affinity unknown
	BoundQuota                     // the CFS quota, rounded up
	BoundMemory                    // memory limit ÷ --worker-memory
	BoundMinimum                   // raised to the floor of 1
)

func (b Bound) String() string {
	switch b {
	case BoundCPUs:
		return "CPUs"
	case BoundHostCPUs:
		return "host CPUs"
	case BoundQuota:
		return "CPU quota"
	case BoundMemory:
		return "memory"
	case BoundMinimum:
		return "minimum"
	}
	return fmt.Sprintf("Bound(%d)", int(b))
}

// Sizing is a worker count and why.
type Sizing struct {
	Workers int
	By      Bound
	// Reason is one line, the deciding input first, e.g. "2 workers,
	// limited by CPU quota 1.5 (cpu.max in /system.slice/app.service) rounded
	// up; 8 CPUs in affinity; memory 1 GiB (memory.max in /system.slice) /
	// --worker-memory 256 MiB = 4".
	Reason string
}

// term is one input to Size: the workers it allows and how to say so.
type term struct {
	n     int
	bound Bound
	text  string
}

// Size turns limits into a worker count. The base is the CPUs in the
// affinity mask or cpuset, whichever is smaller, or hostCPUs when neither is
// known; a CPU quota caps it at ceil(CPUQuota). When workerMemory > 0 the
// memory limit caps it at floor(memory / workerMemory), where the memory
// limit is MemoryHigh when set and lower than MemoryMax (or MemoryMax is
// unlimited), else MemoryMax. The count is never below 1.
func Size(l Limits, workerMemory int64, hostCPUs int) Sizing {
	terms := []term{cpuTerm(l, hostCPUs)}
	var notes []string
	if t, ok := quotaTerm(l); ok {
		terms = append(terms, t)
	} else if l.Version != 0 {
		notes = append(notes, "no CPU quota")
	}
	t, note := memoryTerm(l, workerMemory)
	if t.bound != 0 {
		terms = append(terms, t)
	}
	if note != "" && l.Version != 0 {
		notes = append(notes, note)
	}
	if l.Version == 0 {
		notes = append(notes, "no cgroup found, so no quota or memory limit")
	}
	return decide(terms, notes)
}

// decide picks the smallest term (the earliest on ties) and writes the
// reason with it first.
func decide(terms []term, notes []string) Sizing {
	best := 0
	for i, t := range terms {
		if t.n < terms[best].n {
			best = i
		}
	}
	s := Sizing{Workers: terms[best].n, By: terms[best].bound}
	lead := "limited by "
	if s.Workers < 1 {
		s.Workers, s.By, lead = 1, BoundMinimum, "the minimum, as "
	}
	parts := []string{fmt.Sprintf("%s, %s%s", plural.Of(s.Workers, "worker"), lead, terms[best].text)}
	for i, t := range terms {
		if i != best {
			parts = append(parts, t.text)
		}
	}
	s.Reason = strings.Join(append(parts, notes...), "; ")
	return s
}

func cpuTerm(l Limits, hostCPUs int) term {
	switch {
	case l.CPUSetCPUs > 0 && (l.AllowedCPUs == 0 || l.CPUSetCPUs < l.AllowedCPUs):
		return term{l.CPUSetCPUs, BoundCPUs, plural.Of(l.CPUSetCPUs, "CPU") + " in cpuset"}
	case l.AllowedCPUs > 0:
		return term{l.AllowedCPUs, BoundCPUs, plural.Of(l.AllowedCPUs, "CPU") + " in affinity"}
	case hostCPUs > 0:
		return term{hostCPUs, BoundHostCPUs, plural.Of(hostCPUs, "host CPU") + " (affinity unknown)"}
	}
	return term{1, BoundHostCPUs, "unknown CPU count, assuming 1"}
}

func quotaTerm(l Limits) (term, bool) {
	if l.CPUQuota <= 0 {
		return term{}, false
	}
	n := int(math.Ceil(l.CPUQuota))
	text := "CPU quota " + strconv.FormatFloat(math.Round(l.CPUQuota*100)/100, 'f', -1, 64)
	if l.QuotaSource != "" {
		text += " (" + l.QuotaSource + ")"
	}
	if float64(n) != l.CPUQuota {
		text += " rounded up"
	}
	return term{n, BoundQuota, text}, true
}

// memoryTerm returns the memory term, or a zero term and a note when
// memory does not bound the count.
func memoryTerm(l Limits, workerMemory int64) (term, string) {
	mem, src := l.MemoryMax, l.MemorySource
	if l.MemoryHigh > 0 && (mem == 0 || l.MemoryHigh < mem) {
		mem, src = l.MemoryHigh, l.MemoryHighSource
	}
	text := "memory " + bytesize.Format(mem)
	if src != "" {
		text += " (" + src + ")"
	}
	switch {
	case mem == 0 && workerMemory > 0:
		return term{}, "no memory limit for --worker-memory " + bytesize.Format(workerMemory)
	case mem == 0:
		return term{}, ""
	case workerMemory <= 0:
		return term{}, text + " not used: --worker-memory unset"
	}
	n := mem / workerMemory
	text += fmt.Sprintf(" / --worker-memory %s = %d", bytesize.Format(workerMemory), n)
	return term{int(n), BoundMemory, text}, ""
}
