/*
 * ctl_parse: split one control request line into tokens (ctl_parse.h).
 *
 * The bytes come from any local process that can connect, so the line is
 * measured before it is copied, a NUL anywhere rejects it (a C string
 * would silently cut it), and no more than CTL_ARGS_MAX tokens are kept.
 * Must never read past len, write outside *out or depend on a locale.
 */
#include <string.h>

#include "ctl_parse.h"

static const char *const status_names[] = {
	[CTL_PARSE_OK] = "ok",
	[CTL_PARSE_BLANK] = "blank",
	[CTL_PARSE_NUL] = "nul",
	[CTL_PARSE_TOO_LONG] = "too-long",
	[CTL_PARSE_TOO_MANY] = "too-many",
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

enum ctl_parse_status
ctl_parse_line(const char *line, size_t len, struct ctl_request *out)
{
	char *p;

	out->argc = 0;
	out->buf[0] = '\0';
	if (len > CTL_LINE_MAX)
		return CTL_PARSE_TOO_LONG;
	if (len > 0 && memchr(line, '\0', len) != NULL)
		return CTL_PARSE_NUL;
	if (len > 0)
		memcpy(out->buf, line, len);
	out->buf[len] = '\0';

	for (p = out->buf;;) {
		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		if (out->argc == CTL_ARGS_MAX)
			return CTL_PARSE_TOO_MANY;
		out->argv[out->argc++] = p;
		while (*p != '\0' && !is_space(*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	return out->argc == 0 ? CTL_PARSE_BLANK : CTL_PARSE_OK;
}

const char *
ctl_parse_status_name(enum ctl_parse_status st)
{
	if ((size_t)st >= sizeof status_names / sizeof status_names[0])
		return "unknown";
	return status_names[st];
}
