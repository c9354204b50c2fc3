package activation

import "github.com/poold/poold/internal/listenspec"

// DefaultName is the name of a socket given without "NAME=": systemd names
// every fd of a socket unit after the unit, so the fds of one pool share a
// name unless told otherwise.
const DefaultName = listenspec.DefaultName

// ListenSpec is a parsed --listen value (listenspec.Spec): the parsing
// lives in a leaf package so that configuration can check addresses
// without depending on the code that binds them.
type ListenSpec = listenspec.Spec

// ParseListen parses a --listen value (listenspec.Parse).
func ParseListen(s string) (ListenSpec, error) { return listenspec.Parse(s) }
