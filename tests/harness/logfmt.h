/*
 * logfmt: a strict reader of kevy-electd's log lines, the format of
 * docs/reference/monitoring.md, "The log":
 *
 *   [ts=<RFC 3339, ms, UTC> ]level=<l> node=<id> event=<snake_name> k=v...
 *
 * Keys are snake_case and unique in a line; a value is either plain
 * (printable ASCII without space, '"', '=' or '\') or double-quoted with
 * \" \\ and \xNN as its only escapes. The tests use it on every line the
 * daemons of a cluster wrote (cluster.c, at cluster_free), tools use it
 * to read the log back. It never allocates.
 */
#ifndef LOGFMT_H
#define LOGFMT_H

#include <stdbool.h>
#include <stddef.h>

#define LOGFMT_FIELDS_MAX 256  /* fields in one line: "k=v " in 1024 bytes */
#define LOGFMT_KEY_MAX    48   /* bytes in a key */
#define LOGFMT_ERR_MAX    256  /* bytes of a reason, for err buffers */

struct logfmt_field {
	char key[LOGFMT_KEY_MAX + 1];
	const char *val;       /* into the line: raw, quotes and escapes kept */
	size_t val_len;
	bool quoted;
};

struct logfmt_line {
	size_t n;
	struct logfmt_field f[LOGFMT_FIELDS_MAX];
};

/* One line (without its end) as fields; 0, or -1 with why in err. */
int logfmt_parse(const char *line, size_t len, struct logfmt_line *,
    char *err, size_t errlen);
/* The value of key, unquoted and unescaped into buf; NULL if absent. */
const char *logfmt_get(const struct logfmt_line *, const char *key,
    char *buf, size_t cap);
/*
 * A daemon's line: logfmt, and its first fields are ts= (optional, then
 * YYYY-MM-DDTHH:MM:SS.mmmZ), level= (error, warn, info or debug),
 * node=, event= (snake_case). 0, or -1 with why in err.
 */
int logfmt_check_line(const char *line, size_t len, char *err,
    size_t errlen);
#define LOGFMT_FILE_LINE_MAX 4096 /* bytes read per line; the daemon's 1024 */

/*
 * Every line of the file at path. 0 (*lines: how many), or -1 with
 * "<path>:<n>: <why>: <the line>" in err; an unreadable file is -1 too.
 * killed: its writer may have died by SIGKILL, which can cut the last
 * write short (Linux stops a file write at a page boundary for a fatal
 * signal): a last line without a line end is then not checked.
 */
int logfmt_check_file(const char *path, bool killed, size_t *lines,
    char *err, size_t errlen);

#endif
