/*
 * runner: see runner.h.
 */
#include <signal.h>
#include <stdlib.h>

#include "runner.h"

int
runner_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	signal(SIGPIPE, SIG_IGN);
	/* Every cluster's node logs are checked at cluster_free (cluster.c);
	 * KEVY_LOGFMT_CHECK=0 turns that off. */
	setenv("KEVY_LOGFMT_CHECK", "1", 0);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
