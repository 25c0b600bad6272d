/*
 * Unit tests for ydoc: each document must come out node for node as
 * libyaml's own yaml_parser_load makes it, errors included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
