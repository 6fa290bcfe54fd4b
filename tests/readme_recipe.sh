#!/bin/sh
# readme_recipe: the by-hand three-node recipe of README.md ("Running
# three nodes"), run as it is written there, so that it cannot rot: the
# blocks after each `<!-- readme-recipe: TAG -->` marker run in one shell,
# as an unprivileged user (nobody, when this runs as root), from a
# directory whose build/kevy-electd is the binary under test
# (KEVY_ELECTD_BIN, default build/kevy-electd). The only change made to
# the text is the port base P (7400 in the README), so that parallel runs
# do not collide. Between blocks the test awaits what the README says
# happens (a primary, then a new one) by asking the nodes, with generous
# deadlines; it never sleeps a fixed time to synchronise.
set -eu

root=$(pwd)
bin=${KEVY_ELECTD_BIN:-$root/build/kevy-electd}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
ctl=$(dirname "$bin")/kevy-electctl # kevy-electctl, built beside it
WAIT_S=60 # bound on each awaited state: down_after_ms is 5 s by default

if ! command -v socat >/dev/null 2>&1; then
	echo "SKIP readme_recipe: socat not installed (make deps installs it)"
	exit 0
fi

# The sh block after the marker for tag.
block() {
	awk -v tag="<!-- readme-recipe: $1 -->" '
	    $0 == tag { armed = 1; next }
	    armed && /^```sh$/ { inside = 1; next }
	    inside && /^```$/ { exit }
	    inside { print }' "$root/README.md"
}

for t in start ask kill stop; do
	if [ -z "$(block $t)" ]; then
		echo "FAIL readme_recipe: README.md has no '$t' recipe block" >&2
		exit 1
	fi
done

work=$(mktemp -d /tmp/kevy-readme.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/build"
ln -s "$bin" "$work/build/kevy-electd"
ln -s "$ctl" "$work/build/kevy-electctl"
chmod 755 "$work" "$work/build"
port=$((10000 + ($$ % 99) * 100)) # below the ephemeral range

cat > "$work/recipe.sh" <<EOF
set -eu
cd "$work"
# Whatever happens, no daemon of this run outlives it.
trap 'if [ -n "\${D:-}" ]; then for f in \$D/n*.pid; do [ -e "\$f" ] &&
    kill \$(cat "\$f") 2>/dev/null; done; rm -rf "\$D"; fi' EXIT
# Ask node n (1..3) a request; the reply, or "" if it does not answer.
ask() { echo "\$2" | socat -t 2 - UNIX-CONNECT:\$D/run/n\$1/kevy-electd.sock 2>/dev/null || true; }
# Await cond (a shell expression) for up to $WAIT_S s, checking each 0.2 s.
await() {
	i=0
	until eval "\$1"; do
		i=\$((i + 1))
		if [ \$i -gt $((WAIT_S * 5)) ]; then
			echo "FAIL readme_recipe: not within ${WAIT_S} s: \$2" >&2
			for f in \$D/*.log; do echo "== \$f"; cat "\$f"; done >&2
			exit 1
		fi
		sleep 0.2
	done
}
$(block start | sed "1s/^P=7400 /P=$port /")
agreed() { a=\$(ask 1 PRIMARY); [ "\${a%% *}" != none ] && [ -n "\$a" ] &&
    [ "\$(ask 2 PRIMARY)" = "\$a" ] && [ "\$(ask 3 PRIMARY)" = "\$a" ]; }
await agreed "the three nodes agree on a primary"
out=\$( $(block ask) )
case "\$out" in *"role="*primary*) ;; *) echo "FAIL readme_recipe: ask: \$out" >&2; exit 1 ;; esac
$(block kill)
moved() { a=\$(ask \${q#n} PRIMARY); [ -n "\$a" ] && [ "\${a%% *}" != none ] && [ "\${a%% *}" != "\$p" ]; }
await moved "the survivors elect a new primary after \$p was killed"
echo "readme_recipe: \$p killed, \$q now says: \$(ask \${q#n} PRIMARY)"
pids=\$(cat \$D/n*.pid)
$(block stop)
for pid in \$pids; do await "! kill -0 \$pid 2>/dev/null" "pid \$pid exits"; done
[ ! -e "\$D" ] || { echo "FAIL readme_recipe: \$D left behind" >&2; exit 1; }
echo "readme_recipe: ok"
EOF
chmod 644 "$work/recipe.sh"

if [ "$(id -u)" -eq 0 ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env HOME=/ sh "$work/recipe.sh"
else
	sh "$work/recipe.sh"
fi
