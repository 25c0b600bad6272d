/*
 * Unit tests for ydoc: each document must come out node for node as
 * libyaml's own yaml_parser_load makes it, errors included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ydoc.h"

static void
assert_same_mark(yaml_mark_t a, yaml_mark_t b)
{
	assert_int_equal(a.line, b.line);
	assert_int_equal(a.column, b.column);
	assert_int_equal(a.index, b.index);
}

/* Node i of ours and of libyaml's, and (through them) all below it. */
static void
assert_same_node(yaml_document_t *ours, yaml_document_t *theirs, int i)
{
	yaml_node_t *a = yaml_document_get_node(ours, i),
	            *b = yaml_document_get_node(theirs, i);
	size_t n, k;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->type, b->type);
	assert_string_equal(a->tag, b->tag);
	assert_same_mark(a->start_mark, b->start_mark);
	assert_same_mark(a->end_mark, b->end_mark);
	switch (a->type) {
	case YAML_SCALAR_NODE:
		assert_int_equal(a->data.scalar.length, b->data.scalar.length);
		assert_memory_equal(a->data.scalar.value, b->data.scalar.value,
		    b->data.scalar.length + 1);
		assert_int_equal(a->data.scalar.style, b->data.scalar.style);
		break;
	case YAML_SEQUENCE_NODE:
		n = (size_t)(b->data.sequence.items.top -
		    b->data.sequence.items.start);
		assert_int_equal(
		    a->data.sequence.items.top - a->data.sequence.items.start,
		    n);
		assert_int_equal(
		    a->data.sequence.style, b->data.sequence.style);
		for (k = 0; k < n; k++) {
			assert_int_equal(a->data.sequence.items.start[k],
			    b->data.sequence.items.start[k]);
		}
		break;
	case YAML_MAPPING_NODE:
		n = (size_t)(b->data.mapping.pairs.top -
		    b->data.mapping.pairs.start);
		assert_int_equal(
		    a->data.mapping.pairs.top - a->data.mapping.pairs.start, n);
		assert_int_equal(a->data.mapping.style, b->data.mapping.style);
		for (k = 0; k < n; k++) {
			assert_int_equal(a->data.mapping.pairs.start[k].key,
			    b->data.mapping.pairs.start[k].key);
			assert_int_equal(a->data.mapping.pairs.start[k].value,
			    b->data.mapping.pairs.start[k].value);
		}
		break;
	default:
		fail_msg("node %d has no type", i);
	}
}

/* Load text both ways; both must succeed or fail alike, the same. */
static void
assert_loads_as_libyaml(const char *text)
{
	yaml_parser_t p1, p2;
	yaml_document_t theirs;
	struct ydoc ours;
	int ok1, ok2, n, i;

	yaml_parser_initialize(&p1);
	yaml_parser_set_input_string(
	    &p1, (const unsigned char *)text, strlen(text));
	yaml_parser_initialize(&p2);
	yaml_parser_set_input_string(
	    &p2, (const unsigned char *)text, strlen(text));
	ok1 = ydoc_load(&ours, &p1) == 0;
	ok2 = yaml_parser_load(&p2, &theirs) != 0;
	assert_int_equal(ok1, ok2);
	if (!ok2) {
		assert_int_equal(p1.error, p2.error);
		assert_string_equal(p1.problem, p2.problem);
		assert_same_mark(p1.problem_mark, p2.problem_mark);
		assert_null(ours.doc.nodes.start);
	} else {
		n = (int)(theirs.nodes.top - theirs.nodes.start);
		assert_int_equal(ours.doc.nodes.top - ours.doc.nodes.start, n);
		for (i = 1; i <= n; i++) {
			assert_same_node(&ours.doc, &theirs, i);
		}
		assert_int_equal(
		    ours.doc.start_implicit, theirs.start_implicit);
		assert_int_equal(ours.doc.end_implicit, theirs.end_implicit);
		yaml_document_delete(&theirs);
	}
	ydoc_release(&ours);
	yaml_parser_delete(&p1);
	yaml_parser_delete(&p2);
}

static void
test_ydoc_reads_a_tasks_file_as_libyaml(void **state)
{
	(void)state;
	assert_loads_as_libyaml("# a comment\n"
	                        "max_concurrent: 4\n"
	                        "defaults:\n"
	                        "  timezone: Europe/Berlin\n"
	                        "tasks:\n"
	                        "  backup:\n"
	                        "    command: rsync -a ~/src /mnt/backup\n"
	                        "    schedule: \"0 3 * * *\"\n"
	                        "    env: {LANG: C, TZ: UTC}\n"
	                        "    notify: [failure, mail]\n"
	                        "  report:\n"
	                        "    run: [\"python3\", '-c', \"print(1)\"]\n"
	                        "    after: [backup]\n"
	                        "    description: |\n"
	                        "      two lines\n"
	                        "      of text\n"
	                        "    empty_map: {}\n"
	                        "    empty_list: []\n"
	                        "    nothing:\n"
	                        "    tagged: !!str 12\n");
}

