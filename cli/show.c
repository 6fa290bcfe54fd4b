/*
 * show: see show.h.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "jsonflat.h"
#include "show.h"

/* Bytes of one table cell: a client address is the widest. */
#define SHOW_CELL_MAX 272
#define SHOW_TIME_MAX 40    /* bytes of a local timestamp */

/* The keys a WATCH line is pushed for, shown in this order when present. */
static const char *const watch_keys[] = {
	"role", "epoch", "primary", "primary_addr", "quorum", "fenced",
	"down", "local", "paused", "switchover",
};
/* yes/no keys, true/false in JSON. */
static const char *const bool_keys[] = { "quorum", "fenced", "paused" };

void
show_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
show_field(const char *line, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key), n;
	const char *p = line;

	out[0] = '\0';
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			n -= klen + 1;
			if (n >= cap)
				n = cap - 1;
			memcpy(out, p + klen + 1, n);
			out[n] = '\0';
			return;
		}
		p += n;
	}
}

void
show_status(FILE *f, const char *line)
{
	const char *p, *eq;
	size_t n, klen, width = 0;

	/* Two passes: the widest key first, for the alignment. */
	for (int pass = 0; pass < 2; pass++)
		for (p = line; *p != '\0'; p += n) {
			while (*p == ' ')
				p++;
			if ((n = strcspn(p, " ")) == 0)
				break;
			eq = memchr(p, '=', n);
			klen = eq != NULL ? (size_t)(eq - p) : n;
			if (pass == 0) {
				if (klen > width)
					width = klen;
				continue;
			}
			fprintf(f, "%-*.*s  %.*s\n", (int)width, (int)klen, p,
			    eq != NULL ? (int)(n - klen - 1) : 0,
			    eq != NULL ? eq + 1 : "");
		}
}

/* ---- the cluster table ---- */

enum col { C_MARK, C_ID, C_ADDR, C_ROLE, C_STATE, C_PRIO, C_EPOCH, C_OFFSET,
    C_LAG, C_SEEN, C_N };
static const char *const heads[C_N] = { "", "ID", "ADDRESS", "ROLE",
    "STATE", "PRIO", "EPOCH", "OFFSET", "LAG", "LAST SEEN" };
static const bool right[C_N] = { [C_PRIO] = true, [C_EPOCH] = true,
    [C_OFFSET] = true, [C_LAG] = true, [C_SEEN] = true };

struct table {
	char (*cell)[C_N][SHOW_CELL_MAX];   /* SHOW_ROWS_MAX rows */
	size_t n;
};

static void
cell_text(char *dst, const struct jsonflat_object *o, const char *key,
    const char *absent)
{
	const struct jsonflat_field *f = jsonflat_get(o, key);

	if (f == NULL || f->type == JSONFLAT_NULL)
		snprintf(dst, SHOW_CELL_MAX, "%s", absent);
	else if (f->type == JSONFLAT_TRUE || f->type == JSONFLAT_FALSE)
		snprintf(dst, SHOW_CELL_MAX, "%s", f->type == JSONFLAT_TRUE ?
		    "yes" : "no");
	else
		snprintf(dst, SHOW_CELL_MAX, "%s", f->value);
}

/* "40ms", "5.0s", "3m12s": ages an operator reads at a glance. */
static void
age_text(char *dst, const struct jsonflat_object *o)
{
	const struct jsonflat_field *self = jsonflat_get(o, "self");
	const struct jsonflat_field *f = jsonflat_get(o, "last_seen_ms");
	uint64_t ms;

	if (self != NULL && self->type == JSONFLAT_TRUE) {
		snprintf(dst, SHOW_CELL_MAX, "-");
		return;
	}
	if (f == NULL || f->type != JSONFLAT_NUMBER) {
		snprintf(dst, SHOW_CELL_MAX, "never");
		return;
	}
	ms = strtoull(f->value, NULL, 10);
	if (ms < 1000)
		snprintf(dst, SHOW_CELL_MAX, "%" PRIu64 "ms", ms);
	else if (ms < 60000)
		snprintf(dst, SHOW_CELL_MAX, "%" PRIu64 ".%" PRIu64 "s",
		    ms / 1000, ms % 1000 / 100);
	else
		snprintf(dst, SHOW_CELL_MAX, "%" PRIu64 "m%02" PRIu64 "s",
		    ms / 60000, ms % 60000 / 1000);
}

