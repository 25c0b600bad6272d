/*
 * Subscriptions: events POSTed to URLs as they happen. Those of the tasks
 * file come with the config (config-observe.c); those made at run time
 * (the web API's) are kept in the history as remembered values,
 * "subscription:NAME" holding the spec as JSON (an empty value: deleted),
 * and outlive a restart. Each has a webhook notifier of its own, through
 * which twd-deliver posts the event.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "history.h"
#include "log.h"
#include "notifiers.h"
#include "proto.h"
#include "run.h"
#include "subscriptions.h"
#include "tasks.h"
#include "timefmt.h"
#include "twd.h"
#include "xmalloc.h"

#define SUBS_KEY        "subscription:"
#define SUBS_MAX        1000
#define SUBS_TIMEOUT_MS 30000

struct subscriptions {
	struct subscription_def *v; /* notifier: an index in nd */
	struct notifier_def *nd;
	json_t **spec; /* as given */
	size_t n;
};

static void
subs_clear(struct subscriptions *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].task);
		free(s->v[i].status);
		free(s->nd[i].name);
		free(s->nd[i].url);
		free(s->nd[i].secret);
		json_decref(s->spec[i]);
	}
	free(s->v);
	free(s->nd);
	free(s->spec);
	memset(s, 0, sizeof *s);
}

/* spec checked into sd and nd: 0, or -1 with *cause. */
static int
subs_parse(const char *name, json_t *spec, struct subscription_def *sd,
    struct notifier_def *nd, char **cause)
{
	json_t *events = json_object_get(spec, "events"), *e, *v;
	const char *url = json_string_value(json_object_get(spec, "url"));
	const char *task = json_string_value(json_object_get(spec, "task"));
	const char *status = json_string_value(json_object_get(spec, "status"));
	const char *secret = json_string_value(json_object_get(spec, "secret"));
	enum run_status st;
	size_t i;

	memset(sd, 0, sizeof *sd);
	memset(nd, 0, sizeof *nd);
	if (!config_task_name_valid(name)) {
		*cause = xasprintf("name: '%s' is not a name: letters, digits, "
		                   "'-', '_' or '.'",
		    name);
		return -1;
	}
	if (json_is_string(events)) {
		events = json_pack("[O]", events);
	} else {
		json_incref(events);
	}
	json_array_foreach(events, i, e)
	{
		if (!json_is_string(e) ||
		    proto_event_match(json_string_value(e), &sd->events) == 0) {
			*cause = xasprintf("events: '%s' names no event "
			                   "(run.finished, run.*, ...)",
			    json_is_string(e) ? json_string_value(e) : "?");
			json_decref(events);
			return -1;
		}
	}
	json_decref(events);
	if (sd->events == 0) {
		*cause = xstrdup("events: a pattern or a list of them is "
		                 "needed (run.finished, run.*, ...)");
		return -1;
	}
	if (url == NULL ||
	    (strncmp(url, "http://", 7) != 0 &&
	        strncmp(url, "https://", 8) != 0)) {
		*cause =
		    xasprintf("url: '%s' is not an http:// or https:// URL",
		        url != NULL ? url : "");
		return -1;
	}
	if (status != NULL && run_status_parse(status, &st) == -1) {
		*cause = xasprintf("status: '%s' is not a run status", status);
		return -1;
	}
	nd->timeout_ms = SUBS_TIMEOUT_MS;
	if ((v = json_object_get(spec, "timeout")) != NULL) {
		if (!json_is_number(v) || json_number_value(v) < 1 ||
		    json_number_value(v) > 3600) {
			*cause = xstrdup("timeout: seconds, from 1 to 3600");
			return -1;
		}
		nd->timeout_ms = (int64_t)(json_number_value(v) * 1000);
	}
	sd->name = xstrdup(name);
	sd->task = task != NULL ? xstrdup(task) : NULL;
	sd->status = status != NULL ? xstrdup(status) : NULL;
	nd->name = xasprintf("subscription:%s", name);
	nd->type = NOTIFIER_WEBHOOK;
	nd->raw = 1;
	nd->url = xstrdup(url);
	nd->secret = secret != NULL ? xstrdup(secret) : NULL;
	return 0;
}

