package cgroup

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// SetupAfterUpgrade is Setup for a poold that an upgrade in place exec'd:
// the worker cgroups named in kept are its adopted workers', which the
// sweep leaves alone (see AdoptWorker).
func SetupAfterUpgrade(d Delegation, log *slog.Logger, kept []string) (*Workers, error) {
	keep := make(map[string]bool, len(kept))
	for _, name := range kept {
		keep[name] = true
	}
	return setupKeeping(d, os.Getpid(), realFS{}, "/proc", log, keep)
}

// WorkerName is the name of the cgroup of worker id of slot.
func WorkerName(slot int, id uint64) string { return fmt.Sprintf("%s%d-%d", workerPrefix, slot, id) }

// AdoptWorker opens the cgroup of worker id of slot that the poold before
// an upgrade made (Create). Its limits stay as that poold wrote them; the
// memory.max it reads back is what OOM names.
func (w *Workers) AdoptWorker(slot int, id uint64) (*Worker, error) {
	name := WorkerName(slot, id)
	dir := filepath.Join(w.dir, name)
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("adopt cgroup: %w", &fs.PathError{Op: "open", Path: dir, Err: err})
	}
	c := &Worker{dir: dir, path: path.Join(w.path, name), fd: fd, memory: w.HasMemory(), fs: w.fs}
	if c.memory {
		if c.memoryMax, _, err = readParsed(filepath.Join(dir, "memory.max"), parseMemory); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("adopt cgroup: %w", err)
		}
	}
	return c, nil
}
