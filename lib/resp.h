/*
 * resp: the client side of RESP2 for the server adapter (issue 11): encode
 * a command as an array of bulk strings, parse the local Redis / Valkey /
 * kevy server's replies (PING, AUTH, INFO, REPLICAOF, CLIENT PAUSE,
 * CONFIG GET/SET, COMMAND INFO), and ask small questions of a reply (is
 * it +OK, which error is it).
 *
 * Pure code: no I/O, no allocation, no clock. The parser never reads past
 * the length it is given and checks every length and count against a cap
 * below before it trusts it. It must never accept a RESP3 type: we never
 * send HELLO 3, so a server that answers in RESP3 is not the one we think.
 */
#ifndef RESP_H
#define RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Limits. A reply over any of them is RESP_ERROR: the adapter drops the
 * connection and says why, it never waits for (or buffers) more.
 *
 * RESP_BULK_MAX: INFO replication is the largest bulk we ask for, about
 * 600 bytes plus some 80 per attached replica (a few KB in practice);
 * 64 KiB leaves room for hundreds of replicas or a whole "INFO" and still
 * bounds what one reply can make us buffer.
 * RESP_DEPTH_MAX: COMMAND INFO in Redis 7 nests arrays 6 deep for a
 * command with key specs (reply, entry, key specs, spec, begin_search,
 * its spec) and 8 deep for a subcommand's key specs; nothing else we send
 * nests more than 2.
 * RESP_ELEMS_MAX: every element counts, arrays included. ROLE on a
 * primary with 16 replicas is 68, COMMAND INFO GET (one key spec) 42,
 * CONFIG GET of a few keys twice as many as keys.
 * RESP_LINE_MAX: the longest +status or -error text we expect is an
 * "unknown command" error, which quotes at most about 300 bytes of the
 * command.
 */
#define RESP_BULK_MAX   (64 * 1024) /* bytes in one bulk string's payload */
#define RESP_DEPTH_MAX  8     /* nested array levels; a top array is 1 */
#define RESP_ELEMS_MAX  128   /* elements in a reply, all levels, arrays too */
#define RESP_LINE_MAX   1024  /* bytes of +simple / -error text, without CRLF */
/* Bytes one reply may span, headers included: the caller's read buffer
 * never needs more to hold a whole reply (checked in resp.c: the largest
 * bulk fits with room to spare). */
#define RESP_REPLY_MAX  (128 * 1024)

enum resp_type {
	RESP_TYPE_SIMPLE = 1,  /* +text */
	RESP_TYPE_ERROR,       /* -text */
	RESP_TYPE_INTEGER,     /* :n, a signed 64-bit value */
	RESP_TYPE_BULK,        /* $n then n bytes, binary safe */
	RESP_TYPE_NULL_BULK,   /* $-1 */
	RESP_TYPE_ARRAY,       /* *n, its n elements follow it in order */
	RESP_TYPE_NULL_ARRAY,  /* *-1 */
};

/*
 * One element of a reply. The elements of a reply are stored flattened in
 * pre-order: an array is followed by its children (and theirs), so the
 * root is elems[0] and an element's subtree is elems[i .. end).
 */
struct resp_elem {
	enum resp_type	 type;
	unsigned	 depth;		/* arrays around it: the root is 0 */
	const uint8_t	*str;		/* SIMPLE, ERROR, BULK: into the */
	size_t		 len;		/* caller's buffer; not NUL-ended */
	int64_t		 integer;	/* INTEGER */
	size_t		 count;		/* ARRAY: direct children */
	size_t		 end;		/* index one past its subtree */
};

/* About 6 KiB: one per connection, or on the stack, not per reply. */
struct resp_reply {
	size_t		 nelems;
	struct resp_elem elems[RESP_ELEMS_MAX];
	const char	*why;		/* on RESP_ERROR: the reason (static) */
};

enum resp_status {
	RESP_OK = 0,     /* one reply parsed; *used bytes consumed */
	RESP_NEED_MORE,  /* a valid prefix: call again with more bytes */
	RESP_ERROR,      /* malformed or over a cap: close the connection */
};

