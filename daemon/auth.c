/*
 * auth: see auth.h. The messages are RESP arrays like the election
 * frames, parsed here by a strict decoder of their own (two fixed shapes,
 * every element capped) rather than by lib/wire, whose verbs are the
 * spec's. Nothing here touches a socket or keeps state between calls.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "auth.h"
#include "secret.h"
#include "sha256.h"

#define AUTH_ELEMS_MAX 3      /* elements of the larger message */
#define AUTH_LEN_DIGITS 2     /* no element is longer than 99 bytes */

/* The file's checks are secret.c's, shared with server.password_file. */
int
auth_key_load(const char *path, uid_t owner, struct auth_key *out,
    char *err, size_t errlen)
{
	unsigned char buf[AUTH_KEY_MAX + 3];
	size_t len;

	if (secret_file_read("auth_key_file", path, owner, buf, sizeof(buf),
	    &len, err, errlen) == -1)
		return -1;
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	if (len < AUTH_KEY_MIN || len > AUTH_KEY_MAX) {
		snprintf(err, errlen, "auth_key_file %s: the key must be %d..%d "
		    "bytes (one trailing newline is not counted)", path,
		    AUTH_KEY_MIN, AUTH_KEY_MAX);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(out->bytes, buf, len);
	out->len = len;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
auth_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[32])
{
	sha256_hmac(key, keylen, msg, msglen, out);
	return 0;
}

static void
to_hex(const unsigned char *b, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 15];
	}
	hex[2 * n] = '\0';
}

