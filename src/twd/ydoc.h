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
	int streamed;     /* a mapping was handed over entry by entry */
	int overflow;     /* it could not be: read the input again without */
	char problem[96]; /* a problem the parser's error fields point to */
};

/*
 * The entries of one big mapping, the root mapping's value under key,
 * handed over one at a time as they are read, then dropped: the document
 * never holds 100,000 tasks at once. begin is called when the mapping
 * starts, with the document so far (the root mapping's pairs before key
 * in place); it returns 0 to have the entries streamed, -1 to read the
 * mapping as any other. Node pointers taken in begin stay valid to the
 * end. entry has each key and value, read whole. An entry that defines
 * an anchor keeps its nodes, for the aliases after it; the mapping itself
 * is left empty in the document.
 */
struct ydoc_stream {
	const char *key;
	int (*begin)(void *arg);
	void (*entry)(void *arg, yaml_node_t *key, yaml_node_t *value);
	void *arg;
};

/*
 * Read the first document of parser's input into d (an empty document when
 * the input has none). Returns 0, or -1 with the parser's error fields set
 * (problem, problem_mark, context ...), as yaml_parser_load sets them; d
 * is then empty. Either way, release d. Unlike yaml_parser_load, a scalar
 * that holds a NUL character ("\0" in double quotes) is an error at that
 * scalar: C strings would silently end there.
 */
int ydoc_load(struct ydoc *d, yaml_parser_t *parser);
/*
 * The same, streaming the mapping s names. When its entries need more
 * nodes than were set aside for them, it fails with d->overflow set.
 */
int ydoc_load_stream(
    struct ydoc *d, yaml_parser_t *parser, const struct ydoc_stream *s);
/* Free what d holds; d may be empty, or zeroed. */
void ydoc_release(struct ydoc *d);

#endif
