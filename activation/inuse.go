package activation

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/poold/poold/internal/listenspec"
	"github.com/poold/poold/internal/procfs"
)

// Holder is a process that listens on an address a bind found in use.
type Holder struct {
	PID     int
	Command string // its command line
	// Pool and Worker are the POOLD_POOL and POOLD_WORKER_ID of its
	// environment: set when it is (or was started by) a poold worker.
	Pool, Worker string
}

func (h Holder) String() string {
	s := fmt.Sprintf("pid %d (%s", h.PID, h.Command)
	if h.Worker != "" {
		s += fmt.Sprintf(`, worker %s of pool %q`, h.Worker, h.Pool)
	}
	return s + ")"
}

// holders finds the processes listening on spec's TCP port or unix path:
// their sockets in /proc/net, then who has those sockets open. Processes
// of other users are missed unless poold runs as root.
func holders(spec ListenSpec) []Holder {
	var inodes map[uint64]bool
	switch spec.Network {
	case "tcp":
		_, port, err := listenspec.ParseInet(spec.Address)
		if err != nil {
			return nil
		}
		inodes = tcpListeners(port)
	case "unix":
		inodes = unixListeners(spec.Address)
	}
	if len(inodes) == 0 {
		return nil
	}
	var hs []Holder
	for _, pid := range procfs.SocketHolders(inodes) {
		env, _ := procfs.Getenv(pid, "POOLD_POOL", "POOLD_WORKER_ID")
		h := Holder{PID: pid, Command: procfs.Cmdline(pid)}
		if len(env) == 2 && env[1] != "" {
			h.Pool, h.Worker = env[0], env[1]
		}
		hs = append(hs, h)
	}
	return hs
}

// tcpListeners reads /proc/net/tcp and tcp6: "sl local_address
// rem_address st ... inode", the port in hex after the address, state 0A
// for LISTEN.
func tcpListeners(port uint16) map[uint64]bool {
	inodes := map[uint64]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		forEachLine(file, func(f []string) {
			if len(f) < 10 || f[3] != "0A" {
				return
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			p, err := strconv.ParseUint(hexPort, 16, 16)
			if ino, ierr := strconv.ParseUint(f[9], 10, 64); err == nil && ierr == nil && uint16(p) == port {
				inodes[ino] = true
			}
		})
	}
	return inodes
}

// unixListeners reads /proc/net/unix: "Num RefCount Protocol Flags Type
// St Inode Path", flag 00010000 (__SO_ACCEPTCON) on listening sockets; an
// abstract name shows with '@' as the path does in ListenSpec.
func unixListeners(path string) map[uint64]bool {
	inodes := map[uint64]bool{}
	forEachLine("/proc/net/unix", func(f []string) {
		if len(f) < 8 || f[7] != path {
			return
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if ino, ierr := strconv.ParseUint(f[6], 10, 64); err == nil && ierr == nil && flags&0x10000 != 0 {
			inodes[ino] = true
		}
	})
	return inodes
}

// forEachLine calls f with the fields of each line of file but the first.
func forEachLine(file string, f func(fields []string)) {
	r, err := os.Open(file)
	if err != nil {
		return
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > 0 && fields[0] != "sl" && fields[0] != "Num" {
			f(fields)
		}
	}
}

// inUseAdvice says who holds an address that is in use and what to do.
func inUseAdvice(spec ListenSpec, hs []Holder) string {
	if len(hs) == 0 {
		ss := "ss -ltnp 'sport = :" + portOf(spec.Address) + "'"
		if spec.Network == "unix" {
			ss = "ss -lxp 'src " + spec.Address + "'"
		}
		return "no process this user can see listens on it; `" + ss + "` as root names it"
	}
	names := make([]string, len(hs))
	var workers []string
	for i, h := range hs {
		names[i] = h.String()
		if h.Worker != "" {
			workers = append(workers, strconv.Itoa(h.PID))
		}
	}
	advice := "held by " + strings.Join(names, ", ") + ": stop them, or listen on another address"
	if len(workers) > 0 {
		advice += "; workers of a poold that is gone are orphans: kill them (kill " + strings.Join(workers, " ") + ")"
	}
	return advice
}

func portOf(address string) string {
	_, port, _ := listenspec.ParseInet(address)
	return strconv.Itoa(int(port))
}
