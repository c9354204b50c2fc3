package config

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxFileSize bounds every file poold reads on a user's say-so (--config,
// --worker-config): far above any real configuration, far below what could
// hurt poold's memory.
const MaxFileSize = 1 << 20

// ReadFile reads a file named by the user. It never blocks and never reads
// without end: the open is non-blocking (a FIFO cannot hang it), only a
// regular file is read (a symlink to one is fine; /dev/zero, a FIFO, a
// directory or a socket is refused, saying what it is), and at most
// MaxFileSize bytes, however much the file grows meanwhile.
func ReadFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, describeOpenError(path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file", path, fileKind(fi.Mode()))
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s is %d bytes, above the limit of %d (1 MiB)", path, fi.Size(), MaxFileSize)
	}
	return readCapped(path, f)
}

// readCapped reads r to its end, failing once it passes MaxFileSize: a
// file can grow after fstat, and some (in /proc) say they are empty.
func readCapped(path string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is above the limit of %d bytes (1 MiB)", path, MaxFileSize)
	}
	return data, nil
}

// describeOpenError names what path is when opening it failed because of
// its kind: open(2) says only "no such device or address" for a socket.
func describeOpenError(path string, err error) error {
	fi, serr := os.Stat(path)
	if serr != nil || fi.Mode().IsRegular() || fi.IsDir() {
		return err
	}
	return fmt.Errorf("%s is %s, not a regular file", path, fileKind(fi.Mode()))
}

// fileKind is what a file that is not regular is, for errors.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a special file (" + m.Type().String() + ")"
}
