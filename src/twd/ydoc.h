/*
 * A YAML document read as libyaml's yaml_parser_load reads it (the same
 * yaml_document_t, nodes numbered alike, read with yaml_document_get_node),
 * but built from the parser's events into a few large mappings of memory,
 * not several small allocations per node: with 100,000 tasks that was a
 * third of twd's start, and the holes it left stayed in the heap.
 */
#ifndef TW_YDOC_H
#define TW_YDOC_H

#include <yaml.h>

struct ydoc_block;

struct ydoc {
	yaml_document_t doc; /* read it; only ydoc_release frees it */
	struct ydoc_block *mem;
};

/*
 * Read the first document of parser's input into d (an empty document when
 * the input has none). Returns 0, or -1 with the parser's error fields set
 * (problem, problem_mark, context ...), as yaml_parser_load sets them; d
 * is then empty. Either way, release d.
 */
int ydoc_load(struct ydoc *d, yaml_parser_t *parser);
/* Free what d holds; d may be empty, or zeroed. */
void ydoc_release(struct ydoc *d);

#endif
