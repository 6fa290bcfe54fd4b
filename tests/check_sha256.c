/*
 * Check suite for lib/sha256: SHA-256 against the FIPS 180-2 examples
 * (and the NIST one-million-'a' message), HMAC-SHA-256 against every test
 * case of RFC 4231, and both against libcrypto (OpenSSL, which the daemon
 * used before and no longer links) over every key and message length
 * around the block boundaries, with the input fed in pieces of every size.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "rng.h"
#include "runner.h"
#include "sha256.h"

#define CMP_KEY_MAX  200   /* key lengths compared: 0..this */
#define CMP_MSG_MAX  300   /* message lengths compared: 0..this */

static void
hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void
digest_hex(const void *msg, size_t len, char out[2 * SHA256_LEN + 1])
{
	struct sha256 s;
	uint8_t d[SHA256_LEN];

	sha256_init(&s);
	sha256_update(&s, msg, len);
	sha256_final(&s, d);
	hex(d, sizeof(d), out);
}

START_TEST(sha256_fips_examples)
{
	char h[2 * SHA256_LEN + 1];
	static char million[1000000];
	struct sha256 s;
	uint8_t d[SHA256_LEN];

	digest_hex("abc", 3, h);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	digest_hex("", 0, h);
	ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	digest_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, h);
	ck_assert_str_eq(h, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	digest_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
	    h);
	ck_assert_str_eq(h, "cf5b16a778af8380036ce59e7b049237"
	    "0b249b11e8f07a51afac45037afee9d1");
	memset(million, 'a', sizeof(million));
	digest_hex(million, sizeof(million), h);
	ck_assert_str_eq(h, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
	/* The same million fed in odd pieces. */
	sha256_init(&s);
	for (size_t off = 0, step = 1; off < sizeof(million); step++) {
		size_t n = step % 131 < sizeof(million) - off ? step % 131 :
		    sizeof(million) - off;

		sha256_update(&s, million + off, n);
		off += n;
	}
	sha256_final(&s, d);
	hex(d, sizeof(d), h);
	ck_assert_str_eq(h, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

static void
hmac_hex(const void *key, size_t kl, const void *msg, size_t ml, char *out)
{
	uint8_t mac[SHA256_LEN];

	sha256_hmac(key, kl, msg, ml, mac);
	hex(mac, sizeof(mac), out);
}

/* RFC 4231 section 4, test cases 1 to 7 (5 compares the first 128 bits). */
START_TEST(hmac_rfc_4231)
{
	uint8_t key[131], data[50];
	char h[2 * SHA256_LEN + 1];

	memset(key, 0x0b, 20);
	hmac_hex(key, 20, "Hi There", 8, h);
	ck_assert_str_eq(h, "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7");
	hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, h);
	ck_assert_str_eq(h, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	hmac_hex(key, 20, data, 50, h);
	ck_assert_str_eq(h, "773ea91e36800e46854db8ebd09181a7"
	    "2959098b3ef8c122d9635514ced565fe");
	for (int i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	hmac_hex(key, 25, data, 50, h);
	ck_assert_str_eq(h, "82558a389a443c0ea4cc819899f2083a"
	    "85f0faa3e578f8077a2e3ff46729665b");
	memset(key, 0x0c, 20);
	hmac_hex(key, 20, "Test With Truncation", 20, h);
	ck_assert_int_eq(strncmp(h, "a3b6167473100ee06e0c796c2955552b", 32),
	    0);
	memset(key, 0xaa, sizeof(key));
	hmac_hex(key, 131, "Test Using Larger Than Block-Size Key - Hash Key "
	    "First", 54, h);
	ck_assert_str_eq(h, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
	hmac_hex(key, 131, "This is a test using a larger than block-size key "
	    "and a larger than block-size data. The key needs to be hashed "
	    "before being used by the HMAC algorithm.", 152, h);
	ck_assert_str_eq(h, "9b09ffa71b942fcb27635fbcd5b0e944"
	    "bfdc63644f0713938a7f51535c3a35e2");
}
END_TEST

/* Every key length 0..CMP_KEY_MAX against every message 0..CMP_MSG_MAX. */
START_TEST(hmac_matches_libcrypto)
{
	uint8_t key[CMP_KEY_MAX], msg[CMP_MSG_MAX], ours[SHA256_LEN];
	uint8_t theirs[EVP_MAX_MD_SIZE];
	uint64_t seed = 16;
	unsigned int len;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)rng_next(&seed);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)rng_next(&seed);
	for (size_t kl = 0; kl <= CMP_KEY_MAX; kl++)
		for (size_t ml = 0; ml <= CMP_MSG_MAX; ml++) {
			sha256_hmac(key, kl, msg, ml, ours);
			ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)kl,
			    msg, ml, theirs, &len));
			ck_assert_uint_eq(len, SHA256_LEN);
			ck_assert_msg(memcmp(ours, theirs, SHA256_LEN) == 0,
			    "key %zu bytes, message %zu bytes differ", kl, ml);
		}
}
END_TEST

/* Plain digests too, the input split at every point. */
START_TEST(sha256_matches_libcrypto_split_anywhere)
{
	uint8_t msg[CMP_MSG_MAX], ours[SHA256_LEN], theirs[EVP_MAX_MD_SIZE];
	uint64_t seed = 4231;
	unsigned int len;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)rng_next(&seed);
	for (size_t ml = 0; ml <= CMP_MSG_MAX; ml++) {
		ck_assert_int_eq(EVP_Digest(msg, ml, theirs, &len,
		    EVP_sha256(), NULL), 1);
		for (size_t cut = 0; cut <= ml; cut++) {
			struct sha256 s;

			sha256_init(&s);
			sha256_update(&s, msg, cut);
			sha256_update(&s, msg + cut, ml - cut);
			sha256_final(&s, ours);
			ck_assert_msg(memcmp(ours, theirs, SHA256_LEN) == 0,
			    "%zu bytes cut at %zu differ", ml, cut);
		}
	}
}
END_TEST

static Suite *
sha256_suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("vectors");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sha256_fips_examples);
	tcase_add_test(tc, hmac_rfc_4231);
	tcase_add_test(tc, hmac_matches_libcrypto);
	tcase_add_test(tc, sha256_matches_libcrypto_split_anywhere);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(sha256_suite());
}
