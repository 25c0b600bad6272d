/*
 * The twd protocol: newline-delimited JSON over a Unix stream socket. Holds
 * the version, the size cap, the error codes, and encoding of each message.
 */
#ifndef TW_PROTO_H
#define TW_PROTO_H

#include <jansson.h>
#include <stddef.h>

#define PROTO_VERSION 1
/* Largest request twd accepts, newline included. */
#define PROTO_MAX_REQUEST (1024 * 1024)
/*
 * Largest reply or event twd sends, newline included: the list of 100,000
 * tasks is some 35 MB.
 */
#define PROTO_MAX_REPLY (256 * 1024 * 1024)

/* Error codes carried in {"error": {"code": ...}}; see taskweaver-ipc(7). */
#define PROTO_E_BAD_REQUEST     "bad_request"
#define PROTO_E_TOO_LARGE       "too_large"
#define PROTO_E_UNKNOWN_COMMAND "unknown_command"
#define PROTO_E_PROTO_MISMATCH  "protocol_mismatch"
#define PROTO_E_NOT_FOUND       "not_found"
#define PROTO_E_SHUTTING_DOWN   "shutting_down"
#define PROTO_E_FAILED          "failed"
#define PROTO_E_TOO_SLOW        "too_slow"
#define PROTO_E_BUSY            "busy"      /* no descriptor for a client */
#define PROTO_E_FORBIDDEN       "forbidden" /* another user's connection */

struct proto_request {
	json_t *root;    /* owned */
	json_t *id;      /* borrowed from root; JSON null when absent */
	const char *cmd; /* borrowed from root */
	json_t *args;    /* borrowed from root; an empty object when absent */
};

/*
 * Decode one line (without its newline). Returns 0, or -1 with *code set to
 * a static error code and *cause to a heap message (caller frees); the
 * request's id is kept when it could be read, so the error can echo it.
 */
int proto_request_decode(struct proto_request *, const char *line, size_t len,
    const char **code, char **cause);
void proto_request_release(struct proto_request *);

/* Build messages; each takes ownership of data and borrows id. */
json_t *proto_request_new(json_int_t id, const char *cmd, json_t *args);
json_t *proto_reply_ok(json_t *id, json_t *data);
json_t *proto_reply_error(json_t *id, const char *code, const char *message);

/* One compact line ending in '\n'; caller frees; NULL if over max bytes. */
char *proto_encode(const json_t *msg, size_t max, size_t *len);

struct proto_reply {
	json_t *root; /* owned */
	int ok;
	json_t *data;        /* borrowed; JSON null when absent */
	const char *code;    /* borrowed; set when !ok */
	const char *message; /* borrowed; set when !ok */
};

/* Decode a reply line. Returns 0, or -1 with *cause (caller frees). */
int proto_reply_decode(
    struct proto_reply *, const char *line, size_t len, char **cause);
void proto_reply_release(struct proto_reply *);

/*
 * How reals are written, by the daemon and by twctl alike: 15 significant
 * digits, so a duration of 6.013 s reads 6.013, not 6.0129999999999999.
 */
#define PROTO_REALS JSON_REAL_PRECISION(15)

/*
 * Events a subscriber can ask for ("subscribe"), pushed as
 * {"event": NAME, "ts": ..., "data": {...}}; see taskweaver-ipc(7).
 */
enum proto_event {
	PROTO_EV_RUN_STARTED,
	PROTO_EV_RUN_FINISHED,
	PROTO_EV_RUN_OUTPUT,
	PROTO_EV_NOTIFY_RESULT,
	PROTO_EV_RUN_QUEUED,
	PROTO_EV_RUN_SKIPPED,
	PROTO_EV_TASK_CHANGED,
	PROTO_EV_CONFIG_RELOADED,
	PROTO_EV_CONFIG_ERROR,
	PROTO_EV_DAEMON_STOPPING,
	PROTO_EV_STATE_ERROR, /* the history cannot be written */
	PROTO_EV_STATE_OK,    /* ... and now it can again */
	PROTO_EV_COUNT,
};
/* A set of events, one bit per enum proto_event. */
typedef unsigned int proto_event_set;

const char *proto_event_name(enum proto_event);
/*
 * Add the events pattern names ("run.finished", "run.*", "*") to *set.
 * Returns how many it matched; 0 means none, which is an error to report.
 */
int proto_event_match(const char *pattern, proto_event_set *set);

/*
 * A JSON string of len bytes of s that may not be UTF-8 (a job's output):
 * each byte that is not part of a valid sequence becomes U+FFFD.
 */
json_t *proto_string_lossy(const char *s, size_t len);

/*
 * A run's result in words for people: "ok", "exit 3", "SIGKILL", "killed
 * (SIGTERM)", "start failed" ... from its protocol fields; signame may be
 * NULL. Returns buf.
 */
char *proto_result_text(const char *status, int exit_code, const char *signame,
    char *buf, size_t len);

#endif
