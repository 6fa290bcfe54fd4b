/*
 * srcaddr: see srcaddr.h. Addresses are compared as IPv6, IPv4 mapped
 * (::ffff:a.b.c.d), so a dual-stack listener sees one form. Loopback is
 * all of 127.0.0.0/8 and ::1: on Linux a peer dialing 127.0.0.2 comes
 * from 127.0.0.1, so exact matching would refuse a local cluster.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "srcaddr.h"

static void
map4(const struct in_addr *a, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = 0xff;
	out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], a, 4);
}

static bool
is_loopback(const struct in6_addr *a)
{
	return IN6_IS_ADDR_LOOPBACK(a) ||
	    (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

int
srcaddr_set_add(struct srcaddr_set *s, const char *host)
{
	char buf[INET6_ADDRSTRLEN + 1], *zone;
	struct in6_addr a6;
	struct in_addr a4;

	if (s->n >= ELECTOR_MEMBERS_MAX)
		return -1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		map4(&a4, &a6);
	else {
		/* "fe80::1%eth0": the zone names an interface, not an address. */
		snprintf(buf, sizeof(buf), "%s", host);
		if ((zone = strchr(buf, '%')) != NULL)
			*zone = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return -1;
	}
	if (is_loopback(&a6))
		s->loopback = true;
	s->addr[s->n++] = a6;
	return 0;
}

bool
srcaddr_is_allowed(const struct srcaddr_set *s, const struct sockaddr *sa)
{
	struct in6_addr a;

	if (sa->sa_family == AF_INET)
		map4(&((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    &a);
	else if (sa->sa_family == AF_INET6)
		a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return false;
	if (is_loopback(&a))
		return s->loopback;
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(&s->addr[i], &a, sizeof(a)) == 0)
			return true;
	return false;
}
