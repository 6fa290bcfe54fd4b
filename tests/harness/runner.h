/*
 * runner: the one main() of the Check test programs: run a suite with the
 * verbosity of CK_ENV (make check sets it), exit 0 only if every test
 * passed. SIGPIPE is ignored: a test that writes to a daemon it just
 * killed must get EPIPE, not die. KEVY_LOGFMT_CHECK=1 unless set: every
 * cluster's node logs are checked for the documented format (cluster.h).
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <check.h>

int runner_main(Suite *);

#endif