static void
test_ydoc_resolves_aliases_as_libyaml(void **state)
{
	(void)state;
	assert_loads_as_libyaml("base: &b {retries: 3, timeout: 1m}\n"
	                        "a: *b\n"
	                        "list: &l [1, 2]\n"
	                        "again: [*l, *b]\n"
	                        "s: &s text\n"
	                        "t: *s\n");
}

static void
test_ydoc_empty_input_is_an_empty_document(void **state)
{
	(void)state;
	assert_loads_as_libyaml("");
	assert_loads_as_libyaml("# only a comment\n");
	assert_loads_as_libyaml("---\n...\n");
}

static void
test_ydoc_reads_only_the_first_document(void **state)
{
	(void)state;
	assert_loads_as_libyaml("---\na: 1\n---\nb: 2\n");
}

static void
test_ydoc_reports_errors_as_libyaml(void **state)
{
	(void)state;
	assert_loads_as_libyaml("tasks:\n  a: [1, 2\n");
	assert_loads_as_libyaml("a: 1\n b: 2\n");
	assert_loads_as_libyaml("key: \"unterminated\n");
	assert_loads_as_libyaml("a: *nowhere\n");
	assert_loads_as_libyaml("a: &x [1, *x]\n");
	assert_loads_as_libyaml("a: &x {b: *x}\n");
	assert_loads_as_libyaml("a:\n  - 1\n  b: 2\n");
}

/* Many nodes: the node array grows, and text crosses memory blocks. */
static void
test_ydoc_reads_a_big_document(void **state)
{
	size_t cap = 1 << 22, len = 0;
	char *text = malloc(cap);
	int i;

	(void)state;
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "tasks:\n");
	for (i = 0; i < 40000 && len + 200 < cap; i++) {
		len += (size_t)snprintf(text + len, cap - len,
		    "  task-%d:\n    command: echo %d %0*d\n"
		    "    schedule: \"*/5 * * * *\"\n",
		    i, i, i % 97, 0);
	}
	assert_loads_as_libyaml(text);
	free(text);
}

/* What a stream's callbacks saw: "key=value" of each scalar entry. */
struct seen {
	int begun, refuse;
	char log[1024];
	size_t len;
	size_t most_nodes; /* the document's nodes, at their most */
	yaml_document_t *doc;
};

static int
seen_begin(void *arg)
{
	struct seen *s = arg;
	yaml_node_t *root = yaml_document_get_root_node(s->doc);

	s->begun++;
	/* The root's pairs before the streamed key are in place. */
	s->len += (size_t)snprintf(s->log + s->len, sizeof s->log - s->len,
	    "[%d before] ",
	    (int)(root->data.mapping.pairs.top -
	        root->data.mapping.pairs.start));
	return s->refuse ? -1 : 0;
}

static void
seen_entry(void *arg, yaml_node_t *key, yaml_node_t *value)
{
	struct seen *s = arg;
	size_t nodes = (size_t)(s->doc->nodes.top - s->doc->nodes.start);

	if (nodes > s->most_nodes) {
		s->most_nodes = nodes;
	}
	s->len += (size_t)snprintf(s->log + s->len, sizeof s->log - s->len,
	    "%s=%s ", (char *)key->data.scalar.value,
	    value->type == YAML_SCALAR_NODE ? (char *)value->data.scalar.value
	        : value->type == YAML_MAPPING_NODE ? "{}"
	                                           : "[]");
}

static int
load_streaming(struct ydoc *d, struct seen *s, const char *text)
{
	struct ydoc_stream st = { "tasks", seen_begin, seen_entry, s };
	yaml_parser_t parser;
	int rc;

	s->doc = &d->doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(
	    &parser, (const unsigned char *)text, strlen(text));
	rc = ydoc_load_stream(d, &parser, &st);
	yaml_parser_delete(&parser);
	return rc;
}