static void
subs_add_parsed(struct subscriptions *s, const char *name, json_t *spec)
{
	struct subscription_def sd;
	struct notifier_def nd;
	char *cause = NULL;

	if (subs_parse(name, spec, &sd, &nd, &cause) == -1) {
		log_warn(
		    "subscription '%s' is kept but not used: %s", name, cause);
		free(cause);
		return;
	}
	s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
	s->nd = xreallocarray(s->nd, s->n + 1, sizeof *s->nd);
	s->spec = xreallocarray(s->spec, s->n + 1, sizeof *s->spec);
	sd.notifier = (int)s->n;
	s->v[s->n] = sd;
	s->nd[s->n] = nd;
	s->spec[s->n] = json_incref(spec);
	s->n++;
}

static void
subs_load_one(const char *key, const char *value, void *arg)
{
	json_t *spec;

	if (value == NULL || *value == '\0') {
		return; /* deleted */
	}
	if ((spec = json_loads(value, 0, NULL)) != NULL) {
		subs_add_parsed(arg, key + strlen(SUBS_KEY), spec);
	}
	json_decref(spec);
}

/* Read them again from the history, and tell the notifiers. */
static void
subs_reload(struct twd *twd)
{
	struct subscriptions *s = twd->subscriptions;
	char *cause = NULL;

	notifiers_set_extra(twd->notifiers, NULL, 0);
	subs_clear(s);
	if (history_state_each(
	        twd->history, SUBS_KEY, subs_load_one, s, &cause) == -1) {
		log_warn("subscriptions: %s", cause);
		free(cause);
	}
	notifiers_set_extra(twd->notifiers, s->nd, s->n);
}

struct subscriptions *
subscriptions_create(struct twd *twd)
{
	twd->subscriptions = xcalloc(1, sizeof *twd->subscriptions);
	subs_reload(twd);
	return twd->subscriptions;
}

void
subscriptions_free(struct twd *twd)
{
	if (twd->subscriptions == NULL) {
		return;
	}
	notifiers_set_extra(twd->notifiers, NULL, 0);
	subs_clear(twd->subscriptions);
	free(twd->subscriptions);
	twd->subscriptions = NULL;
}

/* The one called name of the tasks file: 1, or 0. */
static int
subs_in_file(struct twd *twd, const char *name)
{
	const struct config *c = tasks_config(twd->tasks);
	size_t i;

	for (i = 0; c != NULL && i < c->nsubscriptions; i++) {
		if (strcmp(c->subscriptions[i].name, name) == 0) {
			return 1;
		}
	}
	return 0;
}