static int
table_row(const struct jsonflat_object *o, void *ctx)
{
	struct table *t = ctx;
	char (*row)[SHOW_CELL_MAX];
	const struct jsonflat_field *self = jsonflat_get(o, "self");

	if (t->n >= SHOW_ROWS_MAX || jsonflat_get(o, "id") == NULL)
		return -1;
	row = t->cell[t->n++];
	snprintf(row[C_MARK], SHOW_CELL_MAX, "%s", self != NULL &&
	    self->type == JSONFLAT_TRUE ? "*" : "");
	cell_text(row[C_ID], o, "id", "?");
	cell_text(row[C_ADDR], o, "client_addr", "-");
	cell_text(row[C_ROLE], o, "role", "unknown");
	cell_text(row[C_STATE], o, "state", "?");
	/* An older daemon's table has no priority: "-". */
	cell_text(row[C_PRIO], o, "priority", "-");
	cell_text(row[C_EPOCH], o, "epoch", "-");
	cell_text(row[C_OFFSET], o, "offset", "-");
	cell_text(row[C_LAG], o, "lag", "-");
	age_text(row[C_SEEN], o);
	return 0;
}

int
show_table(FILE *f, const char *json, const char **why)
{
	static struct jsonflat_object obj;
	struct table t = { NULL, 0 };
	size_t w[C_N];

	if ((t.cell = calloc(SHOW_ROWS_MAX, sizeof *t.cell)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	if (jsonflat_parse_array(json, strlen(json), &obj, table_row, &t,
	    why) < 0) {
		if (strcmp(*why, "stopped") == 0)
			*why = "a row without an id, or too many rows";
		free(t.cell);
		return -1;
	}
	for (size_t c = 0; c < C_N; c++) {
		w[c] = strlen(heads[c]);
		for (size_t r = 0; r < t.n; r++)
			if (strlen(t.cell[r][c]) > w[c])
				w[c] = strlen(t.cell[r][c]);
	}
	for (size_t r = 0; r <= t.n; r++) {
		for (size_t c = 0; c < C_N; c++) {
			const char *s = r == 0 ? heads[c] : t.cell[r - 1][c];

			if (c + 1 == C_N && !right[c])
				fprintf(f, "%s", s);
			else
				fprintf(f, right[c] ? "%*s" : "%-*s", (int)w[c],
				    s);
			fputs(c + 1 < C_N ? (c == C_MARK ? " " : "  ") : "\n",
			    f);
		}
	}
	free(t.cell);
	return 0;
}

/* ---- watch ---- */

static void
local_time(char *buf, size_t cap)
{
	struct timeval tv;
	struct tm tm;
	char zone[8];
	size_t n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);
	snprintf(buf + n, cap - n, ".%03ld%s", (long)tv.tv_usec / 1000, zone);
}

static bool
is_bool_key(const char *k)
{
	for (size_t i = 0; i < sizeof bool_keys / sizeof bool_keys[0]; i++)
		if (strcmp(k, bool_keys[i]) == 0)
			return true;
	return false;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* One "key":value of a WATCH line, typed as STATUS JSON types it. */
static void
json_watch_value(FILE *f, const char *key, const char *v)
{
	char id[SHOW_CELL_MAX];
	const char *p;
	size_t n;

	if (strcmp(key, "down") == 0) {
		fputc('[', f);
		for (p = v; strcmp(v, "none") != 0 && *p != '\0'; p += n) {
			n = strcspn(p, ",");
			snprintf(id, sizeof id, "%.*s", (int)n, p);
			if (p != v)
				fputc(',', f);
			show_json_str(f, id);
			if (p[n] == ',')
				n++;
		}
		fputc(']', f);
	} else if (is_bool_key(key) && (strcmp(v, "yes") == 0 ||
	    strcmp(v, "no") == 0))
		fputs(strcmp(v, "yes") == 0 ? "true" : "false", f);
	else if (all_digits(v) && strlen(v) <= 20)
		fputs(v, f);
	else if (strcmp(v, "none") == 0)
		fputs("null", f);
	else
		show_json_str(f, v);
}

void
show_watch(FILE *f, const char *line, bool json)
{
	char ts[SHOW_TIME_MAX], v[SHOW_CELL_MAX * 4];
	bool first = true;

	local_time(ts, sizeof ts);
	if (json) {
		fputs("{\"time\":", f);
		show_json_str(f, ts);
	} else
		fputs(ts, f);
	for (size_t i = 0; i < sizeof watch_keys / sizeof watch_keys[0];
	    i++) {
		show_field(line, watch_keys[i], v, sizeof v);
		if (v[0] == '\0')
			continue;
		if (json) {
			fprintf(f, ",\"%s\":", watch_keys[i]);
			json_watch_value(f, watch_keys[i], v);
		} else
			fprintf(f, " %s=%s", watch_keys[i], v);
		first = false;
	}
	/* Not a STATUS line: shown as it came. */
	if (first && !json)
		fprintf(f, " %s", line);
	else if (first) {
		fputs(",\"line\":", f);
		show_json_str(f, line);
	}
	fputs(json ? "}\n" : "\n", f);
	fflush(f);
}
