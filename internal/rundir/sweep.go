package rundir

import (
	"log/slog"
	"os"
	"path/filepath"
)

// Sweep removes the directories in BASE (root, from OpenBase) whose lock
// nobody holds (see Stale): runtime directories and private buses of
// poolds that are gone (killed with SIGKILL, say). Before removing a stale
// bus directory it calls staleBus with it, which kills a dbus-daemon that
// outlived its poold. Each directory is judged by its own lock alone, and
// removed through root, so that nothing outside BASE is touched.
func Sweep(root *os.Root, staleBus func(dir string), log *slog.Logger) {
	f, err := root.Open(".")
	if err != nil {
		return
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() { // a symbolic link is not
			continue
		}
		lock, stale := Stale(root, e.Name())
		if !stale {
			continue
		}
		dir := filepath.Join(root.Name(), e.Name())
		log.Debug("removing a stale runtime directory", "dir", dir)
		if _, ok := RuntimeDirOf(e.Name()); ok && staleBus != nil {
			staleBus(dir)
		}
		if err := root.RemoveAll(e.Name()); err != nil {
			log.Warn("stale runtime directory", "dir", dir, "err", err)
		}
		lock.Close()
	}
}
