/*
 * srcaddr: the optional source check of the election port
 * (peer_source_check): the set of the members' election IPs, and whether
 * an accepted connection's address is among them. Pure: no resolving, no
 * sockets; a member given by host name cannot be checked (the caller
 * turns the check off then).
 */
#ifndef SRCADDR_H
#define SRCADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "elector.h"

struct srcaddr_set {
	size_t n;
	struct in6_addr addr[ELECTOR_MEMBERS_MAX]; /* IPv4 as ::ffff:a.b.c.d */
	bool loopback;            /* a member is on loopback: allow all of it */
};

/* Add a member's election host; -1 if it is not an IP literal. */
int srcaddr_set_add(struct srcaddr_set *, const char *host);
/* Is a connection from sa allowed (AF_INET or AF_INET6; others: no)? */
bool srcaddr_is_allowed(const struct srcaddr_set *, const struct sockaddr *sa);

#endif
