/*
 * inbound: the election listener and the connections peers dial to us.
 * We only read on them (spec: Transport). Each connection decodes frames
 * with wire_decode; a bad frame, a sender that is not a member, or a
 * sender that changes on one connection closes it.
 */
#ifndef INBOUND_H
#define INBOUND_H

#include <stddef.h>

struct electd;
struct inbound_listener;

#define INBOUND_CONNS_MAX  1024  /* accepted election connections at once */
#define INBOUND_READ_MAX   (4 * 1024) /* bytes buffered from one peer */

struct inbound_listener *inbound_listen(struct electd *, char *err,
    size_t errlen);
void inbound_free(struct inbound_listener *);
/* Connections currently open from member i (after its first frame). */
unsigned inbound_count(const struct inbound_listener *, size_t member);

#endif
