/*
 * wire: encode and decode the election frames (see wire.h and
 * docs/reference/wire.md).
 *
 * The decoder reads bytes from a peer we do not trust. It is stateless:
 * each call re-parses the buffered bytes from the start (frames are a few
 * hundred bytes at most), so it keeps nothing between calls, allocates
 * nothing, never reads past len and writes *out only on WIRE_OK.
 *
 * Decisions beyond the spec:
 * - Empty arrays ("*0\r\n") and blank lines ("\r\n", "\n") are filler:
 *   WIRE_SKIP, as the reference reader skips them. A "\r\n" right before
 *   an ACCEPT or ANNOUNCE is decoded with it, as its quiet mark; so a
 *   "\r\n" at the end of the input waits for what follows.
 * - Inline commands ("HB 1 a primary 0\r\n") are rejected. The reference
 *   accepts them but never sends them, so rejecting stays compatible and
 *   removes a second grammar from the attack surface.
 * - Every length is checked against the cap of the field it announces as
 *   soon as its header is complete, and every header against its cap while
 *   still partial, so a provably bad prefix fails at once instead of making
 *   us wait (and buffer) for bytes that cannot help.
 * - Numbers inside bulks go through num_parse_u64: plain decimal, leading
 *   zeros accepted as the reference does, any u64 including 0.
 */
#include <string.h>

#include "num.h"
#include "resp.h"
#include "wire.h"

/* Longest verb ("ANNOUNCE") and role ("candidate") names, in bytes. */
#define WIRE_VERB_LEN_MAX 8
#define WIRE_ROLE_LEN_MAX 9

/*
 * Even a frame carrying every field at its cap, with every header line at
 * its cap, fits in WIRE_FRAME_MAX; so WIRE_FRAME_MAX bytes always suffice
 * for wire_encode and the frame cap below can never cut a valid frame.
 */
_Static_assert((WIRE_ELEMS_MAX + 1) * WIRE_HEADER_MAX + WIRE_ELEMS_MAX * 2 +
    WIRE_VERB_LEN_MAX + 2 * NUM_U64_DIGITS + WIRE_ID_MAX +
    WIRE_ROLE_LEN_MAX + WIRE_ADDR_MAX <= WIRE_FRAME_MAX,
    "WIRE_FRAME_MAX too small for the largest frame");
/* ... and so does the largest marked one (an ANNOUNCE has no role). */
_Static_assert(WIRE_QUIET_MARK_LEN <= WIRE_HEADER_MAX + 2 + WIRE_ROLE_LEN_MAX,
    "WIRE_FRAME_MAX too small for a marked frame");
_Static_assert(WIRE_ADDR_MAX <= WIRE_BULK_MAX && WIRE_ID_MAX <= WIRE_BULK_MAX,
    "a field cap exceeds the bulk cap");

enum field {
	F_VERB,
	F_EPOCH,
	F_ID,
	F_ROLE,
	F_OFFSET,
	F_ADDR,
};

/* Per field: longest valid bulk, and the reason given when it is bad. */
static const struct {
	size_t		 max;
	const char	*why;
} fields[] = {
	[F_VERB] =	{ WIRE_VERB_LEN_MAX,	"unknown verb" },
	[F_EPOCH] =	{ NUM_U64_DIGITS,	"bad epoch" },
	[F_ID] =	{ WIRE_ID_MAX,		"bad id" },
	[F_ROLE] =	{ WIRE_ROLE_LEN_MAX,	"unknown role" },
	[F_OFFSET] =	{ NUM_U64_DIGITS,	"bad offset" },
	[F_ADDR] =	{ WIRE_ADDR_MAX,	"bad addr" },
};

/* The frames: element count includes the verb; field order as sent. */
static const struct verb_def {
	enum wire_verb	 verb;
	const char	*name;
	uint64_t	 count;
	enum field	 f[WIRE_ELEMS_MAX - 1];
} verbs[] = {
	{ WIRE_HB,	 "HB",	     5, { F_EPOCH, F_ID, F_ROLE, F_OFFSET } },
	{ WIRE_OFFER,	 "OFFER",    4, { F_EPOCH, F_ID, F_OFFSET } },
	{ WIRE_ACCEPT,	 "ACCEPT",   3, { F_EPOCH, F_ID } },
	{ WIRE_ANNOUNCE, "ANNOUNCE", 4, { F_EPOCH, F_ID, F_ADDR } },
};
#define WIRE_COUNT_MIN 3 /* elements in the smallest frame (ACCEPT) */

