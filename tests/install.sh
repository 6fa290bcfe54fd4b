#!/bin/sh
# install: `make install` into a fresh DESTDIR with a custom PREFIX and
# SYSCONFDIR, then check the tree, the installed binary and config, that a
# second install keeps an edited config, that uninstall removes everything
# but the config; lint the man pages and keep kevy-electd.conf(5) in step
# with docs/reference/configuration.md, and both with the binary's --dump-config;
# when systemd-analyze is there, verify the units and hold their security
# exposure to at most 2.0. It never touches the host outside its temporary
# directory.
# Last line: "install: N passed, M failed".
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
MAKE=${MAKE:-make}
EXPOSURE_MAX=2.0        # systemd-analyze security, overall exposure

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kevy-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
# check DESCRIPTION COMMAND...: one counted check.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}
finish() {
	echo "install: $passed passed, $failed failed"
	if [ "$failed" -eq 0 ]; then exit 0; fi
	exit 1
}
# make TARGET VAR=value...: quiet unless it fails.
run_make() {
	if ! "$MAKE" -C "$root" --no-print-directory "$@" >"$tmp/make.log" 2>&1
	then
		cat "$tmp/make.log"
		return 1
	fi
}
# Prints what it was given and fails if it was given anything.
silent() { [ -z "$1" ] || { printf '%s\n' "$1"; return 1; }; }

dest=$tmp/dest
prefix=/opt/kevy
sysconf=/etc/opt/kevy
vars="DESTDIR=$dest PREFIX=$prefix SYSCONFDIR=$sysconf"
bin=$dest$prefix/bin/kevy-electd
ctl=$dest$prefix/bin/kevy-electctl
comp=$dest$prefix/share/bash-completion/completions/kevy-electctl
conf=$dest$sysconf/kevy-elect/kevy-electd.conf
unitdir=$dest$prefix/lib/systemd/system
mandir=$dest$prefix/share/man
units="$unitdir/kevy-electd.service $unitdir/kevy-electd@.service"
snippets="$dest$prefix/lib/sysusers.d/kevy-electd.conf
$dest$prefix/lib/tmpfiles.d/kevy-electd.conf"
mans="$mandir/man8/kevy-electd.8 $mandir/man5/kevy-electd.conf.5
$mandir/man7/kevy-electd-control.7 $mandir/man1/kevy-electctl.1"

# --- install -----------------------------------------------------------
# shellcheck disable=SC2086
if run_make install $vars; then ok "make install $vars"; else
	bad "make install $vars"
	finish
fi
check "binary installed, mode 0755" \
    test -f "$bin" -a -x "$bin" -a "$(stat -c %a "$bin" 2>/dev/null)" = 755
check "kevy-electctl installed, mode 0755" \
    test -f "$ctl" -a -x "$ctl" -a "$(stat -c %a "$ctl" 2>/dev/null)" = 755
check "bash completion installed" test -f "$comp"
check "bash completion: valid bash" bash -n "$comp"
check "installed kevy-electctl: --version" \
    sh -c '"$1" --version | grep -q "^kevy-electctl [0-9]"' sh "$ctl"
# No daemon on this socket: exit 3, the documented "cannot connect".
check "installed kevy-electctl: exit 3 without a daemon" \
    sh -c '"$1" -s "$2/none.sock" ping 2>/dev/null; [ $? -eq 3 ]' sh \
    "$ctl" "$tmp"
check "config installed, same as conf/kevy-electd.conf" \
    cmp -s "$root/conf/kevy-electd.conf" "$conf"
for f in $units $snippets $mans; do
	check "installed ${f#"$dest"}" test -f "$f"
done
check "unit ExecStart has BINDIR and SYSCONFDIR" grep -qx \
    "ExecStart=$prefix/bin/kevy-electd -f -c $sysconf/kevy-elect/kevy-electd.conf" \
    "$unitdir/kevy-electd.service"
check "template ExecStart has BINDIR and SYSCONFDIR, %i.conf" grep -qx \
    "ExecStart=$prefix/bin/kevy-electd -f -c $sysconf/kevy-elect/%i.conf" \
    "$unitdir/kevy-electd@.service"
# shellcheck disable=SC2086
check "no default path left in the installed units" \
    sh -c '! grep -n "/usr/local/bin\|/etc/kevy-elect/" "$@"' sh $units
