/*
 * config: kevy-electd.conf (libconfig syntax) into a struct config. A
 * schema table drives parsing, validation, defaults, what SIGHUP may
 * change and the key reference of the docs; every problem is reported as
 * "file:line: key: problem", all of them, and a config with any error is
 * never half-applied.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "elector.h"
#include "log.h"
#include "wire.h"

#define CONFIG_HOST_MAX   253  /* bytes in a host name or address literal */
#define CONFIG_PATH_MAX   1024 /* bytes in a file or directory path */
#define CONFIG_SUN_PATH_MAX 107 /* bytes in a Unix socket path (sun_path - NUL) */
#define CONFIG_NAME_MAX   64   /* bytes in a user or group name */
#define CONFIG_UIDS_MAX   16   /* entries in control.write_uids / write_gids */
#define CONFIG_FILE_MAX   (1024 * 1024) /* bytes in a config file */

#define CONFIG_DEFAULT_PATH        "/etc/kevy-elect/kevy-electd.conf"
#define CONFIG_DEFAULT_STATE_DIR   "/var/lib/kevy-elect"
#define CONFIG_DEFAULT_CONTROL     "/run/kevy-elect/kevy-electd.sock"
#define CONFIG_DEFAULT_CONTROL_MODE 0660
#define CONFIG_DEFAULT_NOTIFY_TIMEOUT_MS 10000
#define CONFIG_HANDOFF_ON_STOP_MAX_MS 60000 /* a stop waits this long at most */

/* The server group: the adapter beside the local kevy/Redis/Valkey server. */
#define CONFIG_SERVER_USER_MAX     128   /* bytes in server.user (ACL user) */
#define CONFIG_SERVER_PASSWORD_MAX 512   /* bytes of password, no line end */
#define CONFIG_SERVER_MS_MAX       60000 /* ms: poll_ms, timeout_ms at most */
#define CONFIG_SERVER_TIMEOUT_DEFAULT_MS 1000 /* ms, or down_after_ms if less */
#define CONFIG_SERVER_HEALTH_POLLS 3     /* polls in the default health_ms */

struct config_hostport {
	char host[CONFIG_HOST_MAX + 1]; /* without [] for IPv6 literals */
	uint16_t port;
};

struct config_member {
	char id[WIRE_ID_MAX + 1];
	struct config_hostport election; /* where its elector listens */
	char client[WIRE_ADDR_MAX + 1];  /* its kevy client host:port */
	bool never_stand;                /* priority 0, once loaded */
	uint64_t priority;               /* 0..ELECTOR_PRIORITY_MAX */
};

/* How the adapter keeps a deposed primary's server from taking writes. */
enum config_fence {
	CONFIG_FENCE_AUTO = 1,     /* CLIENT PAUSE WRITE where the server has
	                            * it, plus min-replicas-to-write */
	CONFIG_FENCE_MIN_REPLICAS, /* min-replicas-to-write only */
	CONFIG_FENCE_NONE,         /* not fenced in the server (warned) */
};

/*
 * server { ... }: all zero but fence (AUTO) when the group is absent.
 * With it, every value is resolved at load: poll_ms, timeout_ms and
 * health_ms are the ones to use, never 0 when enabled.
 */
struct config_server {
	bool enabled;                    /* server.address set: adapter on */
	char address[WIRE_ADDR_MAX + 1]; /* as written, for logs */
	char unix_path[CONFIG_SUN_PATH_MAX + 1]; /* "" unless a Unix socket */
	struct config_hostport tcp;      /* port 0 for a Unix socket */
	char user[CONFIG_SERVER_USER_MAX + 1]; /* "": AUTH password alone */
	char password_file[CONFIG_PATH_MAX + 1]; /* "": no AUTH */
	/*
	 * The password, read by preflight_start (preflight.h), never by
	 * config_load (SIGHUP does not re-read it). password_file set and
	 * password "" means it was not loaded: refuse, do not skip AUTH.
	 */
	char password[CONFIG_SERVER_PASSWORD_MAX + 1];
	uint64_t poll_ms;                /* INFO replication period */
	uint64_t timeout_ms;             /* connect, AUTH, each command */
	enum config_fence fence;
	uint64_t health_ms;              /* derived: silent this long = down */
};

