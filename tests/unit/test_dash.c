/*
 * Unit tests for the dashboard's view model: state derivation, events,
 * sorting, filtering and the countdowns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "dash-model.h"

#define NOW INT64_C(1790000000000)

static const char *const tasks_json =
    "[{\"name\": \"backup\", \"schedule\": \"30 2 * * *\", \"state\": "
    "\"scheduled\", \"next_run\": \"2026-09-21T17:00:00.000Z\", \"running\": "
    "0, \"queued\": 0, \"paused\": false, \"last_run\": {\"id\": 3, "
    "\"task\": \"backup\", \"status\": \"failed\", \"exit_code\": 3, "
    "\"duration\": 72.0}},"
    " {\"name\": \"ping\", \"schedule\": \"every 5m\", \"state\": "
    "\"scheduled\", \"next_run\": \"2026-09-21T16:40:00.000Z\", \"running\": "
    "0, \"queued\": 0, \"paused\": false, \"last_run\": {\"id\": 4, "
    "\"task\": \"ping\", \"status\": \"ok\", \"exit_code\": 0, \"duration\": "
    "0.03}},"
    " {\"name\": \"report\", \"schedule\": null, \"state\": \"disabled\", "
    "\"next_run\": null, \"running\": 0, \"queued\": 0, \"paused\": false, "
    "\"last_run\": null}]";

static void
load(struct dash_model *m)
{
	json_t *list = json_loads(tasks_json, 0, NULL);

	assert_non_null(list);
	dash_model_init(m);
	dash_model_set_tasks(m, list);
	json_decref(list);
}

static json_t *
event(const char *name, const char *data)
{
	json_t *ev = json_object();

	json_object_set_new(ev, "event", json_string(name));
	json_object_set_new(ev, "data", json_loads(data, 0, NULL));
	return ev;
}

static void
send(struct dash_model *m, const char *name, const char *data)
{
	json_t *ev = event(name, data);

	dash_model_event(m, ev);
	json_decref(ev);
}

static void
test_dash_states_from_the_list(void **state)
{
	struct dash_model m;

	(void)state;
	load(&m);
	assert_int_equal(
	    dash_task_state(dash_model_task(&m, "backup")), DASH_FAILING);
	assert_int_equal(
	    dash_task_state(dash_model_task(&m, "ping")), DASH_IDLE);
	assert_int_equal(
	    dash_task_state(dash_model_task(&m, "report")), DASH_DISABLED);
	assert_string_equal(
	    dash_model_task(&m, "backup")->last_result, "exit 3");
	assert_int_equal(
	    dash_model_task(&m, "backup")->last_duration_ms, 72000);
	dash_model_release(&m);
}

/* A run through its events: queued, running, then its result and strip. */
/* A task a change runs shows what runs it where a schedule would be. */
static void
test_dash_triggers_in_the_schedule_column(void **state)
{
	struct dash_model m;
	json_t *list = json_loads(
	    "[{\"name\": \"docs\", \"schedule\": null, \"on\": \"on push to "
	    "main in /src/p\", \"state\": \"watching\", \"next_run\": null, "
	    "\"running\": 0, \"queued\": 0, \"paused\": false, \"last_run\": "
	    "null}, {\"name\": \"both\", \"schedule\": \"@daily\", \"on\": "
	    "\"on change in /in\", \"state\": \"scheduled\", \"next_run\": "
	    "null, \"running\": 0, \"queued\": 0, \"paused\": false, "
	    "\"last_run\": null}]",
	    0, NULL);

	(void)state;
	assert_non_null(list);
	dash_model_init(&m);
	dash_model_set_tasks(&m, list);
	json_decref(list);
	assert_string_equal(
	    dash_model_task(&m, "docs")->schedule, "on push to main in /src/p");
	assert_string_equal(
	    dash_model_task(&m, "both")->schedule, "@daily; on change in /in");
	assert_int_equal(
	    dash_task_state(dash_model_task(&m, "docs")), DASH_IDLE);
	dash_model_release(&m);
}

static void
test_dash_events_move_a_run(void **state)
{
	struct dash_model m;
	struct dash_task *t;

	(void)state;
	load(&m);
	t = dash_model_task(&m, "ping");
	send(&m, "run.queued",
	    "{\"id\": 5, \"task\": \"ping\", \"status\": \"queued\"}");
	assert_int_equal(dash_task_state(t), DASH_QUEUED);
	send(&m, "run.started",
	    "{\"id\": 5, \"task\": \"ping\", \"status\": \"running\", \"pid\": "
	    "42, \"started_at\": \"2026-09-21T16:35:00.000Z\"}");
	/* The same event twice (snapshot and stream) counts once. */
	send(&m, "run.started",
	    "{\"id\": 5, \"task\": \"ping\", \"status\": \"running\", \"pid\": "
	    "42}");
	assert_int_equal(dash_task_state(t), DASH_RUNNING);
	assert_int_equal(t->running, 1);
	assert_int_equal(m.njobs, 1);
	assert_int_equal(m.jobs[0].pid, 42);
	send(&m, "run.finished",
	    "{\"id\": 5, \"task\": \"ping\", \"status\": \"failed\", "
	    "\"exit_code\": 7, \"duration\": 1.5}");
	assert_int_equal(m.njobs, 0);
	assert_int_equal(dash_task_state(t), DASH_FAILING);
	assert_string_equal(t->last_result, "exit 7");
	assert_int_equal(t->nstrip, 1);
	assert_int_equal(t->strip[0], 'x');
	/* A paused task says so before anything else but running. */
	send(&m, "task.changed",
	    "{\"name\": \"ping\", \"state\": \"paused\", \"paused\": true, "
	    "\"running\": 0, \"queued\": 0}");
	assert_int_equal(dash_task_state(t), DASH_PAUSED);
	dash_model_release(&m);
}

