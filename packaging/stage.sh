#!/bin/sh
# Prepares the files of the packages that are not in the tree as they ship:
# the man pages gzipped (gzip -9n, as Debian policy wants; Fedora's rpm
# compresses them the same way) and a Debian changelog for this build.
#
# usage: packaging/stage.sh STAGE VERSION MAINTAINER
# Run from the top of the tree (the Makefile's deb and rpm targets do).
set -eu

stage=$1 version=$2 maintainer=$3

mkdir -p "$stage/man1" "$stage/man8"
for page in docs/man/*.1; do
	gzip -9n <"$page" >"$stage/man1/${page##*/}.gz"
done
for page in docs/man/*.8; do
	gzip -9n <"$page" >"$stage/man8/${page##*/}.gz"
done

# One entry for the version being built. The package is native (no Debian
# revision), so this is /usr/share/doc/poold/changelog.gz; the project's
# history is its git log.
if commit=$(git log -1 --format='%h: %s' HEAD 2>/dev/null); then
	what="Built from git commit $commit"
	date=$(git log -1 --format=%cD HEAD)
else
	what="Built from a tree without git history"
	date=$(LC_ALL=C date -R ${SOURCE_DATE_EPOCH:+-u -d "@$SOURCE_DATE_EPOCH"})
fi
{
	printf 'poold (%s) unstable; urgency=medium\n\n' "$version"
	printf '%s\n' "$what" | fold -s -w 70 | sed '1s/^/  * /; 1!s/^/    /; s/ *$//'
	printf '\n -- %s  %s\n' "$maintainer" "$date"
} | gzip -9n >"$stage/changelog.gz"