# 78 (a refused config or file) and 64 (bad flags) never fix themselves.
for u in $units; do
	check "${u##*/}: RestartPreventExitStatus=64 78" \
	    grep -qx "RestartPreventExitStatus=64 78" "$u"
done
check "installed binary: --version" \
    sh -c '"$1" --version | grep -q "^kevy-electd [0-9]"' sh "$bin"
check "installed binary: -t -c on the installed config" \
    sh -c '"$1" -t -c "$2" >/dev/null' sh "$bin" "$conf"
# The key reference of the docs is the binary's own (else: make config-docs).
check "installed binary: --dump-config md|man as the docs hold it" \
    sh "$root/mk/gen-config-docs.sh" --check "$bin"

# --- a second install keeps an edited config ---------------------------
echo '# edited by the operator' >>"$conf"
cp "$conf" "$tmp/edited.conf"
# shellcheck disable=SC2086
if run_make install $vars; then ok "second make install"; else
	bad "second make install"
fi
check "second install kept the edited config" cmp -s "$tmp/edited.conf" "$conf"

# --- uninstall ---------------------------------------------------------
# shellcheck disable=SC2086
if run_make uninstall $vars; then ok "make uninstall"; else
	bad "make uninstall"
fi
for f in "$bin" "$ctl" "$comp" $units $snippets $mans; do
	check "uninstall removed ${f#"$dest"}" test ! -e "$f"
done
check "uninstall kept the config" cmp -s "$tmp/edited.conf" "$conf"
check "nothing else left but directories and the config" sh -c \
    '[ "$(find "$1" ! -type d ! -path "$2")" = "" ]' sh "$dest" "$conf"

# --- man pages ---------------------------------------------------------
for m in "$root"/man/*.[1-8]; do
	check "groff -ww -z -man ${m#"$root"/}" \
	    silent "$(groff -ww -z -man "$m" 2>&1)"
	if command -v mandoc >/dev/null 2>&1; then
		check "mandoc -T lint ${m#"$root"/}" \
		    silent "$(mandoc -T lint -W warning "$m" 2>&1)"
	fi
done
# Every key of the table in docs/reference/configuration.md has its entry in (5).
keys=$(sed -n 's/^| `\([]a-z_.[]*\)` |.*/\1/p' "$root/docs/reference/configuration.md")
missing=""
for k in $keys; do
	grep -qxF ".B $k" "$root/man/kevy-electd.conf.5" || missing="$missing $k"
done
check "kevy-electd.conf.5 has every key of docs/reference/configuration.md" \
    silent "$missing"
check "docs/reference/configuration.md table parsed (>= 20 keys)" \
    test "$(echo "$keys" | wc -l)" -ge 20

# --- systemd -----------------------------------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP systemd-analyze not found: units not verified, exposure" \
	    "not measured (apt-get install systemd)"
	finish
fi
# verify wants ExecStart to exist: a real (DESTDIR-less) install under a
# temporary PREFIX makes the paths in the units true on this host.
vroot=$tmp/vroot
if run_make install PREFIX="$vroot" SYSCONFDIR="$vroot/etc"; then
	ok "make install PREFIX=$vroot"
else
	bad "make install PREFIX=$vroot"
	finish
fi
vunits=$vroot/lib/systemd/system
# An instance of the template, as systemctl would load it.
ln -s kevy-electd@.service "$vunits/kevy-electd@n1.service"
for u in kevy-electd.service kevy-electd@n1.service; do
	# Documentation=man:... is checked against the installed pages.
	check "systemd-analyze verify $u" silent "$(MANPATH=$vroot/share/man \
	    systemd-analyze verify "$vunits/$u" 2>&1)"
	sec=$(systemd-analyze security --offline=true "$vunits/$u" 2>&1) || true
	level=$(printf '%s\n' "$sec" |
	    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	echo "     $u: exposure ${level:-unknown} (at most $EXPOSURE_MAX)"
	check "systemd-analyze security --offline=true $u <= $EXPOSURE_MAX" \
	    awk -v l="${level:-99}" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(l <= m) }'
done
rm -f "$vunits/kevy-electd@n1.service"
if run_make uninstall PREFIX="$vroot" SYSCONFDIR="$vroot/etc"; then
	ok "make uninstall PREFIX=$vroot"
else
	bad "make uninstall PREFIX=$vroot"
fi
finish
