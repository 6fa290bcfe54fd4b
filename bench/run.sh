#!/bin/sh
# Run every benchmark of bench/ and leave the raw results in RESULTS
# (default BUILD/bench/results): *.txt (each tool's output, "RESULT k=v"
# lines) and *.dat (failover samples). bench/report.sh turns them into the
# tables of docs/reports/benchmarks.md and the plots of docs/reports/img/.
#
# usage: bench/run.sh [BUILD] [RESULTS]   (make bench runs it)
# Knobs (environment; make bench passes its variables of the same names):
#   BENCH_KILLS          kills per failover run, fast timings   (20)
#   BENCH_DEFAULT_KILLS  kills per failover run, default timings (20)
#   BENCH_IDLE_NODES     cluster sizes for the idle cost         (3 16 64)
#   BENCH_IDLE_SECONDS   measuring window of each idle run       (10)
#   BENCH_CTL_SECONDS    duration of each control-socket run     (2)
#   BENCH_CTL_ROUNDS     rounds of all control-socket runs       (3)
#   BENCH_FANOUT_SUBS    WATCH subscribers                       (1000)
#   BENCH_FANOUT_REPS    fan-out repetitions                     (10)
#   BENCH_CHURN_SECONDS  window of each connection-churn run     (5)
#   BENCH_CHURN_THREADS  attacker thread counts                  (1 2 4)
#   BENCH_SENTINEL_KILLS kills per stack against Redis Sentinel,
#                        down_after 1 s (kevy-electd hb 100)     (10)
#   BENCH_SENTINEL_DEFAULT_KILLS  the same at down_after 5 s
#                        (kevy-electd default timings, hb 200)   (5)
#                        (0 skips either)
#   BENCH_HANDOFF_ROUNDS rounds of SIGTERM hand-off + SWITCHOVER,
#                        fast and default timings each           (10)
#   BENCH_JITTER_SECONDS settled run under heartbeat jitter, fast
#                        and default timings each (bench/jitter;
#                        root, skips without it; 0 skips it)     (120)
#   BENCH_PARTITION_ROUNDS rounds per stack of the partition bench
#                        (acknowledged writes lost, down_after 1 s,
#                        cut 10 s; needs root for network namespaces,
#                        skips without them; 0 skips it)         (5)
#   BENCH_ONLY           a space-separated list of sections to run
#                        alone, e.g. "handoff partition" (empty: all
#                        of them): savecost failover idle ctl fanout
#                        churn sentinel handoff partition; an unknown
#                        name is an error before anything runs. Only
#                        their own results are replaced; the machine
#                        and load files (the main table's) are left as
#                        they were, so bench/report.sh then rewrites
#                        only the tables of their own (handoff,
#                        partition). The list is in bench/sections.sh;
#                        make bench-partition is BENCH_ONLY=partition.
set -eu
B=${1:-build}
R=${2:-$B/bench/results}
KILLS=${BENCH_KILLS:-20}
DKILLS=${BENCH_DEFAULT_KILLS:-20}
IDLE_NODES=${BENCH_IDLE_NODES:-3 16 64}
IDLE_SECS=${BENCH_IDLE_SECONDS:-10}
CTL_SECS=${BENCH_CTL_SECONDS:-2}
CTL_ROUNDS=${BENCH_CTL_ROUNDS:-3}
FAN_SUBS=${BENCH_FANOUT_SUBS:-1000}
FAN_REPS=${BENCH_FANOUT_REPS:-10}
CHURN_SECS=${BENCH_CHURN_SECONDS:-5}
CHURN_THREADS=${BENCH_CHURN_THREADS:-1 2 4}
SENT_KILLS=${BENCH_SENTINEL_KILLS:-10}
SENT_DKILLS=${BENCH_SENTINEL_DEFAULT_KILLS:-5}
HO_ROUNDS=${BENCH_HANDOFF_ROUNDS:-10}
JIT_SECS=${BENCH_JITTER_SECONDS:-120}
PART_ROUNDS=${BENCH_PARTITION_ROUNDS:-5}
# BENCH_ONLY -> ONLY (checked), and want SECTION.
# shellcheck source=bench/sections.sh
. "$(dirname "$0")/sections.sh"
FAST="50 500 300 100 400"
DEFAULT="200 5000 3000 1000 4000"

