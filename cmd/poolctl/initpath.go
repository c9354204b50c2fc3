package main

import (
	"os"
	"path/filepath"
	"strings"
)

// commandPath is the absolute path of command, as the system below root
// sees it, when command is a name without a slash found in one of the
// absolute directories of path below root; else command as it is. Below
// another root than /, a symbolic link counts as found: an image's links
// (to /etc/alternatives/...) point into the image, not this system.
func commandPath(root, command, path string) string {
	if strings.Contains(command, "/") {
		return command
	}
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, command)
		if executable(filepath.Join(root, p)) || filepath.Clean(root) != "/" && isSymlink(filepath.Join(root, p)) {
			return p
		}
	}
	return command
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func isSymlink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}
