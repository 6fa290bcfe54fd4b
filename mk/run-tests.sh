#!/bin/sh
# Run each Check test binary given; report every failure, fail if any.
failed=""
for t in "$@"; do
	echo "== $t"
	if ! "$t"; then failed="$failed $t"; fi
done
if [ -n "$failed" ]; then
	echo "FAILED:$failed" >&2
	exit 1
fi
echo "all $# test programs passed"
