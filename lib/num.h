/*
 * num: the one strict number parser of the program, for the wire, the
 * control socket and the config alike. Never atoi, never bare strtoull
 * (it accepts signs, spaces and "0x").
 */
#ifndef NUM_H
#define NUM_H

#include <stddef.h>
#include <stdint.h>

#define NUM_U64_DIGITS 20 /* decimal digits in UINT64_MAX */

/*
 * Parse s[0..len) as 1..NUM_U64_DIGITS ASCII digits and nothing else: no
 * sign, no space, no prefix. Leading zeros are accepted ("007"), as the
 * reference's parser does. Returns 0, or -1 if invalid or over 2^64-1.
 */
int num_parse_u64(const char *s, size_t len, uint64_t *out);

#endif
