//go:build linux && !amd64

package proc

// Newer architectures have only accept4, ppoll and pselect6; -1 matches no
// syscall.
const (
	sysAccept = -1
	sysPoll   = -2
	sysSelect = -3
)
