package proc

import "golang.org/x/sys/unix"

// syscallClass groups the blocking syscalls the probe understands.
type syscallClass int

const (
	kindOther syscallClass = iota + 1
	kindAccept
	kindPoll   // (struct pollfd *fds, nfds, ...)
	kindSelect // (nfds, fd_set *readfds, ...)
)

func syscallKind(nr int) syscallClass {
	switch nr {
	case unix.SYS_ACCEPT4, sysAccept:
		return kindAccept
	case unix.SYS_PPOLL, sysPoll:
		return kindPoll
	case unix.SYS_PSELECT6, sysSelect:
		return kindSelect
	}
	return kindOther
}
