/*
 * log: one line per event on stderr (the journal captures it under
 * systemd), in logfmt:
 *
 *   ts=2025-01-31T12:00:00.123Z level=info node=n1 event=peer_up peer=n2
 *
 * ts= (RFC 3339, UTC, milliseconds) is left out when stderr is the
 * journal, which stamps lines itself; node= is "-" until the config is
 * loaded. Every message starts with event=<snake_case_name> and goes on
 * with key=value fields; a value that may hold spaces, quotes or
 * anything untrusted goes through log_quote(). log_warn and fatal add
 * error="<strerror(errno)>". The format and every event name:
 * docs/reference/monitoring.md, "The log". The only module with
 * file-static state.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

#define LOG_LINE_MAX 1024 /* bytes in one log line with its newline;
                            longer ones are cut between fields and end
                            with truncated=yes */
#define LOG_NODE_MAX 64        /* bytes of the node= value kept */
#define LOG_ERROR_TEXT_MAX 128 /* bytes of strerror text in error= */
#define LOG_VALUE_MAX 512      /* bytes of a free-text value, quoted: a
                                  value is cut inside its quotes, never
                                  the line */

void log_init(enum log_level, bool with_time);
/* node= on every later line: the node id, once the config names it. */
void log_set_node(const char *id);
/*
 * Is stderr the journal (JOURNAL_STREAM names its device and inode)? The
 * journal stamps each line itself; anywhere else a line needs its time.
 */
bool log_stderr_is_journal(void);
void log_set_level(enum log_level);
enum log_level log_get_level(void);
/* "error", "warn", "info", "debug" -> 0 and the level, else -1. */
int log_level_parse(const char *, enum log_level *);
const char *log_level_name(enum log_level);

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))
/* The format starts "event=<name>"; log_warn/fatal add error="...". */
void log_warn(const char *, ...) LOG_PRINTF(1, 2);   /* + strerror(errno) */
void log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void log_error(const char *, ...) LOG_PRINTF(1, 2);
void log_info(const char *, ...) LOG_PRINTF(1, 2);
void log_debug(const char *, ...) LOG_PRINTF(1, 2);
/* Startup errors and broken invariants only, never what a peer sent. */
void fatal(const char *, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

/*
 * Copy untrusted bytes for logging: printable ASCII kept, everything else
 * as \xNN, cut to fit. Returns dst.
 */
char *log_escape(char *dst, size_t cap, const void *src, size_t len);

/*
 * A log value that may hold anything (a path, an error sentence, a peer's
 * bytes): copied as it is when it is one plain token, else in double
 * quotes with " and \\ backslash-escaped and bytes outside printable
 * ASCII as \\xNN; "" for an empty string. Cut to fit cap (still quoted
 * and terminated). Returns dst, for use as a %s argument.
 */
#define LOG_QUOTE_MAX(n) (4 * (size_t)(n) + 3) /* room for n bytes, quoted */
char *log_quote(char *dst, size_t cap, const char *src);
/* The same for len bytes that may hold NULs (a peer's frame). */
char *log_quote_bytes(char *dst, size_t cap, const void *src, size_t len);
/* log_quote into a char array: log_info("event=x path=%s", LOG_Q(q, p)). */
#define LOG_Q(buf, src) log_quote((buf), sizeof(buf), (src))

#endif