int
auth_challenge_new(char hex[AUTH_HEX_LEN + 1])
{
	unsigned char r[AUTH_CHALLENGE_BYTES];
	size_t got = 0;
	ssize_t n;

	/* The kernel's CSPRNG; 32 bytes come whole once it is seeded. */
	while (got < sizeof(r)) {
		if ((n = getrandom(r + got, sizeof(r) - got, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	to_hex(r, sizeof(r), hex);
	return 0;
}

int
auth_response(const struct auth_key *k, const char *challenge,
    const char *dialer_id, const char *acceptor_id,
    char hex[AUTH_HEX_LEN + 1])
{
	/* The "\0" keeps ("ab", "c") and ("a", "bc") apart. */
	char msg[sizeof(AUTH_CONTEXT) + AUTH_HEX_LEN + 2 * WIRE_ID_MAX + 2];
	unsigned char mac[32];
	size_t cl = strlen(challenge), dl = strlen(dialer_id);
	size_t al = strlen(acceptor_id), len = sizeof(AUTH_CONTEXT) - 1;

	if (cl != AUTH_HEX_LEN || dl > WIRE_ID_MAX || al > WIRE_ID_MAX)
		return -1;
	memcpy(msg, AUTH_CONTEXT, len);
	memcpy(msg + len, challenge, cl);
	len += cl;
	memcpy(msg + len, dialer_id, dl);
	len += dl;
	msg[len++] = '\0';
	memcpy(msg + len, acceptor_id, al);
	len += al;
	if (auth_hmac_sha256(k->bytes, k->len, msg, len, mac) == -1)
		return -1;
	to_hex(mac, sizeof(mac), hex);
	return 0;
}

/* Every byte looked at, whatever differs: the time tells nothing. */
static bool
same_in_constant_time(const char *a, const char *b, size_t len)
{
	volatile unsigned char diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

bool
auth_response_is_valid(const struct auth_key *k, const char *challenge,
    const char *dialer_id, const char *acceptor_id, const char *got,
    size_t len)
{
	char want[AUTH_HEX_LEN + 1];

	if (len != AUTH_HEX_LEN || auth_response(k, challenge, dialer_id,
	    acceptor_id, want) == -1)
		return false;
	return same_in_constant_time(want, got, AUTH_HEX_LEN);
}

size_t
auth_encode_challenge(const char *challenge, uint8_t *buf, size_t cap)
{
	int n;

	if (strlen(challenge) != AUTH_HEX_LEN)
		return 0;
	n = snprintf((char *)buf, cap, "*2\r\n$9\r\nKEVYCHALL\r\n$%d\r\n%s\r\n",
	    AUTH_HEX_LEN, challenge);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t
auth_encode_response(const char *id, const char *mac, uint8_t *buf,
    size_t cap)
{
	int n;

	if (strlen(mac) != AUTH_HEX_LEN ||
	    !wire_id_is_valid(id, strlen(id)))
		return 0;
	n = snprintf((char *)buf, cap, "*3\r\n$8\r\nKEVYAUTH\r\n$%zu\r\n%s\r\n"
	    "$%d\r\n%s\r\n", strlen(id), id, AUTH_HEX_LEN, mac);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

struct span {
	const uint8_t *p;
	size_t len;
};

/* "<type><1-2 digits>\r\n" at *pos; the value in *val. */
static enum auth_status
header(const uint8_t *b, size_t len, size_t *pos, uint8_t type, size_t *val)
{
	size_t i = *pos, digits = 0;

	if (i >= len)
		return AUTH_NEED_MORE;
	if (b[i++] != type)
		return AUTH_ERROR;
	*val = 0;
	for (; i < len && b[i] >= '0' && b[i] <= '9'; i++) {
		if (++digits > AUTH_LEN_DIGITS)
			return AUTH_ERROR;
		*val = *val * 10 + (size_t)(b[i] - '0');
	}
	if (i >= len)
		return AUTH_NEED_MORE;
	if (digits == 0 || b[i] != '\r')
		return AUTH_ERROR;
	if (++i >= len)
		return AUTH_NEED_MORE;
	if (b[i] != '\n')
		return AUTH_ERROR;
	*pos = i + 1;
	return AUTH_OK;
}

/* An array of exactly n bulk strings, each 1..99 bytes. */
static enum auth_status
decode(const uint8_t *b, size_t len, size_t n, struct span *el, size_t *used)
{
	enum auth_status st;
	size_t pos = 0, count, blen;

	if ((st = header(b, len, &pos, '*', &count)) != AUTH_OK)
		return st;
	if (count != n)
		return AUTH_ERROR;
	for (size_t i = 0; i < n; i++) {
		if ((st = header(b, len, &pos, '$', &blen)) != AUTH_OK)
			return st;
		if (blen == 0)
			return AUTH_ERROR;
		if (len - pos < blen + 2)
			return AUTH_NEED_MORE;
		el[i].p = b + pos;
		el[i].len = blen;
		pos += blen;
		if (b[pos] != '\r' || b[pos + 1] != '\n')
			return AUTH_ERROR;
		pos += 2;
	}
	*used = pos;
	return AUTH_OK;
}

static bool
is_lower_hex(const struct span *s)
{
	if (s->len != AUTH_HEX_LEN)
		return false;
	for (size_t i = 0; i < s->len; i++)
		if (!((s->p[i] >= '0' && s->p[i] <= '9') ||
		    (s->p[i] >= 'a' && s->p[i] <= 'f')))
			return false;
	return true;
}

static bool
is_verb(const struct span *s, const char *verb)
{
	return s->len == strlen(verb) &&
	    strncasecmp((const char *)s->p, verb, s->len) == 0;
}

/* More than a message's worth without one: never going to be valid. */
static enum auth_status
bounded(enum auth_status st, size_t len)
{
	return st == AUTH_NEED_MORE && len >= AUTH_MSG_MAX ? AUTH_ERROR : st;
}

enum auth_status
auth_decode_challenge(const uint8_t *buf, size_t len,
    char challenge[AUTH_HEX_LEN + 1], size_t *used)
{
	struct span el[AUTH_ELEMS_MAX];
	enum auth_status st = decode(buf, len, 2, el, used);

	if (st != AUTH_OK)
		return bounded(st, len);
	if (!is_verb(&el[0], "KEVYCHALL") || !is_lower_hex(&el[1]))
		return AUTH_ERROR;
	memcpy(challenge, el[1].p, AUTH_HEX_LEN);
	challenge[AUTH_HEX_LEN] = '\0';
	return AUTH_OK;
}

enum auth_status
auth_decode_response(const uint8_t *buf, size_t len,
    char id[WIRE_ID_MAX + 1], char mac[AUTH_HEX_LEN + 1], size_t *used)
{
	struct span el[AUTH_ELEMS_MAX];
	enum auth_status st = decode(buf, len, 3, el, used);

	if (st != AUTH_OK)
		return bounded(st, len);
	if (!is_verb(&el[0], "KEVYAUTH") || el[1].len > WIRE_ID_MAX ||
	    !wire_id_is_valid((const char *)el[1].p, el[1].len) ||
	    !is_lower_hex(&el[2]))
		return AUTH_ERROR;
	memcpy(id, el[1].p, el[1].len);
	id[el[1].len] = '\0';
	memcpy(mac, el[2].p, AUTH_HEX_LEN);
	mac[AUTH_HEX_LEN] = '\0';
	return AUTH_OK;
}
