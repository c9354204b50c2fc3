#!/bin/sh
# Prints the package version of the git tree in the current directory, a
# version that Debian and RPM both accept and order the same way:
#
#   HEAD tagged vX.Y.Z             X.Y.Z
#   N commits after tag vX.Y.Z     X.Y.Z+gitYYYYMMDD.N.HASH   (after X.Y.Z)
#   no vX.Y.Z tag yet              0.1.0~gitYYYYMMDD.N.HASH   (before 0.1.0;
#                                  N counts all commits)
#   uncommitted changes            any of these with .dirty appended
#
# YYYYMMDD is HEAD's commit date in UTC, HASH its 7-digit abbreviation.
# A tag's "-" becomes "~" (v1.0.0-rc1: 1.0.0~rc1, before 1.0.0).
#
# With an argument (make deb VERSION=...), checks it instead and prints it
# without a leading "v".
set -eu

check() {
	if ! printf '%s\n' "$1" | grep -Eq '^[0-9][A-Za-z0-9.+~]*$'; then
		echo "version.sh: \"$1\" is not a version for both dpkg and rpm:" \
			"a digit first, then only letters, digits and . + ~" >&2
		exit 1
	fi
	printf '%s\n' "$1"
}

if [ $# -gt 0 ]; then
	check "${1#v}"
	exit 0
fi

if ! git rev-parse --verify -q HEAD >/dev/null 2>&1; then
	echo "version.sh: no git commit here; give one: make deb VERSION=1.2.3" >&2
	exit 1
fi

hash=$(git rev-parse --short=7 HEAD)
date=$(TZ=UTC git log -1 --date=format-local:%Y%m%d --format=%cd HEAD)
dirty=
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	dirty=.dirty
fi

if base=$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD 2>/dev/null); then
	# The latest vX.Y.Z tag; of several on one commit (v1.0.0-rc2 and
	# v1.0.0), the highest.
	at=$(git rev-parse "$base^{commit}")
	tag=$(git tag --points-at "$at" --list 'v[0-9]*' | sed 's/^v//; s/-/~/g' | sort -V | tail -n 1)
	count=$(git rev-list --count "$at..HEAD")
	if [ "$count" = 0 ]; then
		check "$tag$dirty"
	else
		check "$tag+git$date.$count.$hash$dirty"
	fi
else
	count=$(git rev-list --count HEAD)
	check "0.1.0~git$date.$count.$hash$dirty"
fi
