/*
 * wire: the kevy election frames (HB, OFFER, ACCEPT, ANNOUNCE) as RESP2
 * arrays of bulk strings, byte for byte as the reference elector speaks
 * them (docs/design/protocol.md).
 *
 * Pure code: no I/O, no allocation. The decoder works on whatever bytes the
 * caller has buffered and never reads past the length it is given, never
 * trusts a length or count before checking it against a cap below.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_ID_MAX      32   /* bytes in a node id (spec: at most 32) */
#define WIRE_ADDR_MAX    255  /* bytes in a host:port client address */
#define WIRE_ELEMS_MAX   5    /* elements in the largest frame (HB) */
#define WIRE_BULK_MAX    255  /* bytes in one bulk string; real ones < 64 */
#define WIRE_HEADER_MAX  16   /* bytes in a "*N" / "$N" header line with CRLF */
/*
 * Two kinds of filler the reference reader skips carry the quiet rule
 * between kevy-electd nodes (docs/reference/wire.md, "Keepalive and
 * quiet mark"). An empty array is a keepalive: the sender is alive and a
 * replica, vouching for no lease. A blank line right before an ACCEPT or
 * an ANNOUNCE is its quiet mark (wire_frame.quiet).
 */
#define WIRE_KEEPALIVE       "*0\r\n"
#define WIRE_KEEPALIVE_LEN   4 /* bytes */
#define WIRE_QUIET_MARK      "\r\n"
#define WIRE_QUIET_MARK_LEN  2 /* bytes */
/* Reserved: inline commands are rejected (docs/reference/wire.md). */
#define WIRE_FRAME_MAX   1024 /* bytes a frame may span; beyond: error */

enum wire_verb {
	WIRE_HB = 1,
	WIRE_OFFER,
	WIRE_ACCEPT,
	WIRE_ANNOUNCE,
};

enum wire_role {
	WIRE_ROLE_PRIMARY = 1,
	WIRE_ROLE_REPLICA,
	WIRE_ROLE_CANDIDATE,
};

/*
 * One decoded frame. Which fields mean something depends on the verb:
 *   HB       epoch, id (sender), role, offset
 *   OFFER    epoch (new epoch), id (candidate), offset
 *   ACCEPT   epoch, id (accepter)
 *   ANNOUNCE epoch, id (new primary), addr (its client host:port)
 * Strings are NUL-terminated; ids hold only printable non-space ASCII.
 */
struct wire_frame {
	enum wire_verb verb;
	uint64_t epoch;
	char id[WIRE_ID_MAX + 1];
	enum wire_role role;
	uint64_t offset;
	char addr[WIRE_ADDR_MAX + 1];
	/*
	 * The quiet mark, on the wire a blank line before the frame (other
	 * verbs never carry it). ACCEPT: none of the voter's frames before
	 * this vote still feeds a lease. ANNOUNCE: the winner took no hold,
	 * its server is being promoted now.
	 */
	bool quiet;
};

enum wire_status {
	WIRE_OK = 0,     /* one frame decoded; *used bytes consumed */
	WIRE_NEED_MORE,  /* a valid prefix: wait for more bytes */
	WIRE_SKIP,       /* *used bytes of filler (empty array, blank line) */
	WIRE_ERROR,      /* hostile or broken input: close the connection */
};

/*
 * Decode at most one frame from buf[0..len). On WIRE_OK and WIRE_SKIP,
 * *used is the number of bytes to drop from the front of the buffer (0
 * otherwise). On WIRE_ERROR, *why names the reason (a static string); why
 * may be NULL. *out is written only on WIRE_OK. Stateless: call again with
 * the whole buffered input after more bytes arrive.
 */
enum wire_status wire_decode(const uint8_t *buf, size_t len,
    struct wire_frame *out, size_t *used, const char **why);

/*
 * Encode a frame into buf. Returns the number of bytes written, or 0 when
 * the frame is invalid (bad id or address, unknown verb or role) or does
 * not fit in cap bytes. WIRE_FRAME_MAX bytes always suffice.
 */
size_t wire_encode(const struct wire_frame *f, uint8_t *buf, size_t cap);

/* True if s is a valid node id: 1..WIRE_ID_MAX bytes, printable, no space. */
bool wire_id_is_valid(const char *s, size_t len);

/* Text for a verb or a role, as sent on the wire ("HB", "primary"), or
 * NULL for a value outside the enum. */
const char *wire_verb_name(enum wire_verb);
const char *wire_role_name(enum wire_role);
/* The same for text meant for people: never NULL ("unknown"). */
const char *wire_role_label(enum wire_role);

#endif
