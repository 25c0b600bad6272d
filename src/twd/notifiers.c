/*
 * Deliveries of notifications, as jobs of the executor: a notifier that
 * hangs is stopped at its timeout like any job, and its last words on
 * stderr become the error twctl status shows.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "context.h"
#include "duration.h"
#include "job.h"
#include "log.h"
#include "notifiers.h"
#include "notify.h"
#include "timefmt.h"
#include "xmalloc.h"

/* SIGTERM to SIGKILL for a delivery past its timeout. */
#define DELIVERY_KILL_GRACE_MS 2000

/* What became of a notifier's deliveries, kept by its name. */
struct notifier_status {
	char *name;
	int64_t sent, failed;
	char *last_error; /* of the newest failure, NULL after a success */
	int64_t last_ms;  /* when the newest delivery ended */
	int warned;       /* its failing was logged; again after a success */
};

struct notifiers {
	const struct config *config;      /* the running one's notifiers */
	const struct notifier_def *extra; /* and those of run time's */
	size_t nextra;
	struct job_list *jobs;
	struct tw_clock clock;
	struct tw_events events;
	char *home;    /* where deliveries start */
	char *self;    /* twd-deliver, beside twd */
	char *log_dir; /* STATE/notify: the newest delivery's output */
	struct notifier_status *v;
	size_t n;
	int64_t next_id;
	TAILQ_HEAD(, delivery) inflight; /* freed with these if not done */
};

/* One delivery in flight. */
struct delivery {
	struct notifiers *ns;
	char *notifier;
	int64_t id;
	int64_t timeout_ms;
	char *said; /* its newest line of output */
	TAILQ_ENTRY(delivery) entry;
};

struct notifiers *
notifiers_create(struct job_list *jobs, const struct tw_clock *clock,
    const struct tw_events *events, const char *state_dir, const char *home)
{
	struct notifiers *ns = xcalloc(1, sizeof *ns);
	char self[PATH_MAX], *slash;
	ssize_t n;

	ns->jobs = jobs;
	ns->clock = *clock;
	ns->events = *events;
	ns->home = xstrdup(home);
	TAILQ_INIT(&ns->inflight);
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	/* twd-deliver is installed beside twd; else it is looked up in PATH. */
	if (n > 0 && (slash = strrchr(self, '/')) != NULL) {
		ns->self =
		    xasprintf("%.*s/twd-deliver", (int)(slash - self), self);
	} else {
		ns->self = xstrdup("twd-deliver");
	}
	ns->log_dir = xasprintf("%s/notify", state_dir);
	if (mkdir(ns->log_dir, 0700) == -1 && errno != EEXIST) {
		log_warn("cannot create %s: %s", ns->log_dir, strerror(errno));
	}
	return ns;
}

static void
delivery_free(struct notifiers *ns, struct delivery *d)
{
	TAILQ_REMOVE(&ns->inflight, d, entry);
	free(d->notifier);
	free(d->said);
	free(d);
}

void
notifiers_free(struct notifiers *ns)
{
	struct delivery *d;
	size_t i;

	if (ns == NULL) {
		return;
	}
	/* Their processes go on alone and deliver; only the records go. */
	while ((d = TAILQ_FIRST(&ns->inflight)) != NULL) {
		delivery_free(ns, d);
	}
	for (i = 0; i < ns->n; i++) {
		free(ns->v[i].name);
		free(ns->v[i].last_error);
	}
	free(ns->v);
	free(ns->self);
	free(ns->log_dir);
	free(ns->home);
	free(ns);
}

void
notifiers_configure(struct notifiers *ns, const struct config *config)
{
	ns->config = config;
}

static struct notifier_status *
notifier_status(struct notifiers *ns, const char *name)
{
	size_t i;

	for (i = 0; i < ns->n; i++) {
		if (strcmp(ns->v[i].name, name) == 0) {
			return &ns->v[i];
		}
	}
	ns->v = xreallocarray(ns->v, ns->n + 1, sizeof *ns->v);
	memset(&ns->v[ns->n], 0, sizeof *ns->v);
	ns->v[ns->n].name = xstrdup(name);
	return &ns->v[ns->n++];
}

