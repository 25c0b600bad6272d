/*
 * twctl notify-test: a test message through one notifier or all, and what
 * became of each, so a setup is checked before a real failure needs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "output.h"

static int
cmd_notify_test_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args = json_object(), *tests, *ev, *data, *results, *t;
	size_t left, i;
	char *cause;
	int rc;

	/* Before the messages go, so that no result comes unseen. */
	if ((rc = cmd_call(ctx, "subscribe",
	         json_pack("{s:[s]}", "events", "notify.result"), &rep)) !=
	    EXIT_OK) {
		json_decref(args);
		return rc;
	}
	proto_reply_release(&rep);
	if (ctx->argc == 1) {
		json_object_set_new(
		    args, "notifier", json_string(ctx->argv[0]));
	}
	if ((rc = cmd_call(ctx, "notify-test", args, &rep)) != EXIT_OK) {
		return rc;
	}
	tests = json_incref(json_object_get(rep.data, "tests"));
	proto_reply_release(&rep);
	results = json_array();
	for (left = json_array_size(tests); left > 0;) {
		if ((ev = conn_read_event(ctx->conn, &cause)) == NULL) {
			output_error(
			    ctx->json, "daemon_unreachable", "%s", cause);
			free(cause);
			json_decref(tests);
			json_decref(results);
			return EXIT_UNREACHABLE;
		}
		data = json_object_get(ev, "data");
		json_array_foreach(tests, i, t)
		{
			if (json_integer_value(json_object_get(t, "id")) ==
			    json_integer_value(json_object_get(data, "id"))) {
				json_array_append(results, data);
				left--;
				if (!json_is_true(
				        json_object_get(data, "ok"))) {
					rc = EXIT_FAIL;
				}
			}
		}
		json_decref(ev);
	}
	if (ctx->json) {
		output_json(results);
	} else {
		json_array_foreach(results, i, t)
		{
			printf("%s: %s%s\n",
			    json_get_string(t, "notifier", "?"),
			    json_is_true(json_object_get(t, "ok")) ? "sent"
			                                           : "failed: ",
			    json_get_string(t, "error", ""));
		}
	}
	json_decref(tests);
	json_decref(results);
	return rc;
}

const struct cmd_entry cmd_notify_test_entry = {
	.name = "notify-test",
	.summary = "send a test message through the notifiers and say how "
	           "each went",
	.usage = "[--json] [notifier]",
	.help = "Every notifier of the tasks file, or the one named, gets a "
	        "test message;\nthe command waits for each result and exits "
	        "1 if any failed.\n",
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_notify_test_exec,
};