static const char *const roles[] = {
	[WIRE_ROLE_PRIMARY] = "primary",
	[WIRE_ROLE_REPLICA] = "replica",
	[WIRE_ROLE_CANDIDATE] = "candidate",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Printable ASCII without space: what ids and addresses may contain. */
static bool
is_word(const uint8_t *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

static uint8_t
ascii_upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c;
}

/* ASCII only: locale-aware strncasecmp could fold bytes a peer chose. */
static bool
name_eq(const uint8_t *s, size_t len, const char *name)
{
	size_t i;

	if (len != strlen(name))
		return false;
	for (i = 0; i < len; i++)
		if (ascii_upper(s[i]) != ascii_upper((uint8_t)name[i]))
			return false;
	return true;
}

bool
wire_id_is_valid(const char *s, size_t len)
{
	return s != NULL && is_word((const uint8_t *)s, len, WIRE_ID_MAX);
}

const char *
wire_verb_name(enum wire_verb v)
{
	size_t i;

	for (i = 0; i < NELEM(verbs); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return NULL;
}

const char *
wire_role_name(enum wire_role r)
{
	if ((size_t)r >= NELEM(roles))
		return NULL;
	return roles[r];
}

const char *
wire_role_label(enum wire_role r)
{
	const char *name = wire_role_name(r);

	return name != NULL ? name : "unknown";
}

/* Where the decoder stands: buf[0..len) as given, pos the next byte. */
struct cursor {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 pos;
	const char	*why;
};

static enum wire_status
fail(struct cursor *c, const char *why)
{
	c->why = why;
	return WIRE_ERROR;
}

/* A cap on a header's value, and the reason given when it is exceeded. */
struct cap {
	uint64_t	 max;
	const char	*why;
};

/*
 * Read a "<mark><digits>\r\n" header within the envelope cap env (also the
 * reason for a malformed line), then within the tighter cap fld. The digits
 * seen so far are checked even when the line end has not arrived: more
 * digits only make the value larger and the line longer, so an excess is
 * final and "$999" fails without waiting for its CRLF.
 */
static enum wire_status
read_header(struct cursor *c, uint8_t mark, struct cap env, struct cap fld,
    uint64_t *out)
{
	size_t start = c->pos, i = start + 1, ndig;
	uint64_t v = 0;

	if (start >= c->len)
		return WIRE_NEED_MORE;
	if (c->buf[start] != mark)
		return fail(c, mark == '$' ? "expected bulk string" :
		    "expected array");
	while (i < c->len && c->buf[i] >= '0' && c->buf[i] <= '9')
		i++;
	ndig = i - start - 1;
	if (i - start + 2 > WIRE_HEADER_MAX)
		return fail(c, "header line too long");
	if (ndig > 0) {
		if (num_parse_u64((const char *)c->buf + start + 1, ndig,
		    &v) == -1 || v > env.max)
			return fail(c, env.why);
		if (v > fld.max)
			return fail(c, fld.why);
	}
	if (i >= c->len)
		return WIRE_NEED_MORE;
	if (ndig == 0)
		return fail(c, env.why);	/* "*-1", "$ 5", "*+3", "*\r\n" */
	if (c->buf[i] == '\n')
		return fail(c, "bare LF");
	if (c->buf[i] != '\r')
		return fail(c, env.why);
	if (i + 1 >= c->len)
		return WIRE_NEED_MORE;
	if (c->buf[i + 1] != '\n')
		return fail(c, "bad line end");
	c->pos = i + 2;
	*out = v;
	return WIRE_OK;
}

/* Read one bulk string holding field f; on WIRE_OK *s points into buf. */
static enum wire_status
read_bulk(struct cursor *c, enum field f, const uint8_t **s, size_t *n)
{
	const struct cap env = { WIRE_BULK_MAX, "bad bulk length" };
	const struct cap fld = { fields[f].max, fields[f].why };
	enum wire_status st;
	uint64_t blen;
	size_t end;

	st = read_header(c, '$', env, fld, &blen);
	if (st != WIRE_OK)
		return st;
	if (blen == 0)
		return fail(c, fields[f].why);
	end = c->pos + (size_t)blen;
	if (end + 2 > WIRE_FRAME_MAX)
		return fail(c, "frame too long");
	if (c->len < end + 1)
		return WIRE_NEED_MORE;
	if (c->buf[end] != '\r')
		return fail(c, c->buf[end] == '\n' ? "bare LF" :
		    "missing CRLF after bulk");
	if (c->len < end + 2)
		return WIRE_NEED_MORE;
	if (c->buf[end + 1] != '\n')
		return fail(c, "missing CRLF after bulk");
	*s = c->buf + c->pos;
	*n = (size_t)blen;
	c->pos = end + 2;
	return WIRE_OK;
}

/* Check one complete field and store it into f. */
static enum wire_status
set_field(struct cursor *c, enum field fld, const uint8_t *s, size_t n,
    struct wire_frame *f)
{
	size_t i;

	switch (fld) {
	case F_EPOCH:
	case F_OFFSET:
		if (num_parse_u64((const char *)s, n,
		    fld == F_EPOCH ? &f->epoch : &f->offset) == -1)
			return fail(c, fields[fld].why);
		return WIRE_OK;
	case F_ID:
		if (!is_word(s, n, WIRE_ID_MAX))
			return fail(c, fields[fld].why);
		memcpy(f->id, s, n);
		f->id[n] = '\0';
		return WIRE_OK;
	case F_ADDR:
		if (!is_word(s, n, WIRE_ADDR_MAX))
			return fail(c, fields[fld].why);
		memcpy(f->addr, s, n);
		f->addr[n] = '\0';
		return WIRE_OK;
	case F_ROLE:
		for (i = 1; i < NELEM(roles); i++) {
			if (name_eq(s, n, roles[i])) {
				f->role = (enum wire_role)i;
				return WIRE_OK;
			}
		}
		return fail(c, fields[fld].why);
	case F_VERB:
		break;
	}
	return fail(c, "internal: bad field");
}

/* Decode one frame or filler from c (c->len > 0) into the scratch f. */
static enum wire_status
decode(struct cursor *c, struct wire_frame *f)
{
	const struct cap count_cap = { WIRE_ELEMS_MAX, "bad array count" };
	const struct verb_def *vd = NULL;
	enum wire_status st;
	const uint8_t *s;
	uint64_t count, k;
	size_t i, n;

	/* Blank lines between frames are filler the reference skips. */
	if (c->buf[0] == '\n') {
		c->pos = 1;
		return WIRE_SKIP;
	}
	if (c->buf[0] == '\r') {
		if (c->len < 2)
			return WIRE_NEED_MORE;
		if (c->buf[1] != '\n')
			return fail(c, "bad line end");
		c->pos = 2;
		return WIRE_SKIP;
	}
	if (c->buf[0] != '*')
		return fail(c, "inline command rejected");
	st = read_header(c, '*', count_cap, count_cap, &count);
	if (st != WIRE_OK)
		return st;
	if (count == 0)
		return WIRE_SKIP;
	if (count < WIRE_COUNT_MIN)
		return fail(c, "wrong element count");

	if ((st = read_bulk(c, F_VERB, &s, &n)) != WIRE_OK)
		return st;
	for (i = 0; i < NELEM(verbs); i++)
		if (name_eq(s, n, verbs[i].name))
			vd = &verbs[i];
	if (vd == NULL)
		return fail(c, "unknown verb");
	if (count != vd->count)
		return fail(c, "wrong element count");
	f->verb = vd->verb;

	for (k = 0; k < count - 1; k++) {
		if ((st = read_bulk(c, vd->f[k], &s, &n)) != WIRE_OK)
			return st;
		if ((st = set_field(c, vd->f[k], s, n, f)) != WIRE_OK)
			return st;
	}
	return WIRE_OK;
}

/*
 * c is past a blank line: the quiet mark of the frame after it when that
 * is an ACCEPT or ANNOUNCE, plain filler otherwise (what follows then
 * decodes on its own, errors included, on the next call).
 */
static enum wire_status
decode_marked(struct cursor *c, struct wire_frame *f)
{
	struct cursor m = { c->buf + c->pos, c->len - c->pos, 0, NULL };
	struct wire_frame g;

	if (m.len == 0)
		return WIRE_NEED_MORE;
	memset(&g, 0, sizeof g);
	switch (decode(&m, &g)) {
	case WIRE_NEED_MORE:
		return WIRE_NEED_MORE;
	case WIRE_OK:
		if (g.verb != WIRE_ACCEPT && g.verb != WIRE_ANNOUNCE)
			break;
		g.quiet = true;
		*f = g;
		c->pos += m.pos;
		return WIRE_OK;
	case WIRE_SKIP:
	case WIRE_ERROR:
		break;
	}
	return WIRE_SKIP;
}

enum wire_status
wire_decode(const uint8_t *buf, size_t len, struct wire_frame *out,
    size_t *used, const char **why)
{
	struct cursor c = { buf, len, 0, NULL };
	struct wire_frame f;
	enum wire_status st;

	*used = 0;
	if (why != NULL)
		*why = NULL;
	if (len == 0)
		return WIRE_NEED_MORE;
	/* Fill a scratch frame: a half-decoded frame never reaches *out. */
	memset(&f, 0, sizeof f);
	st = decode(&c, &f);
	if (st == WIRE_SKIP && c.pos == WIRE_QUIET_MARK_LEN && buf[0] == '\r')
		st = decode_marked(&c, &f);
	switch (st) {
	case WIRE_OK:
		*out = f;
		*used = c.pos;
		break;
	case WIRE_SKIP:
		*used = c.pos;
		break;
	case WIRE_ERROR:
		if (why != NULL)
			*why = c.why;
		break;
	case WIRE_NEED_MORE:
		break;
	}
	return st;
}

/* Unsigned decimal, no leading zeros; returns the digit count. */
static size_t
fmt_u64(uint64_t v, char d[NUM_U64_DIGITS])
{
	char tmp[NUM_U64_DIGITS];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		d[i] = tmp[n - 1 - i];
	return n;
}

size_t
wire_encode(const struct wire_frame *f, uint8_t *buf, size_t cap)
{
	char epoch[NUM_U64_DIGITS], offset[NUM_U64_DIGITS];
	const char *argv[WIRE_ELEMS_MAX];
	size_t lens[WIRE_ELEMS_MAX];
	const struct verb_def *vd = NULL;
	const char *role = NULL;
	size_t i, idlen, addrlen = 0, len;

	for (i = 0; i < NELEM(verbs); i++)
		if (verbs[i].verb == f->verb)
			vd = &verbs[i];
	if (vd == NULL)
		return 0;
	/* Refuse what our own decoder (and the reference) would reject. */
	idlen = strnlen(f->id, sizeof f->id);
	if (!wire_id_is_valid(f->id, idlen))
		return 0;
	if (f->verb == WIRE_HB && (role = wire_role_name(f->role)) == NULL)
		return 0;
	if (f->verb == WIRE_ANNOUNCE) {
		addrlen = strnlen(f->addr, sizeof f->addr);
		if (!is_word((const uint8_t *)f->addr, addrlen, WIRE_ADDR_MAX))
			return 0;
	}

	/* The frame is a command: RESP's one array-of-bulks writer. */
	argv[0] = vd->name;
	lens[0] = strlen(vd->name);
	for (i = 0; i < vd->count - 1; i++) {
		const char **a = &argv[i + 1];
		size_t *n = &lens[i + 1];

		switch (vd->f[i]) {
		case F_EPOCH:
			*n = fmt_u64(f->epoch, epoch);
			*a = epoch;
			break;
		case F_OFFSET:
			*n = fmt_u64(f->offset, offset);
			*a = offset;
			break;
		case F_ID:
			*a = f->id;
			*n = idlen;
			break;
		case F_ROLE:
			*a = role;
			*n = strlen(role);
			break;
		case F_ADDR:
			*a = f->addr;
			*n = addrlen;
			break;
		case F_VERB:
			return 0;
		}
	}
	if (f->quiet && (f->verb == WIRE_ACCEPT || f->verb == WIRE_ANNOUNCE)) {
		if (cap < WIRE_QUIET_MARK_LEN)
			return 0;
		memcpy(buf, WIRE_QUIET_MARK, WIRE_QUIET_MARK_LEN);
		len = resp_encode_argv(buf + WIRE_QUIET_MARK_LEN,
		    cap - WIRE_QUIET_MARK_LEN, vd->count, argv, lens);
		return len == 0 ? 0 : len + WIRE_QUIET_MARK_LEN;
	}
	return resp_encode_argv(buf, cap, vd->count, argv, lens);
}
