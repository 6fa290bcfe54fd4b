/*
 * jsonflat: a strict reader for the one JSON shape kevy-electctl reads
 * back from the daemon: an array of flat objects whose values are strings,
 * numbers, true, false or null (the CLUSTER table, lib/status.c). Pure: no
 * I/O, no allocation; input is never read past its length. Anything else
 * (nesting, a trailing comma, a bad escape, a key or value over its limit)
 * is refused with a reason, never guessed at: it is a daemon's reply, and
 * a half-understood one must not print a wrong table.
 */
#ifndef JSONFLAT_H
#define JSONFLAT_H

#include <stddef.h>

#define JSONFLAT_KEY_MAX    32   /* bytes of a key, unescaped */
#define JSONFLAT_VALUE_MAX  512  /* bytes of a value, unescaped */
#define JSONFLAT_FIELDS_MAX 32   /* fields in one object */

enum jsonflat_type {
	JSONFLAT_STRING = 1,
	JSONFLAT_NUMBER,          /* value: its text as written */
	JSONFLAT_TRUE,
	JSONFLAT_FALSE,
	JSONFLAT_NULL,
};

struct jsonflat_field {
	char key[JSONFLAT_KEY_MAX + 1];
	enum jsonflat_type type;
	/* Strings unescaped; \u escapes beyond ASCII, and control bytes,
	 * come out as '?': what is printed stays one clean line. */
	char value[JSONFLAT_VALUE_MAX + 1];
};

struct jsonflat_object {
	struct jsonflat_field f[JSONFLAT_FIELDS_MAX];
	size_t n;
};

/* Called once per object of the array, in order; non-zero stops. */
typedef int jsonflat_fn(const struct jsonflat_object *, void *ctx);

/*
 * Read text[0..len): one array of flat objects, blanks around it allowed
 * (a trailing "\n" too). obj is the caller's scratch for one object.
 * Returns the number of objects, or -1 with a static reason in *why (also
 * when fn stopped the walk: "stopped").
 */
long jsonflat_parse_array(const char *text, size_t len,
    struct jsonflat_object *obj, jsonflat_fn *fn, void *ctx,
    const char **why);

/* The field named key, or NULL. */
const struct jsonflat_field *jsonflat_get(const struct jsonflat_object *,
    const char *key);

#endif
