/*
 * jsonflat: see jsonflat.h. A cursor over the input that never passes its
 * end; every helper returns false with a reason at the first thing that
 * is not exactly the expected shape.
 */
#include <stdbool.h>
#include <string.h>

#include "jsonflat.h"

struct cur {
	const char *p, *end;
	const char *why;
};

static bool
fail(struct cur *c, const char *why)
{
	if (c->why == NULL)
		c->why = why;
	return false;
}

static void
blanks(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool
take(struct cur *c, char ch)
{
	blanks(c);
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

static int
hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* One escape after the backslash, as the byte it stands for ('?' beyond ASCII). */
static bool
escape(struct cur *c, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *at;
	unsigned v = 0;

	if (c->p >= c->end)
		return fail(c, "unterminated string");
	if (*c->p != 'u') {
		if ((at = strchr(from, *c->p)) == NULL || *c->p == '\0')
			return fail(c, "bad escape in string");
		*out = to[at - from];
		c->p++;
		return true;
	}
	c->p++;
	for (int i = 0; i < 4; i++) {
		if (c->p >= c->end || hex(*c->p) < 0)
			return fail(c, "bad \\u escape in string");
		v = v * 16 + (unsigned)hex(*c->p++);
	}
	*out = v < 0x80 ? (char)v : '?';
	return true;
}

/* A string into dst (cap bytes with its NUL); control bytes become '?'. */
static bool
string(struct cur *c, char *dst, size_t cap, const char *too_long)
{
	size_t n = 0;
	char ch;

	if (!take(c, '"'))
		return fail(c, "expected a string");
	for (;;) {
		if (c->p >= c->end)
			return fail(c, "unterminated string");
		ch = *c->p++;
		if (ch == '"')
			break;
		if ((unsigned char)ch < 0x20)
			return fail(c, "control byte in string");
		if (ch == '\\' && !escape(c, &ch))
			return false;
		if ((unsigned char)ch < 0x20 || ch == 0x7f)
			ch = '?';
		if (n + 1 >= cap)
			return fail(c, too_long);
		dst[n++] = ch;
	}
	dst[n] = '\0';
	return true;
}

static bool
is_digit(const struct cur *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/* A JSON number, copied as written. */
static bool
number(struct cur *c, char *dst, size_t cap)
{
	const char *start = c->p;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (!is_digit(c))
		return fail(c, "bad number");
	if (*c->p == '0' && c->p + 1 < c->end && c->p[1] >= '0' &&
	    c->p[1] <= '9')
		return fail(c, "number with a leading zero");
	while (is_digit(c))
		c->p++;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!is_digit(c))
			return fail(c, "bad number");
		while (is_digit(c))
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!is_digit(c))
			return fail(c, "bad number");
		while (is_digit(c))
			c->p++;
	}
	if ((size_t)(c->p - start) >= cap)
		return fail(c, "number too long");
	memcpy(dst, start, (size_t)(c->p - start));
	dst[c->p - start] = '\0';
	return true;
}

static bool
word(struct cur *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool
value(struct cur *c, struct jsonflat_field *f)
{
	blanks(c);
	f->value[0] = '\0';
	if (c->p >= c->end)
		return fail(c, "expected a value");
	if (*c->p == '"') {
		f->type = JSONFLAT_STRING;
		return string(c, f->value, sizeof f->value, "value too long");
	}
	if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) {
		f->type = JSONFLAT_NUMBER;
		return number(c, f->value, sizeof f->value);
	}
	if (word(c, "true"))
		f->type = JSONFLAT_TRUE;
	else if (word(c, "false"))
		f->type = JSONFLAT_FALSE;
	else if (word(c, "null"))
		f->type = JSONFLAT_NULL;
	else if (*c->p == '{' || *c->p == '[')
		return fail(c, "nested value: not a flat object");
	else
		return fail(c, "expected a value");
	return true;
}

static bool
object(struct cur *c, struct jsonflat_object *o)
{
	o->n = 0;
	if (!take(c, '{'))
		return fail(c, "expected an object");
	if (take(c, '}'))
		return true;
	do {
		if (o->n >= JSONFLAT_FIELDS_MAX)
			return fail(c, "too many fields in an object");
		if (!string(c, o->f[o->n].key, sizeof o->f[o->n].key,
		    "key too long"))
			return false;
		if (!take(c, ':'))
			return fail(c, "expected ':'");
		if (!value(c, &o->f[o->n]))
			return false;
		o->n++;
	} while (take(c, ','));
	if (!take(c, '}'))
		return fail(c, "expected ',' or '}'");
	return true;
}

long
jsonflat_parse_array(const char *text, size_t len,
    struct jsonflat_object *obj, jsonflat_fn *fn, void *ctx,
    const char **why)
{
	struct cur c = { text, text + len, NULL };
	long n = 0;

	*why = NULL;
	if (!take(&c, '[')) {
		*why = "expected an array";
		return -1;
	}
	if (!take(&c, ']')) {
		do {
			if (!object(&c, obj)) {
				*why = c.why;
				return -1;
			}
			n++;
			if (fn != NULL && fn(obj, ctx) != 0) {
				*why = "stopped";
				return -1;
			}
		} while (take(&c, ','));
		if (!take(&c, ']')) {
			*why = "expected ',' or ']'";
			return -1;
		}
	}
	blanks(&c);
	if (c.p != c.end) {
		*why = "bytes after the array";
		return -1;
	}
	return n;
}

const struct jsonflat_field *
jsonflat_get(const struct jsonflat_object *o, const char *key)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->f[i].key, key) == 0)
			return &o->f[i];
	return NULL;
}
