/*
 * config_doc: the key reference, rendered from the schema table for
 * `kevy-electd --dump-config md|man`. Its output is the marked part of
 * docs/reference/configuration.md (<!-- keys:begin --> .. <!-- keys:end -->)
 * and of man/kevy-electd.conf.5 (.\" keys:begin .. .\" keys:end);
 * mk/gen-config- docs.sh writes it there and tests/check_config.c fails when
 * they drift.
 *
 * The table's doc texts are one small markup: plain ASCII with `code`
 * spans. Markdown takes it as it is; roff gets the spans in bold, its
 * escapes, and one sentence per line. Default, range and reload columns
 * are computed from the row (def, min, max, kind, reload), never written
 * by hand, so they cannot disagree with what the loader does.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

#define DOC_CELL_MAX 256 /* bytes in a computed default or range text */

/* What SIGHUP does, as a table cell and as a man page sentence. */
static const char *
reload_word(enum config_reload r)
{
	switch (r) {
	case CONFIG_RELOAD_LIVE:
		return "live";
	case CONFIG_RELOAD_RESTART:
		return "restart";
	case CONFIG_RELOAD_MEMBERSHIP:
		return "restart every node";
	}
	return "";
}

static const char *
reload_sentence(enum config_reload r)
{
	switch (r) {
	case CONFIG_RELOAD_LIVE:
		return "SIGHUP applies a change at once.";
	case CONFIG_RELOAD_RESTART:
		return "A change takes effect after a restart.";
	case CONFIG_RELOAD_MEMBERSHIP:
		return "A change takes effect after a restart of every node.";
	}
	return "";
}

/* "1..32 bytes, absolute path": the checks the loader makes, in words. */
static void
range_text(const struct config_key *k, char *buf, size_t cap)
{
	unsigned long long lo = k->min, hi = k->max;
	size_t n = 0;

	buf[0] = '\0';
	switch (k->kind) {
	case CONFIG_KIND_STRING:
		n = (size_t)(lo > 0 ?
		    snprintf(buf, cap, "%llu..%llu bytes", lo, hi) :
		    snprintf(buf, cap, "at most %llu bytes", hi));
		break;
	case CONFIG_KIND_MS:
	case CONFIG_KIND_INT:
		n = (size_t)(k->max == INT64_MAX ?
		    snprintf(buf, cap, "%llu..2^63-1", lo) :
		    snprintf(buf, cap, "%llu..%llu", lo, hi));
		break;
	case CONFIG_KIND_LIST:
		n = (size_t)snprintf(buf, cap, "%llu..%llu entries", lo, hi);
		break;
	case CONFIG_KIND_IDS:
		n = (size_t)snprintf(buf, cap, "at most %llu entries, each "
		    "0..%llu", hi, (unsigned long long)CONFIG_ID_MAX);
		break;
	case CONFIG_KIND_BOOL:
	case CONFIG_KIND_GROUP:
		break;
	}
	if (k->form != NULL && n < cap)
		snprintf(buf + n, cap - n, "%s%s", n > 0 ? ", " : "", k->form);
}

/* "required", "`200`", "`\"info\"`", "own `election`" or "". */
static void
default_text(const struct config_key *k, char *buf, size_t cap)
{
	if (k->required)
		snprintf(buf, cap, "required");
	else if (k->def != NULL)
		snprintf(buf, cap, k->kind == CONFIG_KIND_STRING ? "`\"%s\"`" :
		    "`%s`", k->def);
	else
		snprintf(buf, cap, "%s", k->derived != NULL ? k->derived : "");
}

/*
 * Markup to roff: `code` in bold, backslashes escaped, a minus where a
 * '-' is not inside a word, a control character at a line start made
 * text; with sentences, a new line after each ". " (a roff habit that
 * also gets the sentence spacing right).
 */
static void
put_roff(FILE *f, const char *s, bool sentences)
{
	bool code = false, bol = true;
	char prev = ' ';

	for (; *s != '\0'; prev = *s++) {
		if (*s == '`') {
			fputs(code ? "\\fR" : "\\fB", f);
			code = !code;
			continue;
		}
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		bol = false;
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-' && (code || !isalpha((unsigned char)prev)))
			fputs("\\-", f);
		else if (sentences && !code && *s == ' ' && prev == '.') {
			fputc('\n', f);
			bol = true;
		} else
			fputc(*s, f);
	}
	if (code)
		fputs("\\fR", f);
}

static void
dump_md(FILE *f)
{
	const struct config_key *keys;
	char def[DOC_CELL_MAX], range[DOC_CELL_MAX];
	size_t n, i;

	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];

		if (k->section != NULL || i == 0)
			fprintf(f, "%s### %s\n\n"
			    "| key | type | default | range | SIGHUP | "
			    "meaning |\n|---|---|---|---|---|---|\n",
			    i > 0 ? "\n" : "",
			    k->section != NULL ? k->section : "Keys");
		default_text(k, def, sizeof def);
		range_text(k, range, sizeof range);
		fprintf(f, "| `%s` | %s | %s | %s | %s | %s |\n", k->path,
		    config_kind_name(k->kind), def, range,
		    reload_word(k->reload), k->help);
	}
	fputc('\n', f);
}

static void
dump_man(FILE *f)
{
	const struct config_key *keys;
	char def[DOC_CELL_MAX], range[DOC_CELL_MAX];
	const char *kind;
	size_t n, i;

	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];

		if (k->section != NULL)
			fprintf(f, ".SS %s\n", k->section);
		default_text(k, def, sizeof def);
		range_text(k, range, sizeof range);
		kind = config_kind_name(k->kind);
		fprintf(f, ".TP\n.B %s\n%c%s", k->path,
		    toupper((unsigned char)kind[0]), kind + 1);
		if (def[0] != '\0') {
			fputs(k->required ? ", " : k->def != NULL ?
			    ", default " : ", default: ", f);
			put_roff(f, def, false);
		}
		if (range[0] != '\0') {
			fputs("; ", f);
			put_roff(f, range, false);
		}
		fputs(".\n", f);
		if (k->reload != 0)
			fprintf(f, "%s\n", reload_sentence(k->reload));
		put_roff(f, k->help, true);
		fputc('\n', f);
	}
}

int
config_dump(FILE *f, const char *format)
{
	if (strcmp(format, "md") == 0)
		dump_md(f);
	else if (strcmp(format, "man") == 0)
		dump_man(f);
	else
		return -1;
	return 0;
}
