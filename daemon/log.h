/*
 * log: one line per event on stderr (the journal captures it under
 * systemd), "level: message", messages in key=value form with the peer
 * or connection first. The only module with file-static state.
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

#define LOG_LINE_MAX 1024 /* bytes in one log line; longer ones are cut */

void log_init(enum log_level, bool with_time);
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

#endif
