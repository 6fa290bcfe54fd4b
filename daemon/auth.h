/*
 * auth: optional peer authentication (docs/reference/wire.md,
 * "Authentication").
 * Pure helpers: the key file's checks and loading, the HMAC-SHA256
 * challenge-response, and the encoding and decoding of its two messages.
 * The state machines that use them are in inbound.c (the acceptor sends
 * the challenge and checks the answer) and link.c (the dialer answers).
 * HMAC-SHA-256 is lib/sha256's (tested against the RFC vectors and
 * libcrypto); the challenge's randomness is getrandom(2)'s.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

#define AUTH_KEY_MIN          32    /* bytes of key, trailing newline stripped */
#define AUTH_KEY_MAX          1024  /* bytes of key */
#define AUTH_CHALLENGE_BYTES  32    /* random bytes in a challenge */
#define AUTH_HEX_LEN          64    /* hex digits of a challenge or a MAC */
#define AUTH_MSG_MAX          160   /* bytes of KEVYCHALL or KEVYAUTH, framed */
#define AUTH_TIMEOUT_MS       5000  /* challenge to valid answer, at most */
#define AUTH_CONTEXT          "kevy-elect-auth-v1"

struct auth_key {
	size_t len;
	unsigned char bytes[AUTH_KEY_MAX];
};

/*
 * Read the key file: a regular file owned by owner, no permission bits
 * for group or others, AUTH_KEY_MIN..AUTH_KEY_MAX bytes once one trailing
 * "\n" (or "\r\n") is stripped. 0, or -1 with a sentence in err.
 */
int auth_key_load(const char *path, uid_t owner, struct auth_key *out,
    char *err, size_t errlen);

/* HMAC-SHA256(key, msg) into out (32 bytes); 0 or -1. */
int auth_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[32]);

/* A fresh challenge: AUTH_CHALLENGE_BYTES random bytes as lower-case hex. */
int auth_challenge_new(char hex[AUTH_HEX_LEN + 1]);

/*
 * The answer to a challenge, as lower-case hex: HMAC-SHA256(key,
 * AUTH_CONTEXT || challenge || dialer_id || "\0" || acceptor_id). 0 or -1.
 */
int auth_response(const struct auth_key *, const char *challenge,
    const char *dialer_id, const char *acceptor_id,
    char hex[AUTH_HEX_LEN + 1]);
/* Is got (len bytes) the right answer? Compared in constant time. */
bool auth_response_is_valid(const struct auth_key *, const char *challenge,
    const char *dialer_id, const char *acceptor_id, const char *got,
    size_t len);

/* *2 $9 KEVYCHALL $64 <hex>, and *3 $8 KEVYAUTH $<n> <id> $64 <hex>. */
size_t auth_encode_challenge(const char *challenge, uint8_t *buf, size_t cap);
size_t auth_encode_response(const char *id, const char *mac, uint8_t *buf,
    size_t cap);

enum auth_status {
	AUTH_NEED_MORE = 0,       /* a valid prefix: read more */
	AUTH_OK,                  /* one message; drop *used bytes */
	AUTH_ERROR,               /* anything else: close */
};

enum auth_status auth_decode_challenge(const uint8_t *buf, size_t len,
    char challenge[AUTH_HEX_LEN + 1], size_t *used);
enum auth_status auth_decode_response(const uint8_t *buf, size_t len,
    char id[WIRE_ID_MAX + 1], char mac[AUTH_HEX_LEN + 1], size_t *used);

#endif
