/*
 * Run records: names for statuses and triggers, and their JSON form, kept in
 * one place so the database, the protocol and the man pages agree.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto.h"
#include "run.h"
#include "timefmt.h"
#include "xmalloc.h"

static const char *run_status_names[] = {
	[RUN_RUNNING] = "running",
	[RUN_OK] = "ok",
	[RUN_FAILED] = "failed",
	[RUN_KILLED] = "killed",
	[RUN_START_FAILED] = "start_failed",
	[RUN_LOST] = "lost",
	[RUN_TIMEOUT] = "timeout",
	[RUN_QUEUED] = "queued",
	[RUN_SKIPPED] = "skipped",
	[RUN_OOM] = "oom",
};

static const char *run_trigger_names[] = {
	[RUN_TRIGGER_SCHEDULE] = "schedule",
	[RUN_TRIGGER_MANUAL] = "manual",
	[RUN_TRIGGER_BOOT] = "boot",
	[RUN_TRIGGER_RETRY] = "retry",
	[RUN_TRIGGER_DEPENDENCY] = "dependency",
	[RUN_TRIGGER_CATCH_UP] = "catch-up",
	[RUN_TRIGGER_SUBMIT] = "submit",
	[RUN_TRIGGER_GIT] = "git",
	[RUN_TRIGGER_PATH] = "path",
};

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static int
run_name_index(const char **names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

const char *
run_status_name(enum run_status s)
{
	return (size_t)s < NITEMS(run_status_names) ? run_status_names[s]
	                                            : "unknown";
}

int
run_status_parse(const char *name, enum run_status *s)
{
	int i =
	    run_name_index(run_status_names, NITEMS(run_status_names), name);

	if (i == -1) {
		return -1;
	}
	*s = (enum run_status)i;
	return 0;
}

const char *
run_trigger_name(enum run_trigger t)
{
	return (size_t)t < NITEMS(run_trigger_names) ? run_trigger_names[t]
	                                             : "unknown";
}

int
run_trigger_parse(const char *name, enum run_trigger *t)
{
	int i =
	    run_name_index(run_trigger_names, NITEMS(run_trigger_names), name);

	if (i == -1) {
		return -1;
	}
	*t = (enum run_trigger)i;
	return 0;
}

void
run_record_copy(struct run_record *dst, const struct run_record *src)
{
	*dst = *src;
	dst->task = src->task != NULL ? xstrdup(src->task) : NULL;
	dst->log_path = src->log_path != NULL ? xstrdup(src->log_path) : NULL;
	dst->reason = src->reason != NULL ? xstrdup(src->reason) : NULL;
	dst->spec = src->spec != NULL ? xstrdup(src->spec) : NULL;
	dst->env = src->env != NULL ? xstrdup(src->env) : NULL;
	dst->summary = src->summary != NULL ? xstrdup(src->summary) : NULL;
	dst->change = src->change != NULL ? xstrdup(src->change) : NULL;
}

void
run_record_release(struct run_record *r)
{
	if (r == NULL) {
		return;
	}
	free(r->task);
	free(r->log_path);
	free(r->reason);
	free(r->spec);
	free(r->env);
	free(r->summary);
	free(r->change);
	memset(r, 0, sizeof *r);
}

static json_t *
run_time_json(int64_t ms)
{
	char buf[TIMEFMT_ISO_LEN];

	if (ms == 0) {
		return json_null();
	}
	return json_string(timefmt_iso(ms, buf, sizeof buf));
}

char *
run_signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev != NULL) {
		snprintf(buf, len, "SIG%s", abbrev);
	} else {
		snprintf(buf, len, "signal %d", sig);
	}
	return buf;
}

int
run_signal_parse(const char *name)
{
	const char *abbrev;
	char *end;
	long n;
	int sig;

	if (name[0] >= '0' && name[0] <= '9') {
		n = strtol(name, &end, 10);
		return *end == '\0' && n > 0 && n < NSIG ? (int)n : -1;
	}
	if (strncasecmp(name, "SIG", 3) == 0) {
		name += 3;
	}
	for (sig = 1; sig < NSIG; sig++) {
		if ((abbrev = sigabbrev_np(sig)) != NULL &&
		    strcasecmp(abbrev, name) == 0) {
			return sig;
		}
	}
	return -1;
}

char *
run_describe(const struct run_record *r, char *buf, size_t len)
{
	char name[32];

	return proto_result_text(run_status_name(r->status), r->exit_code,
	    r->signal > 0 ? run_signal_name(r->signal, name, sizeof name)
	                  : NULL,
	    buf, len);
}

json_t *
run_record_json(const struct run_record *r)
{
	json_t *o = json_object(), *spec, *v;
	char name[32];

	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "task", json_string(r->task));
	json_object_set_new(
	    o, "trigger", json_string(run_trigger_name(r->trigger)));
	json_object_set_new(
	    o, "status", json_string(run_status_name(r->status)));
	json_object_set_new(o, "scheduled_at", run_time_json(r->scheduled_ms));
	json_object_set_new(o, "started_at", run_time_json(r->started_ms));
	json_object_set_new(o, "not_before", run_time_json(r->not_before_ms));
	json_object_set_new(o, "finished_at", run_time_json(r->finished_ms));
	json_object_set_new(o, "attempt", json_integer(r->attempt));
	if (r->finished_ms != 0) {
		/* Rows from before durations were measured use the wall clock. */
		json_object_set_new(o, "duration",
		    json_real((double)(r->duration_ms >= 0
		                      ? r->duration_ms
		                      : r->finished_ms - r->started_ms) /
		        1000));
	} else {
		json_object_set_new(o, "duration", json_null());
	}
	json_object_set_new(o, "exit_code",
	    r->exit_code >= 0 ? json_integer(r->exit_code) : json_null());
	if (r->signal > 0) {
		json_object_set_new(o, "signal", json_integer(r->signal));
		json_object_set_new(o, "signal_name",
		    json_string(run_signal_name(r->signal, name, sizeof name)));
	} else {
		json_object_set_new(o, "signal", json_null());
	}
	json_object_set_new(
	    o, "pid", r->pid > 0 ? json_integer(r->pid) : json_null());
	json_object_set_new(o, "output_bytes", json_integer(r->output_bytes));
	json_object_set_new(o, "truncated", json_boolean(r->truncated));
	if (r->finished_ms != 0 && r->status != RUN_START_FAILED &&
	    r->status != RUN_LOST) {
		json_object_set_new(
		    o, "cpu_user", json_real((double)r->cpu_user_ms / 1000));
		json_object_set_new(
		    o, "cpu_sys", json_real((double)r->cpu_sys_ms / 1000));
		json_object_set_new(
		    o, "max_rss", json_integer(r->max_rss_kb * 1024));
	} else {
		json_object_set_new(o, "cpu_user", json_null());
		json_object_set_new(o, "cpu_sys", json_null());
		json_object_set_new(o, "max_rss", json_null());
	}
	json_object_set_new(o, "log",
	    r->log_path != NULL ? json_string(r->log_path) : json_null());
	json_object_set_new(o, "reason",
	    r->reason != NULL ? json_string(r->reason) : json_null());
	if (r->slurm_job > 0) {
		json_object_set_new(o, "slurm_job", json_integer(r->slurm_job));
	}
	if (r->progress >= 0 && r->status == RUN_RUNNING) {
		json_object_set_new(o, "progress", json_integer(r->progress));
	}
	if (r->summary != NULL) {
		json_object_set_new(o, "summary", json_string(r->summary));
	}
	if (r->memory_peak >= 0) {
		json_object_set_new(
		    o, "memory_peak", json_integer(r->memory_peak));
	}
	if (r->oom_kills > 0) {
		json_object_set_new(o, "oom_kills", json_integer(r->oom_kills));
	}
	if (r->change != NULL && (v = json_loads(r->change, 0, NULL)) != NULL) {
		json_object_set_new(o, "change", v);
	}
	if (r->spec != NULL && (spec = json_loads(r->spec, 0, NULL)) != NULL) {
		/* What a submitted job runs: [argv] or a shell line. */
		v = json_object_get(spec, "run");
		json_object_set(o, "command",
		    v != NULL ? v : json_object_get(spec, "command"));
		if ((v = json_object_get(spec, "label")) != NULL) {
			json_object_set(o, "label", v);
		}
		json_decref(spec);
	}
	return o;
}

