/*
 * util: the small helpers every module of daemon/ would otherwise copy.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

/* A duration in milliseconds (microseconds) as libevent's timeval. */
void util_ms_to_tv(uint64_t ms, struct timeval *tv);
void util_us_to_tv(uint64_t us, struct timeval *tv);
/* Write all of buf to a blocking fd, across EINTR and short writes; 0 or -1. */
int util_write_all(int fd, const void *buf, size_t len);
/*
 * Copy the string src into dst (cap bytes, cap > 0), cut to fit and
 * always NUL-terminated: snprintf(dst, cap, "%s", src) without the
 * formatting, for what is copied on every STATUS.
 */
void util_strcpy(char *dst, size_t cap, const char *src);

struct bufferevent;
/*
 * Write what a socket bufferevent has queued now, as much as the socket
 * takes, instead of on its next write event; what is left stays queued.
 * -1 (errno set) when the connection is broken, else 0.
 */
int util_bev_write_now(struct bufferevent *);

#endif
