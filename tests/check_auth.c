/*
 * check_auth: the pure helpers of hostile-input defence in daemon/:
 * auth (HMAC-SHA256 through our helper against RFC 4231, the answer's
 * exact bytes, messages, the key file's checks), limit (token bucket,
 * rate-limited logging) and srcaddr (peer_source_check's allow-list).
 */
#include <check.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "limit.h"
#include "srcaddr.h"
#include "runner.h"

static void
hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* RFC 4231 test cases 1, 2 and 6 (a key longer than the block). */
START_TEST(hmac_sha256_matches_rfc_4231)
{
	unsigned char key[131], mac[32];
	char h[65];

	memset(key, 0x0b, 20);
	ck_assert_int_eq(auth_hmac_sha256(key, 20, "Hi There", 8, mac), 0);
	hex(mac, 32, h);
	ck_assert_str_eq(h, "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7");
	ck_assert_int_eq(auth_hmac_sha256("Jefe", 4,
	    "what do ya want for nothing?", 28, mac), 0);
	hex(mac, 32, h);
	ck_assert_str_eq(h, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, sizeof key);
	ck_assert_int_eq(auth_hmac_sha256(key, sizeof key,
	    "Test Using Larger Than Block-Size Key - Hash Key First", 54,
	    mac), 0);
	hex(mac, 32, h);
	ck_assert_str_eq(h, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

static void
key_of(struct auth_key *k, char ch)
{
	memset(k, 0, sizeof(*k));
	memset(k->bytes, ch, 32);
	k->len = 32;
}

/* The exact input: context, challenge, dialer, NUL, acceptor. */
START_TEST(response_is_hmac_of_context_challenge_and_ids)
{
	char chall[AUTH_HEX_LEN + 1], mac[AUTH_HEX_LEN + 1];
	struct auth_key k, other;

	key_of(&k, 'k');
	key_of(&other, 'x');
	memset(chall, '0', AUTH_HEX_LEN);
	chall[AUTH_HEX_LEN] = '\0';
	ck_assert_int_eq(auth_response(&k, chall, "n2", "n1", mac), 0);
	/* python3: hmac.new(b"k"*32, b"kevy-elect-auth-v1" + b"0"*64 +
	 * b"n2\0n1", sha256) */
	ck_assert_str_eq(mac, "b886c9706950194ee334acbc0869a03a"
	    "f2db76ab5091df5f0319dd69809bd6a9");
	ck_assert(auth_response_is_valid(&k, chall, "n2", "n1", mac, 64));
	/* Wrong key, swapped ids, shifted ids, other challenge, length. */
	ck_assert(!auth_response_is_valid(&other, chall, "n2", "n1", mac, 64));
	ck_assert(!auth_response_is_valid(&k, chall, "n1", "n2", mac, 64));
	ck_assert(!auth_response_is_valid(&k, chall, "n2n", "1", mac, 64));
	chall[0] = '1';
	ck_assert(!auth_response_is_valid(&k, chall, "n2", "n1", mac, 64));
	chall[0] = '0';
	ck_assert(!auth_response_is_valid(&k, chall, "n2", "n1", mac, 63));
	mac[63] ^= 1;
	ck_assert(!auth_response_is_valid(&k, chall, "n2", "n1", mac, 64));
}
END_TEST

START_TEST(challenges_are_fresh_hex)
{
	char a[AUTH_HEX_LEN + 1], b[AUTH_HEX_LEN + 1];

	ck_assert_int_eq(auth_challenge_new(a), 0);
	ck_assert_int_eq(auth_challenge_new(b), 0);
	ck_assert_uint_eq(strlen(a), AUTH_HEX_LEN);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), AUTH_HEX_LEN);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(messages_round_trip_and_bad_ones_are_refused)
{
	char chall[AUTH_HEX_LEN + 1], got[AUTH_HEX_LEN + 1];
	char id[WIRE_ID_MAX + 1], mac[AUTH_HEX_LEN + 1];
	uint8_t buf[AUTH_MSG_MAX], big[AUTH_MSG_MAX + 8];
	size_t n, used;

	ck_assert_int_eq(auth_challenge_new(chall), 0);
	n = auth_encode_challenge(chall, buf, sizeof buf);
	ck_assert_uint_gt(n, 0);
	ck_assert(memcmp(buf, "*2\r\n$9\r\nKEVYCHALL\r\n$64\r\n", 24) == 0);
	/* Every proper prefix waits for more; the whole is one message. */
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(auth_decode_challenge(buf, i, got, &used),
		    AUTH_NEED_MORE);
	ck_assert_int_eq(auth_decode_challenge(buf, n, got, &used), AUTH_OK);
	ck_assert_uint_eq(used, n);
	ck_assert_str_eq(got, chall);
	/* A challenge is not an answer, nor the other way round. */
	ck_assert_int_eq(auth_decode_response(buf, n, id, mac, &used),
	    AUTH_ERROR);
	n = auth_encode_response("node-2", chall, buf, sizeof buf);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(auth_decode_response(buf, n, id, mac, &used), AUTH_OK);
	ck_assert_str_eq(id, "node-2");
	ck_assert_str_eq(mac, chall);
	ck_assert_int_eq(auth_decode_challenge(buf, n, got, &used), AUTH_ERROR);
	/* Election frames, inline lines, junk: errors at once. */
	ck_assert_int_eq(auth_decode_response((const uint8_t *)"*5\r\n", 4,
	    id, mac, &used), AUTH_ERROR);
	ck_assert_int_eq(auth_decode_response((const uint8_t *)"HB 1", 4,
	    id, mac, &used), AUTH_ERROR);
	ck_assert_int_eq(auth_decode_response((const uint8_t *)
	    "*3\r\n$8\r\nKEVYAUTH\r\n$100\r\n", 24, id, mac, &used),
	    AUTH_ERROR);
	/* Upper-case hex, or a short MAC: refused. */
	n = (size_t)snprintf((char *)buf, sizeof buf, "*3\r\n$8\r\nKEVYAUTH\r\n"
	    "$2\r\nn2\r\n$64\r\n%064d\r\n", 0);
	ck_assert_int_eq(auth_decode_response(buf, n, id, mac, &used), AUTH_OK);
	buf[n - 3] = 'A';
	ck_assert_int_eq(auth_decode_response(buf, n, id, mac, &used),
	    AUTH_ERROR);
	/* A valid-looking prefix may not grow past AUTH_MSG_MAX. */
	memset(big, '0', sizeof big);
	memcpy(big, "*3\r\n$8\r\nKEVYAUTH\r\n$2\r\nn2\r\n$64\r\n", 31);
	ck_assert_int_eq(auth_decode_response(big, 40, id, mac, &used),
	    AUTH_NEED_MORE);
	ck_assert_int_eq(auth_decode_response(big, sizeof big, id, mac, &used),
	    AUTH_ERROR);
}
END_TEST

/*
 * A message followed by more bytes (the next frame, in the same read):
 * AUTH_OK with used at the message's end, whatever follows; a prefix cut
 * anywhere waits. The links and the listener rely on both.
 */
START_TEST(decoders_stop_at_the_end_of_one_message)
{
	char chall[AUTH_HEX_LEN + 1], got[AUTH_HEX_LEN + 1];
	char id[WIRE_ID_MAX + 1], mac[AUTH_HEX_LEN + 1];
	static const char *const tails[] = { "*5\r\n$2\r\nHB\r\n", "x",
	    "*2\r\n$9\r\nKEVYCHALL\r\n", "\r\n" };
	uint8_t buf[2 * AUTH_MSG_MAX];
	size_t n, used;

	ck_assert_int_eq(auth_challenge_new(chall), 0);
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		size_t tl = strlen(tails[t]);

		n = auth_encode_challenge(chall, buf, sizeof buf);
		memcpy(buf + n, tails[t], tl);
		used = 0;
		ck_assert_int_eq(auth_decode_challenge(buf, n + tl, got, &used),
		    AUTH_OK);
		ck_assert_uint_eq(used, n);
		ck_assert_str_eq(got, chall);
		n = auth_encode_response("n2", chall, buf, sizeof buf);
		memcpy(buf + n, tails[t], tl);
		used = 0;
		ck_assert_int_eq(auth_decode_response(buf, n + tl, id, mac,
		    &used), AUTH_OK);
		ck_assert_uint_eq(used, n);
		ck_assert_str_eq(id, "n2");
		for (size_t i = 0; i < n; i++)
			ck_assert_int_eq(auth_decode_response(buf, i, id, mac,
			    &used), AUTH_NEED_MORE);
	}
}
END_TEST

