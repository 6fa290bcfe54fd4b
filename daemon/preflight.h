/*
 * preflight: every check a start makes before it binds a socket, in one
 * place, so that `kevy-electd -t` and a start can never disagree about a
 * file: state_dir and its elect.meta, auth_key_file (through
 * auth_key_load, the start's own loader), server.password_file (through
 * secret_password_load, the same), notify_exec (hook_check_path,
 * hook_new's own check), the control socket's group, path and directory.
 *
 * A problem found here is the configuration's fault, or that of a file it
 * names: a restart cannot fix it, so a start that fails here exits
 * EX_CONFIG (78), which the units do not restart. What is left to the
 * start proper (binding, the event loop, memory) may be transient.
 *
 * It never binds, connects or writes anything; PREFLIGHT_START creates
 * state_dir (as the start always did), PREFLIGHT_CHECK creates nothing.
 */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

#include "config.h"

struct auth_key;

enum preflight_mode {
	PREFLIGHT_CHECK = 1,  /* -t: read only; missing runtime dirs warn */
	PREFLIGHT_START,      /* a start: state_dir created, the key kept */
};

/*
 * Run every check on a valid config, reporting each problem through
 * report as one sentence naming the key and the file (warnings do not
 * count). key: where a start keeps the peer key (needed when
 * auth_key_file is set in PREFLIGHT_START); NULL in PREFLIGHT_CHECK, the
 * key is then read into a wiped buffer. Returns the number of errors.
 */
int preflight_run(const struct config *, enum preflight_mode,
    struct auth_key *key, config_report_fn *report, void *ctx);

/*
 * A start that keeps its secrets: preflight_run in PREFLIGHT_START, and
 * the password of server.password_file, when set, read into
 * cfg->server.password (wiped again if anything failed). A start that
 * runs the server adapter must use this one: preflight_run checks the
 * password file but keeps nothing. Returns the number of errors.
 */
int preflight_start(struct config *, struct auth_key *key,
    config_report_fn *report, void *ctx);

#endif
