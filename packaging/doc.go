// Package packaging holds the tests of poold's .deb and .rpm; the packages
// themselves are defined beside this file (nfpm.yaml, the maintainer
// scripts in deb/ and rpm/, README.md) and built by make deb rpm.
//
// The tests build both packages once into a temporary directory through
// the Makefile, then read them back with the distributions' own tools:
// dpkg-deb and lintian for the .deb, rpm for the .rpm. Each check is
// skipped, saying so, when its tool is missing (scripts/deps.sh installs
// them). The maintainer scripts also run for real, under /bin/sh, against
// stub commands in a private mount namespace that fakes a running systemd
// and system bus, or their absence.
package packaging
