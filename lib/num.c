/*
 * num: the one strict decimal parser. It exists so that no caller reaches
 * for atoi or strtoull, which accept signs, spaces, "0x" and locale quirks
 * that a peer could use to smuggle a number past a check.
 * Pure: never reads past len, never writes *out on failure.
 */
#include "num.h"

int
num_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > NUM_U64_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - (unsigned)'0';

		if (d > 9)
			return -1;
		/* 20 digits can exceed 2^64-1: check before it wraps. */
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}
