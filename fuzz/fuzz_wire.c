/*
 * fuzz_wire: lib/wire's decoder over hostile bytes, driven the way
 * daemon/inbound.c drives it: decode at most WIRE_FRAME_MAX buffered bytes,
 * drop what was used, repeat until an error or a need for more bytes.
 *
 * Besides "no crash, no read past len" (ASan), it checks the promises of
 * wire.h: OK and SKIP consume 1..len bytes, ERROR always says why, every
 * decoded frame re-encodes into a frame that decodes to the same fields,
 * and no prefix of a frame or filler is ever reported as an error or a
 * frame (the decoder is stateless and re-parses from the start). That
 * last check is quadratic: it runs on the first frame of an input only,
 * which the fuzzer can make any frame it likes.
 *
 * Must never define anything global but LLVMFuzzerTestOneInput: the same
 * file is linked with libFuzzer (make fuzz) and with tests/fuzz_replay.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_wire: broken promise: %s\n", what);
		abort();
	}
}

static void
check_same(const struct wire_frame *a, const struct wire_frame *b)
{
	check(a->verb == b->verb, "round trip: verb");
	check(a->epoch == b->epoch, "round trip: epoch");
	check(strcmp(a->id, b->id) == 0, "round trip: id");
	check(a->quiet == b->quiet, "round trip: quiet mark");
	if (a->verb == WIRE_HB)
		check(a->role == b->role, "round trip: role");
	if (a->verb == WIRE_HB || a->verb == WIRE_OFFER)
		check(a->offset == b->offset, "round trip: offset");
	if (a->verb == WIRE_ANNOUNCE)
		check(strcmp(a->addr, b->addr) == 0, "round trip: addr");
}

/* A decoded frame encodes, and what it encodes to decodes to it again. */
static void
check_round_trip(const struct wire_frame *f)
{
	uint8_t enc[WIRE_FRAME_MAX];
	struct wire_frame g;
	size_t n, used;

	n = wire_encode(f, enc, sizeof enc);
	check(n > 0 && n <= WIRE_FRAME_MAX, "decoded frame does not encode");
	check(wire_decode(enc, n, &g, &used, NULL) == WIRE_OK,
	    "encoded frame does not decode");
	check(used == n, "encoded frame not consumed whole");
	check_same(f, &g);
}

/* Every strict prefix of what was consumed is only "need more". */
static void
check_prefixes(const uint8_t *p, size_t used)
{
	struct wire_frame g;
	size_t k, u;

	for (k = 1; k < used; k++)
		check(wire_decode(p, k, &g, &u, NULL) == WIRE_NEED_MORE,
		    "a prefix of a valid frame is not NEED_MORE");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	int first = 1;

	while (off < size) {
		size_t left = size - off, used = 99999;
		size_t want = left < WIRE_FRAME_MAX ? left : WIRE_FRAME_MAX;
		const char *why = (const char *)1;
		struct wire_frame f;
		enum wire_status st;

		st = wire_decode(data + off, want, &f, &used, &why);
		switch (st) {
		case WIRE_OK:
		case WIRE_SKIP:
			check(used > 0 && used <= want, "used out of range");
			check(why == NULL, "why set without an error");
			if (first)
				check_prefixes(data + off, used);
			first = 0;
			if (st == WIRE_OK)
				check_round_trip(&f);
			off += used;
			break;
		case WIRE_NEED_MORE:
			check(used == 0 && why == NULL, "need more with output");
			return 0;
		case WIRE_ERROR:
			check(used == 0, "error with used bytes");
			check(why != NULL && why[0] != '\0', "error without why");
			return 0;
		default:
			check(0, "unknown status");
		}
	}
	return 0;
}