static void
delivery_said(const struct logfmt_record *rec, uint64_t seq, void *arg)
{
	struct delivery *d = arg;

	(void)seq;
	if (rec->len > 0) {
		free(d->said);
		d->said = xstrndup(rec->text, rec->len);
	}
}

static void
delivery_done(struct job *job, const struct job_result *res, void *arg)
{
	struct delivery *d = arg;
	struct notifiers *ns = d->ns;
	struct notifier_status *st = notifier_status(ns, d->notifier);
	char dur[32], *error = NULL;
	json_t *ev;

	job_tail(job, delivery_said, d);
	if (res->timed_out) {
		error = xasprintf("no answer within its timeout of %s",
		    duration_format_ms(d->timeout_ms, dur, sizeof dur));
	} else if (res->how != JOB_END_EXITED || res->exit_code != 0) {
		error = xstrdup(d->said != NULL ? d->said : "delivery failed");
	}
	st->last_ms = tw_now(&ns->clock);
	free(st->last_error);
	st->last_error = error;
	if (error == NULL) {
		st->sent++;
		if (st->warned) {
			log_info("notifier '%s' works again", d->notifier);
		}
		st->warned = 0;
	} else {
		st->failed++;
		/* Once, not for every message that does not get through. */
		if (!st->warned || d->id != 0) {
			log_warn("notifier '%s': %s", d->notifier, error);
		}
		st->warned = 1;
	}
	if (tw_wants(&ns->events, PROTO_EV_NOTIFY_RESULT, NULL, 0)) {
		ev = json_pack("{s:I, s:s, s:b, s:s?}", "id", (json_int_t)d->id,
		    "notifier", d->notifier, "ok", error == NULL, "error",
		    error);
		tw_publish(&ns->events, PROTO_EV_NOTIFY_RESULT, NULL, 0, 0, ev);
	}
	delivery_free(ns, d);
}

/* The notifier as the delivering process is given it (TW_NOTIFIER). */
static json_t *
notifier_json(const struct notifier_def *n)
{
	json_t *o = json_object(), *prog;
	size_t i;

	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(
	    o, "type", json_string(config_notifier_type_name(n->type)));
	if (n->to != NULL) {
		json_object_set_new(o, "to", json_string(n->to));
	}
	if (n->from != NULL) {
		json_object_set_new(o, "from", json_string(n->from));
	}
	if (n->url != NULL) {
		json_object_set_new(o, "url", json_string(n->url));
		json_object_set_new(o, "format",
		    json_string(n->raw ? "event"
		            : n->slack ? "slack"
		                       : "generic"));
		if (n->secret != NULL) {
			json_object_set_new(
			    o, "secret", json_string(n->secret));
		}
	}
	if (n->program != NULL) {
		prog = json_array();
		for (i = 0; n->program[i] != NULL; i++) {
			json_array_append_new(prog, json_string(n->program[i]));
		}
		json_object_set_new(o, "program", prog);
	}
	json_object_set_new(
	    o, "timeout", json_real((double)n->timeout_ms / 1000));
	if (n->plugin != NULL) {
		json_object_set_new(o, "plugin", json_string(n->plugin));
		json_object_set_new(
		    o, "params", json_loads(n->params, 0, NULL));
	}
	return o;
}

