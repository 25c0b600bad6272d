/*
 * Notifications: the rule that keeps a failing task from sending a message
 * a minute, and the words of each message.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "duration.h"
#include "notify.h"
#include "xmalloc.h"

unsigned
notify_decide(unsigned on, int64_t every_ms, struct notify_state *st,
    enum run_status status, int will_retry, int64_t now_ms)
{
	unsigned ev = 0;

	switch (status) {
	case RUN_OK:
		if (st->failing) {
			ev = NOTIFY_RECOVERY;
		}
		st->failing = 0;
		st->told_ms = 0;
		if (!(on & ev)) {
			ev = NOTIFY_SUCCESS;
		}
		break;
	case RUN_SKIPPED:
		ev = NOTIFY_SKIPPED;
		break;
	case RUN_FAILED:
	case RUN_TIMEOUT:
	case RUN_START_FAILED:
	case RUN_OOM:
		if (will_retry) {
			ev = NOTIFY_RETRY;
			break;
		}
		st->failing = 1;
		if (!(on & NOTIFY_FAILURE)) {
			break;
		}
		if (st->told_ms != 0 && now_ms - st->told_ms < every_ms &&
		    now_ms >= st->told_ms) {
			break; /* told already, and not long ago */
		}
		st->told_ms = now_ms;
		ev = NOTIFY_FAILURE;
		break;
	default:
		/* Killed by a user or by twd, lost with twd: nobody's fault. */
		break;
	}
	return on & ev;
}

char *
notify_state_format(const struct notify_state *st)
{
	return xasprintf("%d,%" PRId64, st->failing, st->told_ms);
}

void
notify_state_parse(const char *s, struct notify_state *st)
{
	long long told = 0;
	int failing = 0;

	memset(st, 0, sizeof *st);
	if (s != NULL && sscanf(s, "%d,%lld", &failing, &told) == 2) {
		st->failing = failing != 0;
		st->told_ms = told;
	}
}

static char *
notify_host(void)
{
	char host[256];

	if (gethostname(host, sizeof host) == -1) {
		return xstrdup("localhost");
	}
	host[sizeof host - 1] = '\0';
	return xstrdup(host);
}

/* The headline, as a desktop notification or a mail's subject shows it. */
static char *
notify_summary(unsigned event, const char *task, const struct run_record *r)
{
	char what[64];

	run_describe(r, what, sizeof what);
	switch (event) {
	case NOTIFY_FAILURE:
		return xasprintf("%s failed: %s", task, what);
	case NOTIFY_RETRY:
		return xasprintf(
		    "%s failed (%s); it will be tried again", task, what);
	case NOTIFY_RECOVERY:
		return xasprintf("%s recovered: it succeeded again", task);
	case NOTIFY_SUCCESS:
		return xasprintf("%s succeeded", task);
	default:
		return xasprintf("%s did not run", task);
	}
}

json_t *
notify_event_json(unsigned event, const char *task, const struct run_record *r,
    const json_t *output)
{
	json_t *o = json_object(), *v;
	char what[64], dur[32], *summary, *body, *lines, *tmp, *host;
	size_t i;

	summary = notify_summary(event, task, r);
	run_describe(r, what, sizeof what);
	if (r->status == RUN_SKIPPED) {
		body = xasprintf("A run of %s did not run: %s.", task,
		    r->reason != NULL ? r->reason : "skipped");
	} else {
		body = xasprintf("Run %" PRId64 " of %s (%s, attempt %d) "
		                 "ended %s after %s%s%s.",
		    r->id, task, run_trigger_name(r->trigger), r->attempt, what,
		    duration_format_ms(r->duration_ms > 0 ? r->duration_ms : 0,
		        dur, sizeof dur),
		    r->reason != NULL ? ": " : "",
		    r->reason != NULL ? r->reason : "");
	}
	if (json_array_size(output) > 0) {
		lines = xstrdup("");
		json_array_foreach(output, i, v)
		{
			tmp = xasprintf("%s%s%s", lines, i > 0 ? "\n" : "",
			    json_string_value(v));
			free(lines);
			lines = tmp;
		}
		tmp = xasprintf(
		    "%s\n\nIts last lines of output:\n%s", body, lines);
		free(body);
		free(lines);
		body = tmp;
	}
	if (r->id != 0 && r->status != RUN_SKIPPED) {
		tmp = xasprintf(
		    "%s\n\nThe whole log: twctl logs %s --run %" PRId64, body,
		    task, r->id);
		free(body);
		body = tmp;
	}
	host = notify_host();
	json_object_set_new(
	    o, "event", json_string(config_notify_event_name(event)));
	json_object_set_new(o, "task", json_string(task));
	json_object_set_new(o, "run", run_record_json(r));
	json_object_set_new(o, "summary", json_string(summary));
	json_object_set_new(o, "body", json_string(body));
	json_object_set_new(o, "output",
	    output != NULL ? json_deep_copy(output) : json_array());
	json_object_set_new(o, "log_command",
	    r->id != 0
	        ? json_sprintf("twctl logs %s --run %" PRId64, task, r->id)
	        : json_null());
	json_object_set_new(o, "host", json_string(host));
	free(host);
	free(summary);
	free(body);
	return o;
}

json_t *
notify_config_error_json(const char *file, const json_t *errors)
{
	json_t *o = json_object(), *v;
	char *body = xasprintf("%s could not be loaded again; the schedule "
	                       "runs on as it was.\n",
	         file),
	     *tmp, *host = notify_host();
	size_t i;

	json_array_foreach(errors, i, v)
	{
		tmp = xasprintf("%s\n%s", body, json_string_value(v));
		free(body);
		body = tmp;
	}
	json_object_set_new(o, "event", json_string("config_error"));
	json_object_set_new(o, "task", json_null());
	json_object_set_new(o, "run", json_null());
	json_object_set_new(
	    o, "summary", json_string("TaskWeaver: the tasks file has errors"));
	json_object_set_new(o, "body", json_string(body));
	json_object_set_new(o, "output", json_deep_copy(errors));
	json_object_set_new(o, "log_command", json_null());
	json_object_set_new(o, "host", json_string(host));
	free(body);
	free(host);
	return o;
}

json_t *
notify_state_error_json(const char *dir, const char *why)
{
	json_t *o = json_object();
	char *host = notify_host();

	json_object_set_new(o, "event", json_string("state_error"));
	json_object_set_new(o, "task", json_null());
	json_object_set_new(o, "run", json_null());
	json_object_set_new(o, "summary",
	    json_string("TaskWeaver: the run history cannot be written"));
	json_object_set_new(o, "body",
	    json_sprintf("twd cannot write its history in %s: %s.\nNo job "
	                 "starts until it can; fires are kept in memory and "
	                 "run once it can write again (it keeps trying).",
	        dir, why));
	json_object_set_new(o, "output", json_array());
	json_object_set_new(o, "log_command", json_null());
	json_object_set_new(o, "host", json_string(host));
	free(host);
	return o;
}

json_t *
notify_test_json(const char *notifier)
{
	json_t *o = json_object();
	char *host = notify_host();

	json_object_set_new(o, "event", json_string("test"));
	json_object_set_new(o, "task", json_null());
	json_object_set_new(o, "run", json_null());
	json_object_set_new(o, "summary", json_string("TaskWeaver test"));
	json_object_set_new(o, "body",
	    json_sprintf("A test message through notifier '%s' on %s: it "
	                 "works.",
	        notifier, host));
	json_object_set_new(o, "output", json_array());
	json_object_set_new(o, "log_command", json_null());
	json_object_set_new(o, "host", json_string(host));
	free(host);
	return o;
}
