/*
 * check_footprint: what an idle node maps and allocates (issue 16). The
 * daemon links no crypto library (HMAC-SHA-256 is lib/sha256's), and it
 * creates a resolver only when a peer is named by a host name: an idle
 * node used to carry libcrypto's ~1.4 MiB and evdns's pages for nothing.
 * The RSS itself is measured by bench/idle, not asserted here: it depends
 * on the C library and the kernel's fault-around.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "config.h"
#include "link.h"
#include "runner.h"

#define WAIT_MS 15000 /* bound on any one wait */

/* Does /proc/PID/maps name a file containing what? */
static bool
maps_name(pid_t pid, const char *what)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, what) != NULL)
			found = true;
	fclose(f);
	return found;
}

START_TEST(no_crypto_library_mapped)
{
	struct cluster_opts o = { .n = 3 };
	struct cluster *c;

	ck_assert_ptr_nonnull(c = cluster_new(&o));
	for (size_t i = 0; i < o.n; i++)
		ck_assert_int_eq(cluster_start(c, i), 0);
	ck_assert_msg(cluster_wait(c, cluster_settled, NULL, WAIT_MS),
	    "not settled (logs in %s)", cluster_dir(c));
	/* Links up and heartbeating: whatever the daemon loads is loaded. */
	for (size_t i = 0; i < o.n; i++) {
		ck_assert_msg(maps_name(cluster_pid(c, i), "libc.so") ||
		    maps_name(cluster_pid(c, i), "libc-"),
		    "maps unreadable: the check would prove nothing");
		ck_assert_msg(!maps_name(cluster_pid(c, i), "libcrypto"),
		    "node %zu maps libcrypto", i + 1);
		ck_assert_msg(!maps_name(cluster_pid(c, i), "libssl"),
		    "node %zu maps libssl", i + 1);
	}
	cluster_free(c);
}
END_TEST

static void
quiet(void *ctx, bool is_error, const char *msg)
{
	(void)ctx, (void)is_error, (void)msg;
}

static bool
needs_dns(const char *host2, const char *host3)
{
	char text[1024];
	struct config *cfg = calloc(1, sizeof(*cfg));
	bool r;

	ck_assert_ptr_nonnull(cfg);
	snprintf(text, sizeof(text),
	    "node_id = \"n1\";\nmembers = (\n"
	    "  { id = \"n1\"; election = \"127.0.0.1:7401\"; "
	    "client = \"127.0.0.1:6401\"; },\n"
	    "  { id = \"n2\"; election = \"%s:7402\"; "
	    "client = \"127.0.0.1:6402\"; },\n"
	    "  { id = \"n3\"; election = \"%s:7403\"; "
	    "client = \"127.0.0.1:6403\"; }\n);\n"
	    "state_dir = \"/tmp\";\n", host2, host3);
	ck_assert_int_eq(config_load_string(text, "t.conf", cfg, quiet, NULL),
	    0);
	r = link_needs_dns(cfg);
	free(cfg);
	return r;
}

/* Only a peer's host name needs a resolver; our own never does. */
START_TEST(resolver_only_for_host_names)
{
	ck_assert(!needs_dns("127.0.0.2", "10.1.2.3"));
	ck_assert(!needs_dns("[::1]", "[fe80::1]"));
	ck_assert(needs_dns("127.0.0.2", "db3.example"));
	ck_assert(needs_dns("localhost", "[::1]"));
}
END_TEST

static Suite *
footprint_suite(void)
{
	Suite *s = suite_create("footprint");
	TCase *tc = tcase_create("footprint");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, no_crypto_library_mapped);
	tcase_add_test(tc, resolver_only_for_host_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(footprint_suite());
}