static char key_dir[64];

static void
write_key(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

START_TEST(key_file_checks_mode_owner_and_length)
{
	char path[128], err[512], text[AUTH_KEY_MAX + 8];
	struct auth_key k;

	snprintf(key_dir, sizeof key_dir, "/tmp/kevy-auth.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(key_dir));
	snprintf(path, sizeof path, "%s/key", key_dir);
	memset(text, 'a', sizeof text);
	text[32] = '\n';
	write_key(path, text, 33, 0600);
	ck_assert_int_eq(auth_key_load(path, geteuid(), &k, err, sizeof err), 0);
	ck_assert_uint_eq(k.len, 32);		/* newline stripped */
	text[32] = '\r';
	text[33] = '\n';
	write_key(path, text, 34, 0400);
	ck_assert_int_eq(auth_key_load(path, geteuid(), &k, err, sizeof err), 0);
	ck_assert_uint_eq(k.len, 32);
	write_key(path, text, 31, 0600);
	ck_assert_int_eq(auth_key_load(path, geteuid(), &k, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "32..1024 bytes"));
	memset(text, 'b', sizeof text);
	write_key(path, text, AUTH_KEY_MAX, 0600);
	ck_assert_int_eq(auth_key_load(path, geteuid(), &k, err, sizeof err), 0);
	ck_assert_uint_eq(k.len, AUTH_KEY_MAX);
	write_key(path, text, AUTH_KEY_MAX + 1, 0600);
	ck_assert_int_eq(auth_key_load(path, geteuid(), &k, err, sizeof err), -1);
	write_key(path, text, 64, 0644);
	ck_assert_int_eq(auth_key_load(path, geteuid(), &k, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "mode 0644") != NULL &&
	    strstr(err, "0600 or stricter") != NULL, "%s", err);
	write_key(path, text, 64, 0640);
	ck_assert_int_eq(auth_key_load(path, geteuid(), &k, err, sizeof err), -1);
	write_key(path, text, 64, 0600);
	ck_assert_int_eq(auth_key_load(path, geteuid() + 1, &k, err,
	    sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "must be owned by"));
	unlink(path);
	ck_assert_int_eq(auth_key_load(path, geteuid(), &k, err, sizeof err), -1);
	ck_assert_int_eq(auth_key_load(key_dir, geteuid(), &k, err, sizeof err),
	    -1);
	rmdir(key_dir);
}
END_TEST

/* ---- limit ---- */

START_TEST(bucket_allows_burst_then_rate)
{
	struct limit_bucket b;
	int ok = 0;

	limit_bucket_init(&b, 10, 1000);
	for (int i = 0; i < 50; i++)
		ok += limit_bucket_take(&b, 100, 10, 1000);
	ck_assert_int_eq(ok, 10);
	/* 100 per second: one token each 10 ms. */
	ck_assert(!limit_bucket_take(&b, 100, 10, 1009));
	ck_assert(limit_bucket_take(&b, 100, 10, 1010));
	ck_assert(!limit_bucket_take(&b, 100, 10, 1010));
	/* A long idle time refills to the burst, no more. */
	ok = 0;
	for (int i = 0; i < 50; i++)
		ok += limit_bucket_take(&b, 100, 10, UINT64_MAX / 2);
	ck_assert_int_eq(ok, 10);
	/* A clock that steps back takes nothing extra. */
	ck_assert(!limit_bucket_take(&b, 100, 10, 5));
}
END_TEST

START_TEST(log_limit_one_per_interval_counts_the_rest)
{
	struct limit_log l = { 0 };
	uint64_t skipped = 99;

	ck_assert(limit_log_allow(&l, 0, 1000, &skipped));
	ck_assert_uint_eq(skipped, 0);
	ck_assert(!limit_log_allow(&l, 1, 1000, &skipped));
	ck_assert(!limit_log_allow(&l, 999, 1000, &skipped));
	ck_assert(limit_log_allow(&l, 1000, 1000, &skipped));
	ck_assert_uint_eq(skipped, 2);
	ck_assert(limit_log_allow(&l, 5000, 1000, &skipped));
	ck_assert_uint_eq(skipped, 0);
}
END_TEST

/* ---- srcaddr ---- */

static bool
allowed4(const struct srcaddr_set *s, const char *ip)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	return srcaddr_is_allowed(s, (struct sockaddr *)&sin);
}

static bool
allowed6(const struct srcaddr_set *s, const char *ip)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	return srcaddr_is_allowed(s, (struct sockaddr *)&sin6);
}