/* Entries come one by one and are dropped: the document stays small. */
static void
test_ydoc_streams_the_entries_of_a_mapping(void **state)
{
	struct seen s = { 0 };
	struct ydoc d;
	yaml_node_t *root, *tasks;

	(void)state;
	assert_int_equal(load_streaming(&d, &s,
	                     "defaults: {a: 1}\n"
	                     "tasks:\n"
	                     "  one: {command: x}\n"
	                     "  two: 2\n"
	                     "  three: [1, 2, 3]\n"
	                     "other: y\n"),
	    0);
	assert_int_equal(s.begun, 1);
	assert_int_equal(d.streamed, 1);
	assert_string_equal(s.log, "[1 before] one={} two=2 three=[] ");
	/*
	 * The root, defaults with its pair, tasks and its mapping (7), and
	 * the biggest entry, "three" and its list (5); not all 18.
	 */
	assert_int_equal(s.most_nodes, 12);
	root = yaml_document_get_root_node(&d.doc);
	assert_int_equal(
	    root->data.mapping.pairs.top - root->data.mapping.pairs.start, 3);
	tasks = yaml_document_get_node(
	    &d.doc, root->data.mapping.pairs.start[1].value);
	assert_int_equal(tasks->type, YAML_MAPPING_NODE);
	assert_int_equal(
	    tasks->data.mapping.pairs.top - tasks->data.mapping.pairs.start, 0);
	ydoc_release(&d);
}

/* An entry that defines an anchor stays, for the aliases after it. */
static void
test_ydoc_stream_keeps_anchored_entries(void **state)
{
	struct seen s = { 0 };
	struct ydoc d;

	(void)state;
	assert_int_equal(load_streaming(&d, &s,
	                     "tasks:\n"
	                     "  a: &base x1\n"
	                     "  b: y\n"
	                     "  c: *base\n"
	                     "  d: &base x2\n"
	                     "  e: *base\n"),
	    0);
	assert_string_equal(s.log, "[0 before] a=x1 b=y c=x1 d=x2 e=x2 ");
	ydoc_release(&d);
}

/* Refused, or not under the root's key: the document libyaml makes. */
static void
test_ydoc_stream_refused_reads_the_whole_document(void **state)
{
	const char *text = "tasks: {a: 1, b: [2]}\nmore: {tasks: {c: 3}}\n";
	yaml_document_t theirs;
	yaml_parser_t parser;
	struct seen s = { .refuse = 1 };
	struct ydoc d;
	int i, n;

	(void)state;
	assert_int_equal(load_streaming(&d, &s, text), 0);
	assert_int_equal(s.begun, 1);
	assert_int_equal(d.streamed, 0);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(
	    &parser, (const unsigned char *)text, strlen(text));
	assert_true(yaml_parser_load(&parser, &theirs));
	n = (int)(theirs.nodes.top - theirs.nodes.start);
	assert_int_equal(d.doc.nodes.top - d.doc.nodes.start, n);
	for (i = 1; i <= n; i++) {
		assert_same_node(&d.doc, &theirs, i);
	}
	yaml_document_delete(&theirs);
	yaml_parser_delete(&parser);
	ydoc_release(&d);
}

/* An entry too big for the nodes set aside: the caller reads it whole. */
static void
test_ydoc_stream_overflow_is_said(void **state)
{
	size_t cap = 1 << 20, len = 0;
	char *text = malloc(cap);
	struct seen s = { 0 };
	struct ydoc d;
	int i;

	(void)state;
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "tasks:\n  big: [");
	for (i = 0; i < 70000; i++) {
		len += (size_t)snprintf(text + len, cap - len, "%d,", i % 10);
	}
	snprintf(text + len, cap - len, "0]\n");
	assert_int_equal(load_streaming(&d, &s, text), -1);
	assert_int_equal(d.overflow, 1);
	ydoc_release(&d);
	free(text);
}

static void
test_ydoc_release_takes_an_empty_document(void **state)
{
	struct ydoc d;

	(void)state;
	memset(&d, 0, sizeof d);
	ydoc_release(&d);
	ydoc_release(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ydoc_reads_a_tasks_file_as_libyaml),
		cmocka_unit_test(test_ydoc_resolves_aliases_as_libyaml),
		cmocka_unit_test(test_ydoc_empty_input_is_an_empty_document),
		cmocka_unit_test(test_ydoc_reads_only_the_first_document),
		cmocka_unit_test(test_ydoc_reports_errors_as_libyaml),
		cmocka_unit_test(test_ydoc_reads_a_big_document),
		cmocka_unit_test(test_ydoc_release_takes_an_empty_document),
		cmocka_unit_test(test_ydoc_streams_the_entries_of_a_mapping),
		cmocka_unit_test(test_ydoc_stream_keeps_anchored_entries),
		cmocka_unit_test(
		    test_ydoc_stream_refused_reads_the_whole_document),
		cmocka_unit_test(test_ydoc_stream_overflow_is_said),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
