package proc

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/supervisor"
)

// probeInterval is how often a starting worker is looked at. There is no
// event for "a process started accepting on an inherited socket", so the
// probe samples /proc, only until the worker is seen listening or exits.
const probeInterval = 25 * time.Millisecond

// probeListening posts Listening once the worker, or a process it started,
// waits for connections on one of the pool's sockets.
func probeListening(p *process, inodes map[uint64]bool, id supervisor.WorkerID, sink supervisor.Sink) {
	t := time.NewTicker(probeInterval)
	defer t.Stop()
	for {
		if treeListens(p.pid, inodes) {
			sink.Post(supervisor.Listening{ID: id})
			return
		}
		select {
		case <-p.exited:
			return
		case <-t.C:
		}
	}
}

// treeListens checks pid and its descendants.
func treeListens(pid int, inodes map[uint64]bool) bool {
	queue := []int{pid}
	for len(queue) > 0 && len(queue) < 1024 {
		pid, queue = queue[0], queue[1:]
		if listens(pid, inodes) {
			return true
		}
		queue = append(queue, children(pid)...)
	}
	return false
}

// listens reports whether pid polls a pool socket with epoll (Node, Go,
// Python asyncio, most event loops) or blocks in accept(2) on one (threaded
// and pre-fork servers).
func listens(pid int, inodes map[uint64]bool) bool {
	dir := "/proc/" + strconv.Itoa(pid)
	fds, err := os.ReadDir(dir + "/fd")
	if err != nil {
		return false
	}
	pool := map[int]bool{} // fd numbers that are pool sockets in this process
	var epolls []string
	for _, e := range fds {
		target, err := os.Readlink(dir + "/fd/" + e.Name())
		if err != nil {
			continue
		}
		if target == "anon_inode:[eventpoll]" {
			epolls = append(epolls, e.Name())
		} else if ino, ok := socketInode(target); ok && inodes[ino] {
			fd, _ := strconv.Atoi(e.Name())
			pool[fd] = true
		}
	}
	if len(pool) == 0 {
		return false
	}
	for _, fd := range epolls {
		if epollWatches(dir+"/fdinfo/"+fd, pool) {
			return true
		}
	}
	return blockedInAccept(dir, pool)
}

func socketInode(target string) (uint64, bool) {
	s, ok := strings.CutPrefix(target, "socket:[")
	if !ok {
		return 0, false
	}
	ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64)
	return ino, err == nil
}

// epollWatches reads an epoll fd's fdinfo, whose "tfd: N events: ..." lines
// name the watched fds.
func epollWatches(fdinfo string, pool map[int]bool) bool {
	f, err := os.Open(fdinfo)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "tfd:" {
			if fd, err := strconv.Atoi(fields[1]); err == nil && pool[fd] {
				return true
			}
		}
	}
	return false
}

// blockedInAccept reads each thread's /proc/PID/task/TID/syscall: the
// syscall number and its first argument, the fd, while the thread blocks.
func blockedInAccept(dir string, pool map[int]bool) bool {
	tasks, _ := filepath.Glob(dir + "/task/*/syscall")
	for _, path := range tasks {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		fields := strings.Fields(string(b))
		if len(fields) < 2 {
			continue
		}
		nr, err1 := strconv.Atoi(fields[0])
		fd, err2 := strconv.ParseInt(strings.TrimPrefix(fields[1], "0x"), 16, 64)
		if err1 == nil && err2 == nil && (nr == unix.SYS_ACCEPT || nr == unix.SYS_ACCEPT4) && pool[int(fd)] {
			return true
		}
	}
	return false
}

// children lists the processes that pid's threads started.
func children(pid int) []int {
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var out []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(s); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}