struct config {
	char path[CONFIG_PATH_MAX + 1];
	char node_id[WIRE_ID_MAX + 1];
	size_t self;                     /* index of node_id in members */
	struct config_member members[ELECTOR_MEMBERS_MAX];
	size_t n_members;
	struct config_hostport listen;   /* default: own members entry */
	char advertise[WIRE_ADDR_MAX + 1]; /* default: own client address */
	char state_dir[CONFIG_PATH_MAX + 1];
	char control_path[CONFIG_SUN_PATH_MAX + 1];
	mode_t control_mode;
	char control_group[CONFIG_NAME_MAX + 1]; /* "" = daemon's group */
	uint32_t write_uids[CONFIG_UIDS_MAX]; /* may use write verbs, besides */
	size_t n_write_uids;             /* root and the daemon's own uid */
	uint32_t write_gids[CONFIG_UIDS_MAX];
	size_t n_write_gids;
	struct elector_timing timing;    /* lease/pause derived if unset */
	bool want_primary;               /* initial_role = "primary" */
	bool never_stand;
	uint64_t priority_lag_bytes;     /* priority counts this near the top */
	uint64_t max_lag_bytes;          /* 0: no lag limit */
	enum log_level log_level;
	uint64_t local_health_timeout_ms; /* 0: off (see server.health_ms) */
	uint64_t handoff_on_stop_ms;  /* SIGTERM of a primary: hand over; 0 off */
	char notify_exec[CONFIG_PATH_MAX + 1]; /* "" = no hook */
	uint64_t notify_timeout_ms;      /* a hook run is killed after */
	bool http_enabled;
	struct config_hostport http_listen;
	uint64_t max_epoch_jump;         /* 0: unlimited */
	bool peer_source_check;          /* refuse peers from non-member IPs */
	char auth_key_file[CONFIG_PATH_MAX + 1]; /* "" = no authentication */
	char pid_file[CONFIG_PATH_MAX + 1]; /* "" = none */
	struct config_server server;     /* the local server's adapter */
};

/* How a problem found in a config is told; warnings do not fail a load. */
typedef void config_report_fn(void *ctx, bool is_error, const char *msg);

/*
 * Load and validate path into out (fully filled in, defaults applied) and
 * report each problem through report. Returns the number of errors: 0
 * means out is valid; otherwise out must not be used.
 */
int config_load(const char *path, struct config *out,
    config_report_fn *report, void *ctx);
/*
 * The same into a config of its own (*out, to free; NULL on errors): the
 * daemon's, which never pays for the pages of members it does not have.
 */
int config_load_new(const char *path, struct config **out,
    config_report_fn *report, void *ctx);

/*
 * The same for a config held in memory (text, NUL-terminated): label
 * stands for the file name in messages ("label:line: key: problem") and
 * in out->path. "@include" is refused: there is no directory to resolve
 * it against, and a string must not read files.
 */
int config_load_string(const char *text, const char *label,
    struct config *out, config_report_fn *report, void *ctx);

/* Fill an elector_config (members, self, timings...) from a config. */
void config_to_elector(const struct config *, struct elector_member *members,
    struct elector_config *out);

/* "host:port" (IPv6 as "[addr]:port") -> hostport; 0 or -1. */
int config_parse_hostport(const char *s, struct config_hostport *out);

/* The same, with the reason for a -1 (a static sentence) in *why. */
int config_parse_hostport_why(const char *s, struct config_hostport *out,
    const char **why);

/*
 * The schema (daemon/config_schema.c): one row per key, in the order of
 * docs/reference/configuration.md. config_load walks it for unknown keys,
 * types, ranges, required keys and defaults; SIGHUP (reload.c) walks it to tell
 * live keys from restart-only ones; --dump-config (config_doc.c) renders the
 * key reference of docs/reference/configuration.md and kevy-electd.conf(5).
 */
enum config_kind {
	CONFIG_KIND_STRING = 1,
	CONFIG_KIND_BOOL,
	CONFIG_KIND_MS,       /* integer milliseconds, int or int64 */
	CONFIG_KIND_GROUP,    /* { ... } of keys of scope `opens` */
	CONFIG_KIND_LIST,     /* ( {...}, ... ) of groups of scope `opens` */
	CONFIG_KIND_INT,      /* integer (not a timing), int or int64 */
	CONFIG_KIND_IDS,      /* [ uid or gid, ... ], each 0..CONFIG_ID_MAX */
};

#define CONFIG_ID_MAX (UINT32_MAX - 1) /* (uid_t)-1 means "no change" */

