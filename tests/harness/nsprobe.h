/*
 * nsprobe: reaching into a node's network namespace from the root one,
 * where its addresses do not exist: a TCP socket made there (setns, the
 * socket, setns back: a socket keeps the namespace it was made in), an
 * HTTP GET of the node's own loopback, round trips to a closed port.
 * For a single-threaded caller: setns moves the calling thread.
 *
 * Must never: leave the caller in another namespace (it exits instead),
 * or wait without a bound.
 */
#ifndef NSPROBE_H
#define NSPROBE_H

#include <stddef.h>
#include <stdint.h>

/* A non-blocking CLOEXEC TCP socket in the namespace nsfd; fd or -1. */
int nsprobe_socket(int nsfd);
/*
 * GET path from 127.0.0.1:port in the namespace nsfd (HTTP/1.0), the
 * whole reply (headers too) into buf, at most timeout_ms; 0 or -1.
 */
int nsprobe_http_get(int nsfd, uint16_t port, const char *path, char *buf,
    size_t cap, uint64_t timeout_ms);
/*
 * Up to want round trips from the namespace nsfd to addr:port, a port
 * nobody listens on: connect until the RST refuses it. Each at most
 * timeout_ms; the first that fails ends the series. The times, in
 * microseconds and sorted, into us; how many.
 */
size_t nsprobe_refused_rtt(int nsfd, const char *addr, uint16_t port,
    uint64_t *us, size_t want, uint64_t timeout_ms);

#endif
