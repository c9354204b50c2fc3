package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// generateCmd is the hidden "poolctl __generate": it writes the man pages
// and the shell completions from the command definitions. Run by
// "make man" (go run ./cmd/poolctl __generate --man docs/man --completions completions).
func (a *app) generateCmd() *cobra.Command {
	var manDir, complDir string
	cmd := &cobra.Command{
		Use:    "__generate",
		Short:  "Write man pages and shell completions",
		Hidden: true,
		Args: func(cmd *cobra.Command, args []string) error {
			return wantArgs(cmd, args, 0, 0, "no arguments")
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			date, err := a.sourceDate()
			if err != nil {
				return err
			}
			if manDir != "" {
				if err := writeMan(cmd.Root(), manDir, date); err != nil {
					return err
				}
			}
			if complDir != "" {
				return writeCompletions(cmd.Root(), complDir)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&manDir, "man", "", "write poolctl*.1 to `DIR`")
	cmd.Flags().StringVar(&complDir, "completions", "", "write poolctl.bash, _poolctl and poolctl.fish to `DIR`")
	return cmd
}

// sourceDate is $SOURCE_DATE_EPOCH, for reproducible pages, else now.
func (a *app) sourceDate() (time.Time, error) {
	s := a.getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return a.now().UTC(), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// writeMan writes one page per command: poolctl.1, poolctl-status.1...
func writeMan(root *cobra.Command, dir string, date time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root.InitDefaultVersionFlag() // cobra adds it only when running
	header := &doc.GenManHeader{Section: "1", Date: &date, Source: "poold", Manual: "poold manual"}
	return doc.GenManTree(root, header, dir)
}

func writeCompletions(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := []struct {
		name string
		gen  func(string) error
	}{
		{"poolctl.bash", func(f string) error { return root.GenBashCompletionFileV2(f, true) }},
		{"_poolctl", root.GenZshCompletionFile},
		{"poolctl.fish", func(f string) error { return root.GenFishCompletionFile(f, true) }},
	}
	for _, f := range files {
		if err := f.gen(filepath.Join(dir, f.name)); err != nil {
			return fmt.Errorf("completions: %w", err)
		}
	}
	return nil
}
