// Package policy holds the D-Bus bus policy of poold's names, the one file
// that says who may own a pool's name and call its methods. Packages install
// it to /usr/share/dbus-1/system.d/ for the system bus; the private buses
// poold starts itself include the same bytes (internal/privatebus), so the
// rules exist once.
package policy

import _ "embed"

// FileName is the policy's file name, as installed in system.d.
const FileName = "org.poold.pool1.conf"

// NamePrefix starts every name the policy is about (dbusapi.BusNamePrefix).
const NamePrefix = "org.poold.pool1"

// Group is the system group whose members may change any pool, besides root.
const Group = "poold"

// Conf is the policy file, a complete <busconfig> document.
//
//go:embed org.poold.pool1.conf
var Conf []byte
