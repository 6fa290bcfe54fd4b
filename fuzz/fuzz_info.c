/*
 * fuzz_info: lib/info's INFO replication parser over hostile text, given
 * as it comes out of a bulk reply: bytes and a length, no NUL after them.
 *
 * Besides "no crash, no read past len" (ASan), it checks the promises of
 * info.h: on success the role is known, every string is NUL-ended within
 * its cap and printable without spaces, replicas stay within the cap and
 * the ones past it are counted; on failure there is a sentence and *out
 * is untouched; and a text with LF line ends gives the same answer (the
 * same fields, or the same sentence) once every LF becomes CRLF.
 *
 * Must never define anything global but LLVMFuzzerTestOneInput: the same
 * file is linked with libFuzzer (make fuzz) and with tests/fuzz_replay.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ERR_LEN 256 /* bytes of error sentence kept */

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_info: broken promise: %s\n", what);
		abort();
	}
}

/* s is NUL-ended within cap + 1 bytes and holds printable ASCII only. */
static void
check_token(const char *s, size_t cap, int may_be_empty, const char *what)
{
	size_t n = strnlen(s, cap + 1), i;

	check(n <= cap, what);
	check(may_be_empty || n > 0, what);
	for (i = 0; i < n; i++)
		check(s[i] > 0x20 && s[i] < 0x7f, what);
}

static void
check_result(const struct info_replication *r)
{
	size_t i;

	check(r->role == INFO_ROLE_PRIMARY || r->role == INFO_ROLE_REPLICA,
	    "role unknown after success");
	check(r->master_link <= INFO_LINK_DOWN, "link out of range");
	check(r->nreplicas <= INFO_REPLICAS_MAX, "replicas over the cap");
	check(r->replicas_omitted == 0 || r->nreplicas == INFO_REPLICAS_MAX,
	    "replicas omitted below the cap");
	check_token(r->master_host, INFO_HOST_MAX,
	    !(r->have & INFO_HAVE_MASTER_HOST), "master_host");
	check((r->master_link != INFO_LINK_UNKNOWN) ==
	    !!(r->have & INFO_HAVE_MASTER_LINK_STATUS), "link without have");
	for (i = 0; i < r->nreplicas; i++) {
		check_token(r->replicas[i].ip, INFO_HOST_MAX, 0, "replica ip");
		check_token(r->replicas[i].state, INFO_STATE_MAX, 0,
		    "replica state");
	}
}

/* The same answer: both parsed to the same fields, or the same error. */
static void
check_same(int rc1, const struct info_replication *a, const char *e1,
    int rc2, const struct info_replication *b, const char *e2)
{
	size_t i;

	check(rc1 == rc2, "LF and CRLF disagree");
	if (rc1 == -1) {
		check(strcmp(e1, e2) == 0, "LF and CRLF errors differ");
		return;
	}
	check(a->have == b->have && a->role == b->role &&
	    strcmp(a->master_host, b->master_host) == 0 &&
	    a->master_port == b->master_port &&
	    a->master_link == b->master_link &&
	    a->master_sync_in_progress == b->master_sync_in_progress &&
	    a->master_repl_offset == b->master_repl_offset &&
	    a->slave_repl_offset == b->slave_repl_offset &&
	    a->connected_slaves == b->connected_slaves &&
	    a->nreplicas == b->nreplicas &&
	    a->replicas_omitted == b->replicas_omitted, "LF/CRLF fields");
	for (i = 0; i < a->nreplicas; i++) {
		const struct info_replica *x = &a->replicas[i];
		const struct info_replica *y = &b->replicas[i];

		check(strcmp(x->ip, y->ip) == 0 && x->port == y->port &&
		    strcmp(x->state, y->state) == 0 &&
		    x->offset == y->offset && x->has_lag == y->has_lag &&
		    (!x->has_lag || x->lag == y->lag), "LF/CRLF replicas");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct info_replication *r = malloc(sizeof *r), *before, *r2;
	char err[ERR_LEN], err2[ERR_LEN];
	size_t i, n;
	char *crlf;
	int rc, rc2;

	before = malloc(sizeof *before);
	r2 = malloc(sizeof *r2);
	check(r != NULL && before != NULL && r2 != NULL, "out of memory");
	memset(r, 0x5a, sizeof *r);
	memcpy(before, r, sizeof *r);
	err[0] = '\0';
	rc = info_parse_replication((const char *)data, size, r, err,
	    sizeof err);
	check(rc == 0 || rc == -1, "return value");
	if (rc == 0) {
		check_result(r);
	} else {
		check(err[0] != '\0', "failure without a sentence");
		check(strncmp(err, "line ", 5) == 0 ||
		    strcmp(err, "no role line: not INFO replication") == 0,
		    "sentence names no line");
		check(memcmp(r, before, sizeof *r) == 0, "*out touched");
	}

	/* Only for a text without CR: LF to CRLF must change nothing. */
	if (memchr(data, '\r', size) == NULL) {
		crlf = malloc(2 * size + 1);
		check(crlf != NULL, "out of memory");
		for (i = n = 0; i < size; i++) {
			if (data[i] == '\n')
				crlf[n++] = '\r';
			crlf[n++] = (char)data[i];
		}
		err2[0] = '\0';
		rc2 = info_parse_replication(crlf, n, r2, err2, sizeof err2);
		check_same(rc, r, err, rc2, r2, err2);
		free(crlf);
	}
	free(r2);
	free(before);
	free(r);
	return 0;
}
