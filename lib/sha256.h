/*
 * sha256: SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for peer
 * authentication (daemon/auth.c), so that the daemon needs no crypto
 * library: the ~1.4 MiB libcrypto mapped in every node, authenticated
 * or not, was a third of an idle node's memory. Pure: no I/O, no
 * allocation, no globals. It must never be used for anything it is not
 * tested for here (tests/check_sha256.c: the FIPS and RFC 4231 vectors,
 * and libcrypto's HMAC over every length around the block boundaries).
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN   32   /* bytes of a digest */
#define SHA256_BLOCK 64   /* bytes of a block (and of an HMAC pad) */

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;               /* hashed so far */
	size_t fill;                  /* bytes waiting in block[] */
	uint8_t block[SHA256_BLOCK];
};

void sha256_init(struct sha256 *);
void sha256_update(struct sha256 *, const void *, size_t);
/* The digest; the context is cleared. */
void sha256_final(struct sha256 *, uint8_t out[SHA256_LEN]);

/* HMAC-SHA-256(key, msg); any key length (a long key is hashed first). */
void sha256_hmac(const void *key, size_t keylen, const void *msg,
    size_t msglen, uint8_t out[SHA256_LEN]);

#endif