START_TEST(source_check_allows_members_only)
{
	struct srcaddr_set s = { 0 }, lo = { 0 };

	ck_assert_int_eq(srcaddr_set_add(&s, "10.0.0.1"), 0);
	ck_assert_int_eq(srcaddr_set_add(&s, "10.0.0.2"), 0);
	ck_assert_int_eq(srcaddr_set_add(&s, "fd00::3"), 0);
	ck_assert_int_eq(srcaddr_set_add(&s, "fe80::1%eth0"), 0);
	ck_assert_int_eq(srcaddr_set_add(&s, "db.example"), -1);
	ck_assert(allowed4(&s, "10.0.0.2"));
	ck_assert(allowed6(&s, "::ffff:10.0.0.1"));	/* dual-stack form */
	ck_assert(allowed6(&s, "fd00::3"));
	ck_assert(allowed6(&s, "fe80::1"));
	ck_assert(!allowed4(&s, "10.0.0.9"));
	ck_assert(!allowed6(&s, "fd00::4"));
	/* Loopback only when a member is on it: all of 127/8 and ::1. */
	ck_assert(!allowed4(&s, "127.0.0.1"));
	ck_assert(!allowed6(&s, "::1"));
	ck_assert_int_eq(srcaddr_set_add(&lo, "127.0.0.2"), 0);
	ck_assert(allowed4(&lo, "127.0.0.1"));
	ck_assert(allowed6(&lo, "::1"));
	ck_assert(allowed6(&lo, "::ffff:127.0.0.5"));
	ck_assert(!allowed4(&lo, "192.168.1.1"));
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("auth");

	tcase_add_test(tc, hmac_sha256_matches_rfc_4231);
	tcase_add_test(tc, response_is_hmac_of_context_challenge_and_ids);
	tcase_add_test(tc, challenges_are_fresh_hex);
	tcase_add_test(tc, messages_round_trip_and_bad_ones_are_refused);
	tcase_add_test(tc, decoders_stop_at_the_end_of_one_message);
	tcase_add_test(tc, key_file_checks_mode_owner_and_length);
	suite_add_tcase(s, tc);
	tc = tcase_create("limit");
	tcase_add_test(tc, bucket_allows_burst_then_rate);
	tcase_add_test(tc, log_limit_one_per_interval_counts_the_rest);
	suite_add_tcase(s, tc);
	tc = tcase_create("srcaddr");
	tcase_add_test(tc, source_check_allows_members_only);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(auth_suite());
}