char *
run_change_text(const struct run_record *r)
{
	json_t *c = r->change != NULL ? json_loads(r->change, 0, NULL) : NULL;
	const char *kind = json_string_value(json_object_get(c, "kind"));
	const char *old, *new, *path;
	json_int_t n;
	char *text = NULL;

	if (kind != NULL && strcmp(kind, "git") == 0) {
		old = json_string_value(json_object_get(c, "old"));
		new = json_string_value(json_object_get(c, "new"));
		if (old == NULL || old[0] == '\0') {
			text = xasprintf("branch %s appeared at %.7s",
			    json_string_value(json_object_get(c, "branch")),
			    new != NULL ? new : "?");
		} else {
			text = xasprintf("%s moved from %.7s to %.7s",
			    json_string_value(json_object_get(c, "branch")),
			    old, new != NULL ? new : "?");
		}
	} else if (kind != NULL && strcmp(kind, "path") == 0) {
		n = json_integer_value(json_object_get(c, "paths"));
		path = json_string_value(json_object_get(c, "path"));
		if (path == NULL) {
			path = json_string_value(
			    json_array_get(json_object_get(c, "sample"), 0));
		}
		text = xasprintf("%s%lld path%s changed%s%s%s",
		    json_is_true(json_object_get(c, "incomplete"))
		        ? "events were lost; at least "
		        : "",
		    (long long)n, n == 1 ? "" : "s", path != NULL ? ": " : "",
		    path != NULL ? path : "",
		    path != NULL && n > 1 ? " ..." : "");
	}
	json_decref(c);
	return text;
}