/*
 * Parse at most one reply from buf[0..len). Stateless: on NEED_MORE call
 * again with the whole buffered input once more bytes arrived (headers are
 * re-read, payloads are skipped over, so this stays cheap). On RESP_OK
 * *used is the reply's length in bytes (0 otherwise) and out describes it,
 * with pointers into buf: keep those bytes until the reply is consumed.
 * out is scratch space otherwise, except out->why, set on RESP_ERROR.
 * A provably bad prefix is an error at once, without waiting for more.
 */
enum resp_status resp_parse(const uint8_t *buf, size_t len,
    struct resp_reply *out, size_t *used);

/*
 * Encode a command as an array of argc bulk strings into buf. Returns the
 * number of bytes written, or 0 when argc is 0 or it does not fit in cap
 * (buf's contents are then unspecified). resp_encode_command takes
 * NUL-ended arguments; resp_encode_argv takes lengths, binary safe.
 */
size_t resp_encode_command(uint8_t *buf, size_t cap, size_t argc,
    const char *const *argv);
size_t resp_encode_argv(uint8_t *buf, size_t cap, size_t argc,
    const char *const *argv, const size_t *argvlen);

/* The root element of a parsed reply. */
const struct resp_elem *resp_root(const struct resp_reply *);

/*
 * The i-th direct child (from 0) of array a; NULL when a is not an array
 * among r's elements or has no such child. To walk an array:
 *   for (i = 0; (e = resp_child(r, a, i)) != NULL; i++)
 */
const struct resp_elem *resp_child(const struct resp_reply *r,
    const struct resp_elem *a, size_t i);

/* True if e is a SIMPLE or BULK string whose bytes are exactly s. */
bool resp_str_eq(const struct resp_elem *e, const char *s);

/* True if the reply is the status "+OK" (exactly). */
bool resp_is_ok(const struct resp_reply *);

/* True if the reply is the status text s, e.g. "PONG". */
bool resp_is_status(const struct resp_reply *, const char *s);

/*
 * True if the reply is an error whose text starts with prefix, and the
 * prefix ends there or at a space: "LOADING" matches "LOADING Redis is
 * loading..." but not "LOADINGX"; "ERR unknown command" matches
 * "ERR unknown command 'FOO', with args...". Case-sensitive: servers send
 * these codes in one spelling.
 */
bool resp_error_is(const struct resp_reply *, const char *prefix);

/* The errors the adapter reacts to, from the error code and text. */
enum resp_error_kind {
	RESP_ERR_NONE = 0,      /* the reply is not an error */
	RESP_ERR_OTHER,         /* an error not listed below */
	RESP_ERR_LOADING,       /* the dataset is loading: retry later */
	RESP_ERR_MASTERDOWN,    /* replica with the link to its primary down */
	RESP_ERR_BUSY,          /* a script or function runs: retry later */
	RESP_ERR_NOAUTH,        /* AUTH needed first */
	RESP_ERR_WRONGPASS,     /* AUTH refused (user or password) */
	RESP_ERR_NOPERM,        /* the ACL user may not run the command */
	RESP_ERR_NO_PASSWORD,   /* AUTH sent, but no password is configured */
	RESP_ERR_UNKNOWN_COMMAND,    /* renamed, disabled or missing */
	RESP_ERR_UNKNOWN_SUBCOMMAND, /* e.g. CLIENT UNPAUSE before 6.2 */
};

/* Which of the errors above the reply is (RESP_ERR_NONE if not one). */
enum resp_error_kind resp_error_kind(const struct resp_reply *);

/* Its name for logs ("LOADING", "unknown-command"); never NULL. */
const char *resp_error_kind_name(enum resp_error_kind);

/*
 * The RESP integer grammar, which INFO fields share: an optional '-' and
 * 1..NUM_U64_DIGITS digits (num_parse_u64), within int64_t. Returns 0, or
 * -1 without writing *out.
 */
int resp_parse_i64(const char *s, size_t len, int64_t *out);

#endif
