/*
 * jsoncheck: see jsoncheck.h. Strict where the daemon is (no leading
 * zeros, no trailing commas, escapes checked), lenient nowhere.
 */
#include <stddef.h>
#include <string.h>

#include "jsoncheck.h"

static const char *json_value(const char *);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *
json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF",
					    p[i]) == NULL || p[i] == '\0')
						return NULL;
				p += 4;
			} else if (strchr("\"\\/bfnrt", *p) == NULL ||
			    *p == '\0')
				return NULL;
		}
		p++;
	}
	return p + 1;
}

static const char *
json_seq(const char *p, char close, bool object)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			if ((p = json_string(json_ws(p))) == NULL)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if ((p = json_value(p)) == NULL)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *
json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{')
		return json_seq(p, '}', true);
	if (*p == '[')
		return json_seq(p, ']', false);
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (*p >= '0' && *p <= '9') {
		if (*p == '0' && p[1] >= '0' && p[1] <= '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
		return p;
	}
	return NULL;
}

bool
jsoncheck_line(const char *s, char open)
{
	const char *p;

	if (*s != open || (p = json_value(s)) == NULL)
		return false;
	return strcmp(p, "\n") == 0 && strchr(s, '\n') == p;
}