int
subscriptions_add(struct twd *twd, json_t *spec, char **cause)
{
	const char *name = json_string_value(json_object_get(spec, "name"));
	struct subscription_def sd;
	struct notifier_def nd;
	json_t *kept;
	char *key, *text;

	if (name == NULL) {
		*cause = xstrdup("name: a subscription needs one");
		return -1;
	}
	if (subs_in_file(twd, name)) {
		*cause = xasprintf("name: '%s' is a subscription of the tasks "
		                   "file; change it there",
		    name);
		return -1;
	}
	if (twd->subscriptions->n >= SUBS_MAX) {
		*cause = xasprintf("%d subscriptions are the most", SUBS_MAX);
		return -1;
	}
	if (subs_parse(name, spec, &sd, &nd, cause) == -1) {
		return -1;
	}
	free(sd.name);
	free(sd.task);
	free(sd.status);
	free(nd.name);
	free(nd.url);
	free(nd.secret);
	kept = json_deep_copy(spec);
	json_object_del(kept, "name");
	text = json_dumps(kept, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(kept);
	key = xasprintf(SUBS_KEY "%s", name);
	history_put_state(twd->history, key, text);
	free(key);
	free(text);
	subs_reload(twd);
	return 0;
}

int
subscriptions_delete(struct twd *twd, const char *name)
{
	struct subscriptions *s = twd->subscriptions;
	char *key;
	size_t i;

	for (i = 0; i < s->n && strcmp(s->v[i].name, name) != 0; i++) {
	}
	if (i == s->n) {
		return 0;
	}
	key = xasprintf(SUBS_KEY "%s", name);
	history_put_state(twd->history, key, "");
	free(key);
	subs_reload(twd);
	return 1;
}

json_t *
subscriptions_json(struct twd *twd)
{
	const struct config *c = tasks_config(twd->tasks);
	struct subscriptions *s = twd->subscriptions;
	json_t *out = json_array(), *o;
	size_t i;

	for (i = 0; c != NULL && i < c->nsubscriptions; i++) {
		o = json_pack("{s:s, s:s, s:s, s:b}", "name",
		    c->subscriptions[i].name, "from", "file", "url",
		    c->notifiers[c->subscriptions[i].notifier].url, "signed",
		    c->notifiers[c->subscriptions[i].notifier].secret != NULL);
		json_array_append_new(out, o);
	}
	for (i = 0; i < s->n; i++) {
		o = json_deep_copy(s->spec[i]);
		json_object_del(o, "secret"); /* not given back */
		json_object_set_new(o, "name", json_string(s->v[i].name));
		json_object_set_new(o, "from", json_string("api"));
		json_object_set_new(o, "signed", json_boolean(s->nd[i].secret));
		json_array_append_new(out, o);
	}
	return out;
}

/*
 * Whether sd wants ev of task: never a job's output line (a delivery
 * each) nor a delivery's result (one delivery would make the next).
 */
static int
subs_wants(
    const struct subscription_def *sd, enum proto_event ev, const char *task)
{
	return ev != PROTO_EV_RUN_OUTPUT && ev != PROTO_EV_NOTIFY_RESULT &&
	    (sd->events & (1u << ev)) &&
	    (sd->task == NULL || (task != NULL && strcmp(sd->task, task) == 0));
}

int
subscriptions_want(struct twd *twd, enum proto_event ev, const char *task)
{
	const struct config *c =
	    twd->tasks != NULL ? tasks_config(twd->tasks) : NULL;
	size_t i;

	for (i = 0; c != NULL && i < c->nsubscriptions; i++) {
		if (subs_wants(&c->subscriptions[i], ev, task)) {
			return 1;
		}
	}
	for (i = 0; twd->subscriptions != NULL && i < twd->subscriptions->n;
	     i++) {
		if (subs_wants(&twd->subscriptions->v[i], ev, task)) {
			return 1;
		}
	}
	return 0;
}

/* Post to sd (through nd) event ev of data, when its filters want it. */
static void
subs_post(struct twd *twd, const struct subscription_def *sd,
    const struct notifier_def *nd, enum proto_event ev, const char *task,
    json_t *data)
{
	const char *status = json_string_value(json_object_get(data, "status"));
	char ts[40];

	if (!subs_wants(sd, ev, task) ||
	    (sd->status != NULL &&
	        (status == NULL || strcmp(sd->status, status) != 0))) {
		return;
	}
	notifiers_deliver(twd->notifiers, nd,
	    json_pack("{s:s, s:s, s:O, s:s}", "event", proto_event_name(ev),
	        "ts", timefmt_iso(tw_now(&twd->clock), ts, sizeof ts), "data",
	        data, "subscription", sd->name));
}

void
subscriptions_post(
    struct twd *twd, enum proto_event ev, const char *task, json_t *data)
{
	const struct config *c =
	    twd->tasks != NULL ? tasks_config(twd->tasks) : NULL;
	struct subscriptions *s = twd->subscriptions;
	size_t i;

	for (i = 0; c != NULL && i < c->nsubscriptions; i++) {
		subs_post(twd, &c->subscriptions[i],
		    &c->notifiers[c->subscriptions[i].notifier], ev, task,
		    data);
	}
	for (i = 0; s != NULL && i < s->n; i++) {
		subs_post(twd, &s->v[i], &s->nd[i], ev, task, data);
	}
}
