#!/bin/sh
# gen-config-docs: the key reference of docs/reference/configuration.md and of
# man/kevy-electd.conf.5 is what `kevy-electd --dump-config md|man` prints
# from the schema (daemon/config_schema.c). Write it between each file's
# keys:begin and keys:end lines; with --check, write nothing and fail,
# showing the difference, if either file is out of date.
#   sh mk/gen-config-docs.sh [--check] [BINARY]   (default build/kevy-electd)
# `make config-docs` builds the daemon and runs this.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
bin=${1:-$root/build/kevy-electd}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kevy-config-docs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# splice FILE BEGIN END FORMAT: FILE with the dump between its markers.
splice() {
	"$bin" --dump-config "$4" >"$tmp/keys" || return 1
	# ENVIRON, not -v: awk would eat the backslash of .\" in -v.
	if ! BEGIN_LINE=$2 END_LINE=$3 KEYS=$tmp/keys awk '
		$0 == ENVIRON["BEGIN_LINE"] {
			print
			while ((getline line < ENVIRON["KEYS"]) > 0)
				print line
			inside = 1
			nb++
			next
		}
		$0 == ENVIRON["END_LINE"] { if (inside) ne++; inside = 0 }
		!inside { print }
		END { exit !(nb == 1 && ne == 1) }' "$1" >"$tmp/new"; then
		echo "$1: needs one '$2' line, then one '$3' line" >&2
		return 1
	fi
	if cmp -s "$1" "$tmp/new"; then
		echo "up to date: ${1#"$root"/}"
	elif [ "$check" -eq 1 ]; then
		echo "${1#"$root"/}: key reference differs from" \
		    "kevy-electd --dump-config $4:" >&2
		diff -u "$1" "$tmp/new" >&2 || true
		return 1
	else
		cat "$tmp/new" >"$1"
		echo "regenerated: ${1#"$root"/}"
	fi
}

status=0
splice "$root/docs/reference/configuration.md" '<!-- keys:begin -->' \
    '<!-- keys:end -->' md || status=1
splice "$root/man/kevy-electd.conf.5" '.\" keys:begin' '.\" keys:end' man ||
    status=1
if [ "$status" -ne 0 ] && [ "$check" -eq 1 ]; then
	echo "regenerate with: make config-docs" \
	    "(or sh mk/gen-config-docs.sh BINARY)" >&2
fi
exit "$status"
