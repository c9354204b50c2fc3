package main

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// completeTimeout bounds the bus calls made to complete a word: a shell
// must not hang on a slow bus.
const completeTimeout = 2 * time.Second

// completeNames completes pool names for the first n arguments (all of
// them when n < 0).
func (a *app) completeNames(n int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if n >= 0 && len(args) >= n {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return a.poolNames(cmd.Context(), args, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// poolNames is the names of the pools on every bus that start with prefix,
// less those in skip.
func (a *app) poolNames(ctx context.Context, skip []string, prefix string) []string {
	a.stderr = io.Discard // warnings would garble the command line
	ctx, cancel := context.WithTimeout(ctx, completeTimeout)
	defer cancel()
	b := a.connect(ctx)
	defer b.close()
	var names []string
	for _, p := range a.pools(ctx, b) {
		if strings.HasPrefix(p.Name, prefix) && !slices.Contains(skip, p.Name) && !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	return names
}

// slots is the slot numbers of the pool called name.
func (a *app) slots(ctx context.Context, name string) []string {
	a.stderr = io.Discard
	ctx, cancel := context.WithTimeout(ctx, completeTimeout)
	defer cancel()
	b := a.connect(ctx)
	defer b.close()
	p, err := pick(a.pools(ctx, b), name, b)
	if err != nil {
		return nil
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil
	}
	var slots []string
	for _, w := range st.Workers {
		s := strconv.FormatUint(uint64(w.Slot), 10)
		if !slices.Contains(slots, s) {
			slots = append(slots, s)
		}
	}
	return slots
}

func (a *app) completeRestart(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return a.poolNames(cmd.Context(), nil, toComplete), cobra.ShellCompDirectiveNoFileComp
	case 1:
		return append(a.slots(cmd.Context(), args[0]), "all"), cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) completeSignal(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return a.poolNames(cmd.Context(), nil, toComplete), cobra.ShellCompDirectiveNoFileComp
	case 1:
		names := signalNames()
		if strings.HasPrefix(strings.ToUpper(toComplete), "SIG") {
			for i, n := range names {
				names[i] = "SIG" + n
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	case 2:
		return a.slots(cmd.Context(), args[0]), cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}
