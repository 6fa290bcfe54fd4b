#!/bin/sh
# Run each test command given (a word list, e.g. "valgrind -q prog");
# report every failure, fail if any.
failed=""
# Every test case by name with its result (Check's CK_ENV print mode).
CK_VERBOSITY=${CK_VERBOSITY:-verbose}
export CK_VERBOSITY
for t in "$@"; do
	echo "== $t"
	# shellcheck disable=SC2086
	if ! $t; then failed="$failed [$t]"; fi
done
if [ -n "$failed" ]; then
	echo "FAILED:$failed" >&2
	exit 1
fi
echo "all $# test programs passed"
