package proc

import "golang.org/x/sys/unix"

// The pre-*4 and pre-p* syscalls that amd64 still has.
const (
	sysAccept = unix.SYS_ACCEPT
	sysPoll   = unix.SYS_POLL
	sysSelect = unix.SYS_SELECT
)