/* Where a key sits; a row's scope follows from its path ("control."...). */
enum config_scope {
	CONFIG_SCOPE_TOP = 1,
	CONFIG_SCOPE_CONTROL, /* control { ... } */
	CONFIG_SCOPE_MEMBER,  /* one entry of members ( ... ) */
	CONFIG_SCOPE_SERVER,  /* server { ... } */
};

/* What SIGHUP does with a changed value. */
enum config_reload {
	CONFIG_RELOAD_LIVE = 1,   /* applied at once (the row's apply hook) */
	CONFIG_RELOAD_RESTART,    /* logged: takes effect after a restart */
	CONFIG_RELOAD_MEMBERSHIP, /* logged: every node must restart with it */
};

/* A value as read from the file or from a row's default text. */
struct config_value {
	const char *str;      /* CONFIG_KIND_STRING */
	uint64_t num;         /* CONFIG_KIND_MS, INT; entries for LIST */
	bool flag;            /* CONFIG_KIND_BOOL */
	uint32_t ids[CONFIG_UIDS_MAX]; /* CONFIG_KIND_IDS */
	size_t n_ids;
};

/*
 * Hooks, for the keys whose value is not a plain field of their kind.
 * member is the members index for CONFIG_SCOPE_MEMBER rows, else 0.
 *
 * check: a string's own rule (an absolute path, an id...); 0, or -1 with
 * a static sentence in *why. The string is then copied into the field.
 * set: parse and store a value that passed the generic checks (type,
 * range, length); 0, or -1 with a static sentence in *why and the config
 * left as it was.
 * same: whether a and b hold the same value of the key.
 * apply: make fresh's value current in cur and in the module that uses
 * it; describe the change ("info -> debug") in said.
 */
typedef int config_check_fn(const char *s, const char **why);
typedef int config_set_fn(struct config *c, size_t member,
    const struct config_value *v, const char **why);
typedef bool config_same_fn(const struct config *a, const struct config *b,
    size_t member);
typedef void config_apply_fn(struct config *cur, const struct config *fresh,
    char *said, size_t cap);

struct config_key {
	const char *path;     /* "node_id", "control.mode", "members.[].id" */
	enum config_kind kind;
	bool required;
	uint64_t min, max;    /* MS, INT: value; STRING: bytes; LIST, IDS: entries */
	const char *def;      /* default as written in a file; NULL: none */
	enum config_reload reload; /* 0 only for a GROUP: no value of its own */
	/*
	 * The field, in struct config (in struct config_member for members.[]
	 * rows): size 0 when the value is not one field (then set and same
	 * say how). Without set a STRING is a char[max + 1], MS and INT a
	 * uint64_t, BOOL a bool, LIST its entry count as a size_t; behind a
	 * set it is a scalar (mode_t, enum...) compared byte for byte.
	 */
	size_t off, size;
	config_check_fn *check; /* STRING without set: its own rule */
	config_set_fn *set;   /* NULL: store into the field by kind */
	config_same_fn *same; /* NULL: compare the field (a STRING: strcmp) */
	config_apply_fn *apply; /* exactly the LIVE rows */
	enum config_scope opens; /* GROUP and LIST: scope of the children */
	/* For the docs: `code` spans, ASCII, no '|' (a markdown table cell). */
	const char *help;     /* what the key does, in sentences */
	const char *form;     /* what a value looks like beyond min..max */
	const char *derived;  /* the default when def is NULL, if any */
	const char *section;  /* a heading opening at this row */
};

const struct config_key *config_keys(size_t *n);
enum config_scope config_key_scope(const struct config_key *);
/* The path without its scope's prefix: "mode" for "control.mode". */
const char *config_key_name(const struct config_key *);
const char *config_kind_name(enum config_kind);
/* Store v into c (see config_set_fn): check, set, or the plain field. */
int config_key_set(const struct config_key *, struct config *c,
    size_t member, const struct config_value *v, const char **why);
/* Whether a and b agree on the key, on every members entry for members.[]. */
bool config_key_same(const struct config_key *, const struct config *a,
    const struct config *b);

/*
 * --dump-config: the key reference as the marked part of
 * docs/reference/configuration.md ("md") or of kevy-electd.conf(5) ("man"),
 * from the schema. 0, or -1 for an unknown format (nothing written).
 */
int config_dump(FILE *f, const char *format);

#endif
