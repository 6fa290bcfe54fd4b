#!/bin/sh
# Run libFuzzer targets built by `make fuzz`, one after the other.
# Usage: fuzz.sh DIR SECONDS TARGET...
#   DIR/fuzz_TARGET        the libFuzzer binary
#   fuzz/corpus/TARGET     the seed corpus (read only: copied, never written)
#   DIR/corpus/TARGET      the working corpus (seeds + what the run found)
#   DIR/findings/TARGET/   crash-*, leak-*, timeout-*, oom-* reproducers
#   DIR/TARGET.log         the full libFuzzer output
#   fuzz/TARGET.dict       a libFuzzer dictionary, used when present
# Prints one summary line per target; fails if any target found something.
set -u
dir=$1 secs=$2
# Known leaks in the libraries we link (each explained in the file).
LSAN_OPTIONS="suppressions=$(pwd)/fuzz/lsan.supp:print_suppressions=0"
export LSAN_OPTIONS
shift 2
bad=""
for t in "$@"; do
	bin=$dir/fuzz_$t corpus=$dir/corpus/$t findings=$dir/findings/$t
	mkdir -p "$corpus" "$findings"
	cp fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
	echo "== fuzz $t: ${secs}s, corpus $corpus ($(ls "$corpus" | wc -l) files)"
	# -max_len above every cap (WIRE_FRAME_MAX, CTL_LINE_MAX) so the caps
	# themselves get exercised; a run over 10 s or 512 MB is a finding.
	dict=""
	[ -f fuzz/"$t".dict ] && dict="-dict=fuzz/$t.dict"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 \
	    -rss_limit_mb=512 -print_final_stats=1 $dict \
	    -artifact_prefix="$findings"/ "$corpus" >"$dir/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/$t.log")
	cov=$(grep -E '^#[0-9]+' "$dir/$t.log" | tail -n 1 |
	    sed -n 's/.*\(cov: [0-9]* ft: [0-9]*\).*/\1/p')
	found=$(ls "$findings" | wc -l)
	echo "fuzz $t: executions=${execs:-?} exec/s=${rate:-?} ${cov:-cov: ?}" \
	    "corpus=$(ls "$corpus" | wc -l) findings=$found exit=$rc"
	if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
		bad="$bad $t"
		grep -E '^==[0-9]+==|SUMMARY|broken promise|Test unit written' \
		    "$dir/$t.log" | head -n 20
		echo "fuzz $t: reproducers in $findings, full log $dir/$t.log"
	fi
done
if [ -n "$bad" ]; then
	echo "fuzz: FINDINGS in:$bad" >&2
	exit 1
fi
echo "fuzz: no findings in $# targets"
