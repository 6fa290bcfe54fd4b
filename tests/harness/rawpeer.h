/*
 * rawpeer: a hand-made peer for the hostile tests. It dials a node's
 * election port (cluster_election_port), writes RESP frames
 * built by hand, waits (on poll, never a sleep) for the daemon to close
 * the connection, and reads counters off a node's /metrics.
 */
#ifndef RAWPEER_H
#define RAWPEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cluster;

#define RAWPEER_WAIT_MS 15000   /* bound on one /metrics answer */

/* A blocking TCP connection to 127.0.0.1:port, or -1. */
int rawpeer_connect(uint16_t port);
/* Did the peer close fd within ms? Whatever it sent before is read. */
bool rawpeer_await_closed(int fd, int ms);
/* Is fd still open (no EOF, no error pending) right now? */
bool rawpeer_is_open(int fd);
/* A RESP array of argc strings into buf; its length. */
size_t rawpeer_resp(char *buf, size_t cap, size_t argc,
    const char *const *argv);
/* HB <epoch> <id> <role> 0 into buf; its length. */
size_t rawpeer_hb(char *buf, size_t cap, const char *epoch, const char *id,
    const char *role);
/*
 * The value of one sample of node's /metrics on 127.0.0.1:port; name may
 * carry labels ("frames_received_total{verb=\"HB\"}"), without the
 * kevy_electd_ prefix.
 */
unsigned long long rawpeer_metric(uint16_t port, const char *name);

/*
 * A peer key file with the given mode in a fresh directory under /tmp;
 * the "auth_key_file = ...;" config line that names it (static storage).
 * rawpeer_key_remove deletes both.
 */
const char *rawpeer_key_make(mode_t mode);
void rawpeer_key_remove(void);

#endif
