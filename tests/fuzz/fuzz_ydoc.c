/*
 * ydoc against libyaml's own loader: for any input, the same document,
 * node for node, or the same error at the same place. By design, ydoc
 * refuses two things libyaml takes, a NUL in a string and nesting past
 * 1,000 levels, and takes one libyaml refuses: an anchor named again,
 * which YAML 1.2 allows (an alias names the newest). With those, only
 * ydoc's own message is checked, or nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ydoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_mark(yaml_mark_t a, yaml_mark_t b)
{
	return a.index == b.index && a.line == b.line && a.column == b.column;
}

static int
same_node(const yaml_node_t *a, const yaml_node_t *b)
{
	size_t n;

	if (a->type != b->type || strcmp((char *)a->tag, (char *)b->tag) != 0 ||
	    !same_mark(a->start_mark, b->start_mark)) {
		return 0;
	}
	switch (a->type) {
	case YAML_SCALAR_NODE:
		return a->data.scalar.length == b->data.scalar.length &&
		    memcmp(a->data.scalar.value, b->data.scalar.value,
		        a->data.scalar.length) == 0 &&
		    a->data.scalar.style == b->data.scalar.style;
	case YAML_SEQUENCE_NODE:
		n = (size_t)(a->data.sequence.items.top -
		    a->data.sequence.items.start);
		return n ==
		    (size_t)(b->data.sequence.items.top -
		        b->data.sequence.items.start) &&
		    (n == 0 ||
		        memcmp(a->data.sequence.items.start,
		            b->data.sequence.items.start,
		            n * sizeof *a->data.sequence.items.start) == 0);
	case YAML_MAPPING_NODE:
		n = (size_t)(a->data.mapping.pairs.top -
		    a->data.mapping.pairs.start);
		return n ==
		    (size_t)(b->data.mapping.pairs.top -
		        b->data.mapping.pairs.start) &&
		    (n == 0 ||
		        memcmp(a->data.mapping.pairs.start,
		            b->data.mapping.pairs.start,
		            n * sizeof *a->data.mapping.pairs.start) == 0);
	default:
		return 1;
	}
}

/* Whether the document's nodes are libyaml's, numbered alike. */
static int
same_document(yaml_document_t *a, yaml_document_t *b)
{
	size_t n = (size_t)(a->nodes.top - a->nodes.start), i;

	if (n != (size_t)(b->nodes.top - b->nodes.start)) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!same_node(a->nodes.start + i, b->nodes.start + i)) {
			return 0;
		}
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	yaml_parser_t ours, theirs;
	yaml_document_t ref;
	struct ydoc d;
	int rc, ok;

	memset(&d, 0, sizeof d);
	yaml_parser_initialize(&ours);
	yaml_parser_set_input_string(&ours, data, size);
	rc = ydoc_load(&d, &ours);
	yaml_parser_initialize(&theirs);
	yaml_parser_set_input_string(&theirs, data, size);
	ok = yaml_parser_load(&theirs, &ref);
	if (!ok && theirs.context != NULL &&
	    strcmp(theirs.context,
	        "found duplicate anchor; first occurrence") == 0) {
		; /* ydoc reads on, past the second */
	} else if (rc == -1 && ours.problem == d.problem) {
		/* One of its own refusals: a NUL, or too deep. */
		if (strstr(d.problem, "NUL") == NULL &&
		    strstr(d.problem, "nest deeper") == NULL) {
			abort();
		}
	} else if (rc == 0 && ok) {
		if (!same_document(&d.doc, &ref)) {
			abort();
		}
	} else if (rc == -1 && !ok) {
		if (ours.problem == NULL || theirs.problem == NULL ||
		    strcmp(ours.problem, theirs.problem) != 0 ||
		    !same_mark(ours.problem_mark, theirs.problem_mark)) {
			abort();
		}
	} else {
		abort(); /* one loaded what the other refused */
	}
	if (ok) {
		yaml_document_delete(&ref);
	}
	ydoc_release(&d);
	yaml_parser_delete(&ours);
	yaml_parser_delete(&theirs);
	return 0;
}
