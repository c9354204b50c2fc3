// Package units holds the systemd units the packages ship: the template
// pair poold@.socket and poold@.service, installed in
// /usr/lib/systemd/system/. poolctl init writes a pool's own units,
// NAME.socket and NAME.service, from these same files, so that both
// namings run a pool with the same settings (docs/systemd.md).
package units

import _ "embed"

// Service is poold@.service.
//
//go:embed poold@.service
var Service string

// Socket is poold@.socket.
//
//go:embed poold@.socket
var Socket string
