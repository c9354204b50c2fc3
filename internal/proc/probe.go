package proc

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poold/poold/internal/procfs"
	"github.com/poold/poold/internal/supervisor"
)

// probeInterval is how often a starting worker is looked at. There is no
// event for "a process started accepting on an inherited socket", so the
// probe samples /proc, only until the worker is seen listening or exits.
const probeInterval = 25 * time.Millisecond

// probeListening posts Listening once the worker, or a process it started,
// waits for connections on one of the pool's sockets.
func probeListening(p *process, inodes map[uint64]bool, id supervisor.WorkerID, sink supervisor.Sink, frozen <-chan struct{}) {
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
		case <-frozen: // the next poold probes it
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
// Python asyncio, most event loops), or blocks in accept(2), poll(2) or
// select(2) on one (threaded and pre-fork servers).
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
		} else if ino, ok := procfs.SocketInode(target); ok && inodes[ino] {
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
	return blockedOnSocket(dir, pool)
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

// blockedOnSocket reads each thread's /proc/PID/task/TID/syscall: the
// number and arguments of the syscall it blocks in. A thread waiting in
// accept(2) on a pool socket, or in poll(2) or select(2) for one to become
// readable (Python's socketserver, gunicorn's sync workers), is listening.
func blockedOnSocket(dir string, pool map[int]bool) bool {
	tasks, _ := filepath.Glob(dir + "/task/*/syscall")
	for _, path := range tasks {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		nr, args, ok := parseSyscall(string(b))
		if ok && waitsOnPoolSocket(dir, nr, args, pool) {
			return true
		}
	}
	return false
}

// parseSyscall reads "NR ARG0 ARG1 ... SP PC" (arguments in hex).
func parseSyscall(line string) (int, []uint64, bool) {
	fields := strings.Fields(line)
	if len(fields) < 4 {
		return 0, nil, false // "running" or "-1 ...": not in a syscall
	}
	nr, err := strconv.Atoi(fields[0])
	if err != nil {
		return 0, nil, false
	}
	args := make([]uint64, 0, 6)
	for _, f := range fields[1:min(len(fields), 7)] {
		v, err := strconv.ParseUint(strings.TrimPrefix(f, "0x"), 16, 64)
		if err != nil {
			return 0, nil, false
		}
		args = append(args, v)
	}
	return nr, args, len(args) >= 3
}

func waitsOnPoolSocket(dir string, nr int, args []uint64, pool map[int]bool) bool {
	switch syscallKind(nr) {
	case kindAccept:
		return pool[int(args[0])]
	case kindPoll:
		return pollWatches(dir, args[0], args[1], pool)
	case kindSelect:
		return selectWatches(dir, args[0], args[1], pool)
	}
	return false
}

// pollWatches reads the struct pollfd array the thread passed to poll(2)
// from its memory.
func pollWatches(dir string, addr, nfds uint64, pool map[int]bool) bool {
	const pollfdSize = 8 // int fd; short events; short revents
	buf, ok := readMem(dir, addr, min(nfds, 1024)*pollfdSize)
	for i := 0; ok && i+pollfdSize <= len(buf); i += pollfdSize {
		fd := int32(binary.NativeEndian.Uint32(buf[i:]))
		events := binary.NativeEndian.Uint16(buf[i+4:])
		if events&unix.POLLIN != 0 && pool[int(fd)] {
			return true
		}
	}
	return false
}

// selectWatches reads the read fd_set the thread passed to select(2).
func selectWatches(dir string, nfds, readfds uint64, pool map[int]bool) bool {
	if readfds == 0 {
		return false
	}
	nfds = min(nfds, 1024)
	buf, ok := readMem(dir, readfds, (nfds+63)/64*8)
	for fd := range pool {
		if ok && uint64(fd) < nfds && fd/8 < len(buf) && buf[fd/8]&(1<<(fd%8)) != 0 {
			return true
		}
	}
	return false
}

func readMem(dir string, addr, n uint64) ([]byte, bool) {
	f, err := os.Open(dir + "/mem")
	if err != nil || n == 0 {
		return nil, false
	}
	defer f.Close()
	buf := make([]byte, n)
	_, err = f.ReadAt(buf, int64(addr))
	return buf, err == nil
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
