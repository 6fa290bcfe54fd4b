/*
 * fuzz_config: the config loader (daemon/config.c, libconfig underneath)
 * over hostile text, through config_load_string so that no file is
 * written or read per run. The input is cut at its first NUL byte (the
 * loader takes a C string, as libconfig does).
 *
 * Checks besides "no crash, no leak" (ASan/LSan): every message names the
 * label as its file ("fuzz.conf:..."), the return value counts the errors
 * reported, and a config that loads without error is one the daemon can
 * run: node_id is members[self], timings pass the elector's check.
 *
 * Must never define anything global but LLVMFuzzerTestOneInput: the same
 * file is linked with libFuzzer (make fuzz) and with tests/fuzz_replay.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define FUZZ_CONFIG_LABEL "fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: broken promise: %s\n", what);
		abort();
	}
}

static void
on_report(void *ctx, bool is_error, const char *msg)
{
	int *errors = ctx;

	check(msg != NULL && strlen(msg) < 2048, "message missing or huge");
	check(strncmp(msg, FUZZ_CONFIG_LABEL ":",
	    sizeof FUZZ_CONFIG_LABEL) == 0, "message does not name the label");
	if (is_error)
		(*errors)++;
}

static void
check_valid(const struct config *c)
{
	struct elector_timing t = c->timing;
	char err[256];

	check(strcmp(c->path, FUZZ_CONFIG_LABEL) == 0, "path is not the label");
	check(c->n_members >= 1 && c->n_members <= ELECTOR_MEMBERS_MAX,
	    "member count");
	check(c->self < c->n_members, "self out of range");
	check(strcmp(c->node_id, c->members[c->self].id) == 0,
	    "node_id is not members[self]");
	check(c->listen.port != 0, "no listen port");
	check(elector_timing_check(&t, err, sizeof err) == 0,
	    "timings the elector refuses");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c;
	char *text;
	int errors = 0, n;

	if ((text = malloc(size + 1)) == NULL ||
	    (c = malloc(sizeof *c)) == NULL) {
		free(text);
		return 0;
	}
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	n = config_load_string(text, FUZZ_CONFIG_LABEL, c, on_report, &errors);
	check(n == errors, "return value is not the errors reported");
	if (n == 0)
		check_valid(c);
	free(c);
	free(text);
	return 0;
}