mkdir -p "$R"
if [ -z "$ONLY" ]; then
	rm -f "$R"/*.txt "$R"/*.dat
else
	for s in $ONLY; do
		rm -f "$R/$s"-* "$R/$s".*
	done
fi
TMP=$(mktemp -d /tmp/kevy-bench.XXXXXX)
REDIS_PID=
HOLD_OPEN=
cleanup() {
	if [ -n "$HOLD_OPEN" ]; then exec 3>&-; HOLD_OPEN=; fi
	if [ -n "$REDIS_PID" ]; then
		kill "$REDIS_PID" 2>/dev/null || true
		wait "$REDIS_PID" 2>/dev/null || true
		REDIS_PID=
	fi
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf 'bench: %s\n' "$*" >&2; }

# What else the machine is doing: the numbers are only as quiet as it is.
machine() {
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc=$(nproc)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "kernel=$(uname -sr)"
	echo "libevent=$(pkg-config --modversion libevent 2>/dev/null || echo unknown)"
	echo "redis=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')"
	echo "sentinel=$(redis-sentinel --version 2>/dev/null | sed -n 's/.* v=\([^ ]*\).*/\1/p')"
	echo "gnuplot=$(gnuplot --version 2>/dev/null || echo none)"
	echo "cc=$(${CC:-cc} --version | head -1)"
	echo "knobs=kills:$KILLS default_kills:$DKILLS idle_nodes:$IDLE_NODES idle_s:$IDLE_SECS ctl_s:$CTL_SECS ctl_rounds:$CTL_ROUNDS fanout:$FAN_SUBS*$FAN_REPS sentinel_kills:$SENT_KILLS/$SENT_DKILLS handoff_rounds:$HO_ROUNDS jitter_s:$JIT_SECS partition_rounds:$PART_ROUNDS"
}
if [ -z "$ONLY" ]; then
	machine > "$R/machine.txt"
	{
		echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
		echo "# busiest processes at the start (ps, %CPU over their lifetime):"
		ps -eo pcpu=,comm= --sort=-pcpu | head -8 | sed 's/^ */# /'
	} > "$R/load.txt"
fi

# 0. What one persisted vote (write, fsync, rename, fsync dir) costs here.
if want savecost; then
say "savecost: 200 metafile saves"
"$B/bench/savecost" 200 > "$R/savecost.txt"
head -1 "$R/savecost.txt" >&2
fi

# 1. Failover latency: 3 and 5 nodes, fast and default timings.
want failover &&
for t in fast default; do
	if [ $t = fast ]; then k=$KILLS; tim=$FAST; else k=$DKILLS; tim=$DEFAULT; fi
	for n in 3 5; do
		say "failover: $n nodes, $t timings ($tim), $k kills"
		# shellcheck disable=SC2086
		"$B/bench/failover" -o "$R/failover-$n-$t.dat" $n $k $tim \
		    > "$R/failover-$n-$t.txt"
		grep '^agreed - down_after' "$R/failover-$n-$t.txt" >&2
	done
done

# 2. Idle cost versus cluster size (default timings).
want idle &&
for n in $IDLE_NODES; do
	say "idle: $n daemons, ${IDLE_SECS} s window"
	"$B/bench/idle" "$n" "$IDLE_SECS" > "$R/idle-$n.txt" || {
		say "idle: $n daemons: FAILED (elections during the window?)"
		cat "$R/idle-$n.txt" >&2
	}
	grep '^nodes=' "$R/idle-$n.txt" >&2 || true
done

# 3. Control-socket throughput: kevy-electd (primary of a settled
#    three-node cluster, default timings) and redis-server, one generator,
#    both servers up at once and the runs interleaved shape by shape,
#    BENCH_CTL_ROUNDS times: a burst of other load hits both alike.
#    bench/report.sh takes the median over the rounds.
if want ctl; then
say "control socket: kevy-electd and redis-server, $CTL_ROUNDS rounds"
mkfifo "$TMP/hold.in"
"$B/bench/hold" 3 < "$TMP/hold.in" > "$TMP/hold.out" 2> "$R/hold.err" &
exec 3> "$TMP/hold.in"
HOLD_OPEN=1
i=0
while ! grep -q '^pid=' "$TMP/hold.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 600 ] || { say "hold: no cluster"; exit 1; }
	sleep 0.2
done
S=$(sed -n 's/^primary=//p' "$TMP/hold.out")
redis-server --port 0 --unixsocket "$TMP/redis.sock" --save '' \
    --appendonly no --daemonize no > "$R/redis.log" 2>&1 &
