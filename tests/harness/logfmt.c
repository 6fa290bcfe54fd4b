/*
 * logfmt: see logfmt.h.
 */
#include <stdio.h>
#include <string.h>

#include "logfmt.h"


static bool
is_key_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || c == '_' ||
	    (!first && c >= '0' && c <= '9');
}

static bool
is_plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\';
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int
fail(char *err, size_t errlen, const char *why, size_t at)
{
	snprintf(err, errlen, "%s at byte %zu", why, at);
	return -1;
}

/* A quoted value from line[i] (the opening quote); its end past the
 * closing quote in *end. */
static int
quoted(const char *line, size_t len, size_t i, size_t *end, char *err,
    size_t errlen)
{
	size_t start = i++;

	while (i < len && line[i] != '"') {
		unsigned char c = (unsigned char)line[i];

		if (c == '\\') {
			if (i + 1 < len && (line[i + 1] == '"' ||
			    line[i + 1] == '\\'))
				i += 2;
			else if (i + 3 < len && line[i + 1] == 'x' &&
			    is_hex(line[i + 2]) && is_hex(line[i + 3]))
				i += 4;
			else
				return fail(err, errlen, "bad escape", i);
		} else if (c < 0x20 || c > 0x7e)
			return fail(err, errlen, "raw control byte in quotes",
			    i);
		else
			i++;
	}
	if (i >= len)
		return fail(err, errlen, "unterminated quote", start);
	*end = i + 1;
	return 0;
}

int
logfmt_parse(const char *line, size_t len, struct logfmt_line *out,
    char *err, size_t errlen)
{
	size_t i = 0;

	out->n = 0;
	if (len == 0)
		return fail(err, errlen, "empty line", 0);
	while (i < len) {
		struct logfmt_field *f;
		size_t k = i, end;

		if (out->n == LOGFMT_FIELDS_MAX)
			return fail(err, errlen, "too many fields", i);
		while (i < len && is_key_char(line[i], i == k))
			i++;
		if (i == k || i - k > LOGFMT_KEY_MAX)
			return fail(err, errlen, "no snake_case key", k);
		if (i >= len || line[i] != '=')
			return fail(err, errlen, "bare word (key without =)",
			    k);
		f = &out->f[out->n];
		memcpy(f->key, line + k, i - k);
		f->key[i - k] = '\0';
		for (size_t j = 0; j < out->n; j++)
			if (strcmp(out->f[j].key, f->key) == 0)
				return fail(err, errlen, "key repeated", k);
		i++;
		if (i < len && line[i] == '"') {
			if (quoted(line, len, i, &end, err, errlen) == -1)
				return -1;
			f->quoted = true;
		} else {
			end = i;
			while (end < len && is_plain((unsigned char)line[end]))
				end++;
			if (end == i)
				return fail(err, errlen, "empty value", i);
			f->quoted = false;
		}
		f->val = line + i;
		f->val_len = end - i;
		out->n++;
		i = end;
		if (i == len)
			break;
		if (line[i] != ' ')
			return fail(err, errlen, "value not followed by a "
			    "space (unquoted space, quote or =?)", i);
		if (++i == len)
			return fail(err, errlen, "trailing space", i - 1);
	}
	return 0;
}

const char *
logfmt_get(const struct logfmt_line *l, const char *key, char *buf,
    size_t cap)
{
	for (size_t j = 0; j < l->n; j++) {
		const struct logfmt_field *f = &l->f[j];
		size_t o = 0;

		if (strcmp(f->key, key) != 0)
			continue;
		if (cap == 0)
			return NULL;
		if (!f->quoted) {
			o = f->val_len < cap - 1 ? f->val_len : cap - 1;
			memcpy(buf, f->val, o);
			buf[o] = '\0';
			return buf;
		}
		for (size_t i = 1; i + 1 < f->val_len && o + 1 < cap; i++) {
			char c = f->val[i];

			if (c == '\\' && f->val[i + 1] == 'x') {
				unsigned v = 0;

				sscanf(f->val + i + 2, "%2x", &v);
				c = (char)v;
				i += 3;
			} else if (c == '\\')
				c = f->val[++i];
			buf[o++] = c;
		}
		buf[o] = '\0';
		return buf;
	}
	return NULL;
}

/* YYYY-MM-DDTHH:MM:SS.mmmZ */
static bool
is_timestamp(const char *v, size_t len)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	if (len != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if (shape[i] == 'd' ? !(v[i] >= '0' && v[i] <= '9') :
		    v[i] != shape[i])
			return false;
	return true;
}

static bool
is_snake(const char *v, size_t len)
{
	if (len == 0 || !is_key_char(v[0], true))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_key_char(v[i], false))
			return false;
	return true;
}

static bool
field_is(const struct logfmt_field *f, const char *key)
{
	return strcmp(f->key, key) == 0;
}

int
logfmt_check_line(const char *line, size_t len, char *err, size_t errlen)
{
	static const char *const levels[] = { "error", "warn", "info",
	    "debug" };
	struct logfmt_line l;
	const struct logfmt_field *f;
	size_t k = 0;
	bool level_ok = false;

	if (logfmt_parse(line, len, &l, err, errlen) == -1)
		return -1;
	if (l.n > 0 && field_is(&l.f[0], "ts")) {
		if (l.f[0].quoted || !is_timestamp(l.f[0].val, l.f[0].val_len)) {
			snprintf(err, errlen, "ts= is not "
			    "YYYY-MM-DDTHH:MM:SS.mmmZ");
			return -1;
		}
		k = 1;
	}
	if (l.n < k + 3 || !field_is(&l.f[k], "level") ||
	    !field_is(&l.f[k + 1], "node") || !field_is(&l.f[k + 2], "event")) {
		snprintf(err, errlen, "the first fields are not [ts] level "
		    "node event");
		return -1;
	}
	f = &l.f[k];
	for (size_t i = 0; i < 4; i++)
		level_ok = level_ok || (!f->quoted &&
		    f->val_len == strlen(levels[i]) &&
		    memcmp(f->val, levels[i], f->val_len) == 0);
	if (!level_ok) {
		snprintf(err, errlen, "level= is not error, warn, info or "
		    "debug");
		return -1;
	}
	f = &l.f[k + 2];
	if (f->quoted || !is_snake(f->val, f->val_len)) {
		snprintf(err, errlen, "event= is not a snake_case name");
		return -1;
	}
	return 0;
}

int
logfmt_check_file(const char *path, bool killed, size_t *lines,
    char *err, size_t errlen)
{
	char line[LOGFMT_FILE_LINE_MAX], why[LOGFMT_ERR_MAX];
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int rc = 0;

	*lines = 0;
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		n++;
		/* The cut tail of a killed writer: nothing follows it. */
		if (killed && len > 0 && line[len - 1] != '\n' &&
		    fgetc(f) == EOF)
			break;
		/* A NUL byte ends strlen early: it shows as no line end. */
		if (len == 0 || line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%zu: no line end within %d "
			    "bytes, or a NUL byte: %.200s", path, n,
			    LOGFMT_FILE_LINE_MAX - 1, line);
			rc = -1;
			break;
		}
		line[--len] = '\0';
		if (logfmt_check_line(line, len, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%zu: %s: %.300s", path, n,
			    why, line);
			rc = -1;
			break;
		}
	}
	fclose(f);
	*lines = n;
	return rc;
}
