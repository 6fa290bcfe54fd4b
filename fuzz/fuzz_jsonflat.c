/*
 * fuzz_jsonflat: lib/jsonflat over hostile bytes (kevy-electctl reads the
 * CLUSTER reply with it). Checks the promises of jsonflat.h besides "no
 * crash": a result is -1 with a reason or a count of objects the callback
 * saw, every key and value is NUL-terminated within its limit and free of
 * control bytes, no object has more than JSONFLAT_FIELDS_MAX fields.
 *
 * Must never define anything global but LLVMFuzzerTestOneInput: the same
 * file is linked with libFuzzer (make fuzz) and with tests/fuzz_replay.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonflat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_jsonflat: broken promise: %s\n", what);
		abort();
	}
}

static int
clean(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return 0;
	return 1;
}

static int
seen(const struct jsonflat_object *o, void *ctx)
{
	check(o->n <= JSONFLAT_FIELDS_MAX, "too many fields");
	for (size_t i = 0; i < o->n; i++) {
		check(clean(o->f[i].key, JSONFLAT_KEY_MAX), "bad key");
		check(clean(o->f[i].value, JSONFLAT_VALUE_MAX), "bad value");
		check(o->f[i].type >= JSONFLAT_STRING &&
		    o->f[i].type <= JSONFLAT_NULL, "type out of enum");
		check(jsonflat_get(o, o->f[i].key) != NULL, "key not found");
	}
	++*(long *)ctx;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jsonflat_object obj;
	const char *why = NULL;
	long calls = 0, n;

	n = jsonflat_parse_array((const char *)data, size, &obj, seen, &calls,
	    &why);
	if (n < 0)
		check(why != NULL && why[0] != '\0', "failure without a reason");
	else
		check(why == NULL && n == calls, "count is not the objects seen");
	return 0;
}
