/*
 * fdbudget: how many descriptors each kind of connection may hold, from
 * the RLIMIT_NOFILE the daemon runs under. This side reads and raises the
 * limit; the split itself, the reserve and the minimums are pure and live
 * in lib/fdbudget_split.h.
 */
#ifndef FDBUDGET_H
#define FDBUDGET_H

#include <stddef.h>

#include "fdbudget_split.h" /* struct fdbudget, FDBUDGET_*, the split */

/*
 * Raise the soft RLIMIT_NOFILE towards the hard one as far as the caps
 * (INBOUND_CONNS_MAX, CTL_CLIENTS_MAX, HTTP_CONNS_MAX) can use, then split
 * what is in force. 0, or -1 with a sentence in err.
 */
int fdbudget_init(size_t n_members, struct fdbudget *, char *err,
    size_t errlen);

#endif
