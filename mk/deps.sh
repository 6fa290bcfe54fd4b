#!/bin/sh
# Install the Debian packages the build needs, only those missing.
# Usage: deps.sh pkg... (Debian package names). Says what it does; when
# not root, prints the exact command and fails instead.
set -eu
# One dpkg-query for all of them: every plain `make` runs this, so with
# everything present it must stay silent and cheap (no apt, no network).
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
    awk '$4 == "installed" { print $1 }') || true
missing=""
for p in "$@"; do
	case " $(echo $installed) " in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
# A stale or empty package list fails the install: refresh it first.
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