/* Start one delivery of event through nd; id 0 unless it is a test. */
static void
delivery_start(struct notifiers *ns, const struct notifier_def *nd,
    const json_t *event, int64_t id)
{
	const char *argv[] = { ns->self, NULL }, *env[3];
	json_t *nj = notifier_json(nd);
	char *nenv, *eenv, *s, *log_path, *why = NULL;
	struct job_spec spec;
	struct delivery *d;

	s = json_dumps(nj, JSON_COMPACT);
	nenv = xasprintf("TW_NOTIFIER=%s", s);
	free(s);
	json_decref(nj);
	s = json_dumps(event, JSON_COMPACT | JSON_REAL_PRECISION(9));
	eenv = xasprintf("TW_EVENT=%s", s);
	free(s);
	env[0] = nenv;
	env[1] = eenv;
	env[2] = NULL;
	log_path = xasprintf("%s/%s.log", ns->log_dir, nd->name);

	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.cwd = ns->home;
	spec.log_path = log_path;
	spec.env = env;
	spec.umask = -1;
	spec.timeout_ms = nd->timeout_ms;
	spec.kill_grace_ms = DELIVERY_KILL_GRACE_MS;
	spec.max_output = 64 * 1024;

	d = xcalloc(1, sizeof *d);
	d->ns = ns;
	d->notifier = xstrdup(nd->name);
	d->id = id;
	d->timeout_ms = nd->timeout_ms;
	TAILQ_INSERT_TAIL(&ns->inflight, d, entry);
	if (job_start(ns->jobs, &spec, delivery_done, NULL, d, &why) == NULL) {
		log_warn("notifier '%s': cannot start a delivery: %s", nd->name,
		    why);
		free(why);
		delivery_free(ns, d);
	}
	free(log_path);
	free(nenv);
	free(eenv);
}

void
notifiers_set_extra(
    struct notifiers *ns, const struct notifier_def *extra, size_t n)
{
	ns->extra = extra;
	ns->nextra = n;
}

void
notifiers_deliver(
    struct notifiers *ns, const struct notifier_def *nd, json_t *event)
{
	delivery_start(ns, nd, event, 0);
	json_decref(event);
}

void
notifiers_send(struct notifiers *ns, const int *via, size_t nvia, json_t *event)
{
	const struct config *c = ns->config;
	size_t i;

	for (i = 0; c != NULL && i < nvia; i++) {
		if (via[i] >= 0 && (size_t)via[i] < c->nnotifiers) {
			delivery_start(ns, &c->notifiers[via[i]], event, 0);
		}
	}
	json_decref(event);
}

json_t *
notifiers_test(struct notifiers *ns, const char *name, char **cause)
{
	const struct config *c = ns->config;
	json_t *out = json_array(), *ev;
	size_t i;

	for (i = 0; c != NULL && i < c->nnotifiers; i++) {
		if (name != NULL && strcmp(c->notifiers[i].name, name) != 0) {
			continue;
		}
		ev = notify_test_json(c->notifiers[i].name);
		delivery_start(ns, &c->notifiers[i], ev, ++ns->next_id);
		json_decref(ev);
		json_array_append_new(out,
		    json_pack("{s:s, s:I}", "notifier", c->notifiers[i].name,
		        "id", (json_int_t)ns->next_id));
	}
	if (json_array_size(out) == 0) {
		json_decref(out);
		*cause = name != NULL
		    ? xasprintf("no notifier named '%s'", name)
		    : xstrdup("the tasks file has no notifiers");
		return NULL;
	}
	return out;
}

json_t *
notifiers_status(const struct notifiers *ns)
{
	const struct config *c = ns->config;
	const struct notifier_status *st;
	const struct notifier_def *nd;
	json_t *out = json_array();
	char when[TIMEFMT_ISO_LEN];
	size_t i, j;

	for (i = 0; i < (c != NULL ? c->nnotifiers : 0) + ns->nextra; i++) {
		nd = c != NULL && i < c->nnotifiers
		    ? &c->notifiers[i]
		    : &ns->extra[i - (c != NULL ? c->nnotifiers : 0)];
		st = NULL;
		for (j = 0; j < ns->n; j++) {
			if (strcmp(ns->v[j].name, nd->name) == 0) {
				st = &ns->v[j];
			}
		}
		json_array_append_new(out,
		    json_pack("{s:s, s:s, s:I, s:I, s:s?, s:s?}", "name",
		        nd->name, "type", config_notifier_type_name(nd->type),
		        "sent", (json_int_t)(st != NULL ? st->sent : 0),
		        "failed", (json_int_t)(st != NULL ? st->failed : 0),
		        "last_error", st != NULL ? st->last_error : NULL,
		        "last_at",
		        st != NULL && st->last_ms != 0
		            ? timefmt_iso(st->last_ms, when, sizeof when)
		            : NULL));
	}
	return out;
}