/* A reload or a reconnect takes the snapshot again: no run twice. */
static void
test_dash_snapshot_again_shows_each_run_once(void **state)
{
	static const char runs[] =
	    "[{\"id\": 3, \"task\": \"backup\", \"status\": \"failed\"},"
	    " {\"id\": 2, \"task\": \"backup\", \"status\": \"ok\"},"
	    " {\"id\": 1, \"task\": \"backup\", \"status\": \"ok\"}]";
	json_t *list = json_loads(tasks_json, 0, NULL),
	       *history = json_loads(runs, 0, NULL);
	struct dash_model m;
	struct dash_task *t;
	int i;

	(void)state;
	load(&m);
	for (i = 0; i < 3; i++) {
		dash_model_set_tasks(&m, list);
		dash_model_set_history(&m, history);
	}
	t = dash_model_task(&m, "backup");
	assert_non_null(t);
	assert_int_equal(t->nstrip, 3);
	assert_memory_equal(t->strip, "++x", 3);
	json_decref(list);
	json_decref(history);
	dash_model_release(&m);
}

/* The banner's history error comes with state.error, goes with state.ok. */
static void
test_dash_state_error_comes_and_goes(void **state)
{
	struct dash_model m;

	(void)state;
	load(&m);
	assert_null(m.state_error);
	send(&m, "state.error",
	    "{\"error\": \"history: committing: database or disk is full\", "
	    "\"since\": \"2026-12-04T07:00:00Z\"}");
	assert_string_equal(
	    m.state_error, "history: committing: database or disk is full");
	send(&m, "state.ok", "{\"written\": 4}");
	assert_null(m.state_error);
	dash_model_release(&m);
}

/* A submitted job belongs to no task of the file; it is a job all the same. */
static void
test_dash_submitted_jobs_are_jobs(void **state)
{
	struct dash_model m;

	(void)state;
	load(&m);
	send(&m, "run.queued",
	    "{\"id\": 8, \"task\": \"sleep\", \"status\": \"queued\"}");
	assert_int_equal(m.nqueued, 1);
	send(&m, "run.started",
	    "{\"id\": 8, \"task\": \"sleep\", \"status\": \"running\", "
	    "\"pid\": 77}");
	assert_int_equal(m.nqueued, 0);
	assert_int_equal(m.njobs, 1);
	assert_string_equal(m.jobs[0].task, "sleep");
	assert_null(dash_model_task(&m, "sleep"));
	send(&m, "run.finished",
	    "{\"id\": 8, \"task\": \"sleep\", \"status\": \"killed\"}");
	assert_int_equal(m.njobs, 0);
	dash_model_release(&m);
}

static void
test_dash_sort_and_filter(void **state)
{
	struct dash_model m;

	(void)state;
	load(&m);
	assert_string_equal(m.tasks[m.view[0]].name, "backup");
	m.sort = DASH_SORT_NEXT;
	dash_model_update_view(&m);
	assert_string_equal(m.tasks[m.view[0]].name, "ping");
	assert_string_equal(m.tasks[m.view[2]].name, "report"); /* no next */
	m.sort = DASH_SORT_RESULT;
	dash_model_update_view(&m);
	assert_string_equal(m.tasks[m.view[0]].name, "backup"); /* failing */
	m.sort = DASH_SORT_DURATION;
	dash_model_update_view(&m);
	assert_string_equal(m.tasks[m.view[0]].name, "backup");
	strcpy(m.filter, "p");
	dash_model_update_view(&m);
	assert_int_equal(m.nview, 3);
	strcpy(m.filter, "pi");
	dash_model_update_view(&m);
	assert_int_equal(m.nview, 1);
	assert_string_equal(m.tasks[m.view[0]].name, "ping");
	dash_model_release(&m);
}

static void
test_dash_countdowns(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(dash_countdown(0, NOW, buf, sizeof buf), "-");
	assert_string_equal(
	    dash_countdown(NOW + 400, NOW, buf, sizeof buf), "now");
	assert_string_equal(
	    dash_countdown(NOW + 185000, NOW, buf, sizeof buf), "in 3m05s");
	assert_string_equal(
	    dash_countdown(NOW + 184001, NOW, buf, sizeof buf), "in 3m05s");
	assert_string_equal(
	    dash_countdown(NOW - 7200000, NOW, buf, sizeof buf), "2h00m ago");
	assert_string_equal(dash_duration(350, buf, sizeof buf), "350ms");
	assert_string_equal(dash_duration(72000, buf, sizeof buf), "1m12s");
	assert_string_equal(dash_duration(90000000, buf, sizeof buf), "1d01h");
	assert_string_equal(dash_duration(-1, buf, sizeof buf), "-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dash_states_from_the_list),
		cmocka_unit_test(test_dash_triggers_in_the_schedule_column),
		cmocka_unit_test(test_dash_events_move_a_run),
		cmocka_unit_test(test_dash_submitted_jobs_are_jobs),
		cmocka_unit_test(test_dash_state_error_comes_and_goes),
		cmocka_unit_test(test_dash_snapshot_again_shows_each_run_once),
		cmocka_unit_test(test_dash_sort_and_filter),
		cmocka_unit_test(test_dash_countdowns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
