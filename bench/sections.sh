# shellcheck shell=sh
# Sourced by bench/run.sh and bench/report.sh: the sections of a bench run
# and BENCH_ONLY, the one way to run some of them alone.
#
# BENCH_ONLY is a space-separated list of sections (empty: all of them),
# e.g. BENCH_ONLY="handoff partition". A name not in BENCH_SECTIONS is an
# error (exit 64) before anything runs. The sections named replace their
# own raw results; every other result is left as it was. The main table of
# docs/reports/benchmarks.md (between bench:begin and bench:end) needs
# every result and the run's machine and load, so only a full run rewrites
# it; a section in BENCH_OWN_TABLES has a table of its own (between
# bench-<section>:begin and bench-<section>:end), rewritten whenever the
# section ran.

# In the order bench/run.sh runs them (jitter and partition last: they
# need root, and partition is the longest).
BENCH_SECTIONS="savecost failover idle ctl fanout churn sentinel handoff jitter partition"
# shellcheck disable=SC2034 # used by bench/report.sh
BENCH_OWN_TABLES="handoff jitter partition"

# The list, words split without globbing (a '*' is a bad name, not files).
set -f
# shellcheck disable=SC2086
ONLY=$(printf '%s ' ${BENCH_ONLY:-})
ONLY=${ONLY% }
for s in $ONLY; do
	case " $BENCH_SECTIONS " in
	*" $s "*) ;;
	*) echo "bench: BENCH_ONLY: no section '$s' (sections: $BENCH_SECTIONS)" >&2
	   exit 64 ;;
	esac
done
set +f

# in_list WORD LIST: WORD is one of the words of LIST.
in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }
# want SECTION: this run covers SECTION.
want() { [ -z "$ONLY" ] || in_list "$1" "$ONLY"; }