REDIS_PID=$!
i=0
while [ ! -S "$TMP/redis.sock" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { say "redis did not start"; exit 1; }
	sleep 0.1
done
load() { # label socket request conns depth
	"$B/bench/ctlload" -s "$2" -r "$3" -c "$4" -p "$5" -d "$CTL_SECS" \
	    -l "$1" >> "$R/ctl-$1.txt"
	tail -n 2 "$R/ctl-$1.txt" | grep -v '^RESULT' >&2
}
r=0
while [ $r -lt "$CTL_ROUNDS" ]; do
	r=$((r + 1))
	for s in 1:1 50:1 50:16; do
		c=${s%:*}; p=${s#*:}
		load redis-PING "$TMP/redis.sock" "PING" "$c" "$p"
		load kevy-PING "$S" "PING" "$c" "$p"
		load kevy-ROLE "$S" "ROLE" "$c" "$p"
		load kevy-STATUS "$S" "STATUS" "$c" "$p"
		load kevy-OFFSET "$S" "OFFSET 123" "$c" "$p"
	done
done
kill "$REDIS_PID"
wait "$REDIS_PID" || true
REDIS_PID=
exec 3>&-
HOLD_OPEN=
wait
cp "$TMP/hold.out" "$R/hold.txt"
fi

# 4. WATCH fan-out.
if want fanout; then
say "WATCH fan-out: $FAN_SUBS subscribers, $FAN_REPS repetitions"
"$B/bench/fanout" "$FAN_SUBS" "$FAN_REPS" > "$R/fanout.txt"
grep '^RESULT' "$R/fanout.txt" >&2
fi

# 5. Connection churn at the primary's election port, auth off and on.
want churn &&
for a in noauth auth; do
	say "churn: $a, threads $CHURN_THREADS, ${CHURN_SECS} s each"
	# shellcheck disable=SC2086
	"$B/bench/churn" "$CHURN_SECS" $a $CHURN_THREADS > "$R/churn-$a.txt" ||
	    say "churn: $a: FAILED"
	grep '^RESULT' "$R/churn-$a.txt" >&2 || true
done

# 6. Time to writable against Redis Sentinel (issue 11): both stacks up
#    at once, kills alternating between them; down_after 1 s (kevy-electd
#    hb 100), then 5 s (its default timings, hb 200). Each run prints its
#    own date and load average in its RESULT line.
want sentinel &&
for s in "1000 100 $SENT_KILLS" "5000 200 $SENT_DKILLS"; do
	# shellcheck disable=SC2086
	set -- $s
	[ "$3" -gt 0 ] || continue
	say "sentinel: down_after $1 ms (kevy-electd hb $2), $3 kills each"
	"$B/bench/sentinel" -o "$R/sentinel-$1" "$3" "$1" "$2" \
	    > "$R/sentinel-$1.txt" || say "sentinel: down_after $1: FAILED"
	grep '^RESULT' "$R/sentinel-$1.txt" >&2 || true
done

# 7. A planned change of primary (issue 12): SIGTERM of the primary (the
#    hand-off on stop) and SWITCHOVER, alternately, three nodes, fast and
#    default timings. Each run records its own date and load average.
want handoff &&
for t in fast default; do
	if [ $t = fast ]; then tim=$FAST; else tim=$DEFAULT; fi
	say "handoff: $t timings ($tim), $HO_ROUNDS rounds"
	{
		echo "RESULT date=$(date -u +%Y-%m-%dT%H:%M:%SZ) load_start=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
		# shellcheck disable=SC2086
		"$B/bench/handoff" -o "$R/handoff-$t.dat" "$HO_ROUNDS" $tim ||
		    say "handoff: $t: FAILED"
		echo "RESULT load_end=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
	} > "$R/handoff-$t.txt"
	grep '^RESULT hb' "$R/handoff-$t.txt" >&2 || true
done

# 8. A settled cluster under heartbeat jitter (issue 15): every packet
#    0 to one interval late, no fault; fences and elections per hour, fast
#    and default timings. The tool prints its own date and load average
#    in its RESULT line, and SKIP where it cannot run (not root).
if want jitter && [ "$JIT_SECS" -gt 0 ]; then
	for t in fast default; do
		if [ $t = fast ]; then hb=50 da=500; else hb=200 da=5000; fi
		say "jitter: $t timings (hb $hb, down_after $da), every packet 0..$hb ms late, $JIT_SECS s"
		"$B/bench/jitter" "$JIT_SECS" $hb $da > "$R/jitter-$t.txt" ||
		    say "jitter: $t: FAILED"
		grep '^RESULT\|SKIP\|FAILED' "$R/jitter-$t.txt" >&2 || true
	done
fi

# 9. (last: the longest, and it needs root) Acknowledged writes lost in a
#    partition, kevy-electd against Redis Sentinel (with and without
#    min-replicas-to-write), rounds interleaved, in network namespaces;
#    the tool prints its own date and load average in its RESULT line,
#    and SKIP where it cannot run.
if want partition && [ "$PART_ROUNDS" -gt 0 ]; then
	say "partition: down_after 1000 ms (kevy-electd hb 100), cut 10 s, $PART_ROUNDS rounds per stack"
	"$B/bench/partition" -o "$R/partition-1000.dat" "$PART_ROUNDS" 1000 100 \
	    10000 > "$R/partition-1000.txt" || say "partition: FAILED"
	grep '^RESULT\|SKIP' "$R/partition-1000.txt" >&2 || true
fi

[ -n "$ONLY" ] || echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$R/load.txt"
say "results in $R"
