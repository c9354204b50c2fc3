// Package systemd tests poold's packages under a real systemd: a Debian
// root filesystem booted with systemd-nspawn, systemd as PID 1 of the
// container, the .deb (and separately the .rpm) installed and driven with
// systemctl, poolctl and curl. See docs/../TESTING notes in the tests.
//
// The tests skip, saying why, only where the machine cannot run containers
// (no systemd-nspawn, no root, no way to build the root filesystem).
package systemd
