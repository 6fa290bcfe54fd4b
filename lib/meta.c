/*
 * meta: format and parse the two-line text of elect.meta. Pure: no I/O,
 * no allocation; the file shell is daemon/metafile.c. The parser never
 * reads past len, never trusts a NUL, and never echoes file bytes in its
 * errors (they may be anything, and end up in logs).
 */
#include "errbuf.h"
#include "meta.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "num.h"
#include "wire.h"

#define META_KEY_EPOCH "epoch"
#define META_KEY_VOTED "voted"

/* A vote that reads back as itself: a valid id that is not "-". */
static bool
meta_vote_is_valid(const char *id, size_t len)
{
	if (len == strlen(META_NO_VOTE) && memcmp(id, META_NO_VOTE, len) == 0)
		return false;
	return wire_id_is_valid(id, len);
}

size_t
meta_format(uint64_t epoch, const char *vote, char *buf, size_t cap)
{
	int n;

	if (vote != NULL && !meta_vote_is_valid(vote, strlen(vote)))
		return 0;
	if (buf == NULL || cap == 0)
		return 0;
	n = snprintf(buf, cap, "%s %llu\n%s %s\n", META_KEY_EPOCH,
	    (unsigned long long)epoch, META_KEY_VOTED,
	    vote != NULL ? vote : META_NO_VOTE);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}

/*
 * If line[0..len) is "<key> <value>", point *val at the value and return
 * true. The value may be empty here; its own parser rejects that.
 */
static bool
meta_split(const char *line, size_t len, const char *key, const char **val,
    size_t *vlen)
{
	size_t klen = strlen(key);

	if (len <= klen || memcmp(line, key, klen) != 0 || line[klen] != ' ')
		return false;
	*val = line + klen + 1;
	*vlen = len - klen - 1;
	return true;
}

int
meta_parse(const char *buf, size_t len, struct elector_saved *out,
    char *err, size_t errlen)
{
	struct elector_saved s;
	const char *line2, *nl, *val;
	size_t len1, len2, vlen;

	if (len == 0) {
		errbuf_set(err, errlen, "empty file");
		return -1;
	}
	if (len > META_FILE_MAX) {
		errbuf_set(err, errlen, "%zu bytes, over the limit of %d",
		    len, META_FILE_MAX);
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL) {
		errbuf_set(err, errlen, "contains a NUL byte");
		return -1;
	}
	if (memchr(buf, '\r', len) != NULL) {
		errbuf_set(err, errlen,
		    "contains a carriage return (CRLF line ends are refused)");
		return -1;
	}

	nl = memchr(buf, '\n', len);
	len1 = nl != NULL ? (size_t)(nl - buf) : len;
	memset(&s, 0, sizeof s);
	if (!meta_split(buf, len1, META_KEY_EPOCH, &val, &vlen)) {
		errbuf_set(err, errlen, "line 1: expected \"epoch <n>\"");
		return -1;
	}
	if (num_parse_u64(val, vlen, &s.epoch) == -1) {
		errbuf_set(err, errlen,
		    "line 1: epoch is not a decimal number in 0..2^64-1");
		return -1;
	}

	if (nl == NULL || len1 + 1 == len) {
		errbuf_set(err, errlen, "line 2: missing \"voted <id|->\"");
		return -1;
	}
	line2 = nl + 1;
	len2 = len - len1 - 1;
	nl = memchr(line2, '\n', len2);
	if (nl != NULL) {
		/* Only the optional final newline may follow line 2. */
		if ((size_t)(nl - line2) + 1 != len2) {
			errbuf_set(err, errlen, "extra data after line 2");
			return -1;
		}
		len2--;
	}
	if (!meta_split(line2, len2, META_KEY_VOTED, &val, &vlen)) {
		errbuf_set(err, errlen, "line 2: expected \"voted <id|->\"");
		return -1;
	}
	if (vlen == strlen(META_NO_VOTE) &&
	    memcmp(val, META_NO_VOTE, vlen) == 0) {
		s.has_vote = false;
	} else if (vlen <= WIRE_ID_MAX && wire_id_is_valid(val, vlen)) {
		/* The length check keeps the copy in bounds on its own. */
		s.has_vote = true;
		memcpy(s.vote, val, vlen);
		s.vote[vlen] = '\0';
	} else {
		errbuf_set(err, errlen, "line 2: vote is neither \"-\" nor a "
		    "node id (1..%d printable bytes, no space)", WIRE_ID_MAX);
		return -1;
	}

	*out = s;
	return 0;
}
