/*
 * log: leveled stderr logging in logfmt (log.h). stderr is unbuffered
 * and each line goes out in one write, so lines from a crash are never
 * half-written, and a line cut to LOG_LINE_MAX is cut between fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level log_level = LOG_LEVEL_INFO;
static bool log_with_time;
static char log_node[LOG_QUOTE_MAX(LOG_NODE_MAX)] = "-";

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_init(enum log_level level, bool with_time)
{
	log_level = level;
	log_with_time = with_time;
}

void
log_set_node(const char *id)
{
	log_quote(log_node, sizeof(log_node), id);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	return (size_t)level < 4 ? level_names[level] : "unknown";
}

/*
 * Cut an over-long line back to the last field boundary at or before
 * limit (a space outside quotes), so a cut line still parses.
 */
static size_t
field_boundary(const char *line, size_t n, size_t limit)
{
	size_t last = 0;
	bool quoted = false;

	for (size_t i = 0; i < n && i <= limit; i++) {
		if (quoted && line[i] == '\\')
			i++;
		else if (line[i] == '"')
			quoted = !quoted;
		else if (line[i] == ' ' && !quoted)
			last = i;
	}
	return last;
}

static void
vlog(enum log_level level, const char *tail, const char *fmt, va_list ap)
{
	static const char cut[] = " truncated=yes";
	char line[LOG_LINE_MAX + 1];
	size_t n = 0;
	int r;

	if (level > log_level)
		return;
	if (log_with_time) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
		r = snprintf(line + n, sizeof(line) - n, ".%03ldZ ",
		    ts.tv_nsec / 1000000);
		n += r > 0 ? (size_t)r : 0;
	}
	r = snprintf(line + n, sizeof(line) - n, "level=%s node=%s ",
	    level_names[level], log_node);
	n += r > 0 ? (size_t)r : 0;
	if (n < sizeof(line)) {
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		n += r > 0 ? (size_t)r : 0;
	}
	if (tail != NULL && n < sizeof(line)) {
		char q[LOG_QUOTE_MAX(LOG_ERROR_TEXT_MAX)];

		r = snprintf(line + n, sizeof(line) - n, " error=%s",
		    log_quote(q, sizeof(q), tail));
		n += r > 0 ? (size_t)r : 0;
	}
	/* Room for the newline: LOG_LINE_MAX counts it. */
	if (n > LOG_LINE_MAX - 1) {
		n = field_boundary(line, LOG_LINE_MAX - 1,
		    LOG_LINE_MAX - 1 - (sizeof(cut) - 1));
		memcpy(line + n, cut, sizeof(cut) - 1);
		n += sizeof(cut) - 1;
	}
	line[n++] = '\n';
	/* One write per line; a log failure has nowhere to be reported. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

#define LOG_FN(name, level, with_errno)				\
void									\
name(const char *fmt, ...)						\
{									\
	const char *tail = with_errno ? strerror(errno) : NULL;	\
	va_list ap;							\
									\
	va_start(ap, fmt);						\
	vlog(level, tail, fmt, ap);					\
	va_end(ap);							\
}

LOG_FN(log_warn, LOG_LEVEL_WARN, true)
LOG_FN(log_warnx, LOG_LEVEL_WARN, false)
LOG_FN(log_error, LOG_LEVEL_ERROR, false)
LOG_FN(log_info, LOG_LEVEL_INFO, false)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, false)

void
fatal(const char *fmt, ...)
{
	const char *tail = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, tail, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

char *
log_escape(char *dst, size_t cap, const void *src, size_t len)
{
	const unsigned char *s = src;
	size_t o = 0;

	if (cap == 0)
		return dst;
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= 0x21 && s[i] <= 0x7e && s[i] != '\\') {
			if (o + 1 >= cap)
				break;
			dst[o++] = (char)s[i];
		} else {
			if (o + 4 >= cap)
				break;
			snprintf(dst + o, cap - o, "\\x%02x", s[i]);
			o += 4;
		}
	}
	dst[o] = '\0';
	return dst;
}

/* May c appear in a value without quotes? */
static bool
is_plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

char *
log_quote_bytes(char *dst, size_t cap, const void *src, size_t len)
{
	const unsigned char *s = src;
	size_t i, o = 0;
	bool plain = len > 0;

	if (cap < 3) {
		if (cap > 0)
			dst[0] = '\0';
		return dst;
	}
	for (i = 0; plain && i < len; i++)
		plain = is_plain(s[i]);
	if (plain && len < cap) {
		memcpy(dst, s, len);
		dst[len] = '\0';
		return dst;
	}
	dst[o++] = '"';
	/* Room is kept for the closing quote and the NUL. */
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			if (o + 2 > cap - 2)
				break;
			dst[o++] = '\\';
			dst[o++] = (char)s[i];
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			if (o + 1 > cap - 2)
				break;
			dst[o++] = (char)s[i];
		} else {
			if (o + 4 > cap - 2)
				break;
			snprintf(dst + o, cap - o, "\\x%02x", s[i]);
			o += 4;
		}
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return dst;
}

char *
log_quote(char *dst, size_t cap, const char *src)
{
	return log_quote_bytes(dst, cap, src, strlen(src));
}

bool
log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;
	int n = 0;

	/* systemd(1) sets it to "<dev>:<ino>" of the stream it connected. */
	if (js == NULL || sscanf(js, "%llu:%llu%n", &dev, &ino, &n) != 2 ||
	    js[n] != '\0' || fstat(STDERR_FILENO, &sb) == -1)
		return false;
	return (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}
