/*
 * A YAML document from the parser's events, in big pieces of memory. The
 * nodes are one array (grown with mremap, so never copied); the text of
 * scalars and the children of collections go into blocks taken from the
 * kernel, each twice the last, from 64 KiB up to 2 MiB. All of it goes
 * back with ydoc_release, none of it through malloc: a 100,000-task file
 * made 700,000 allocations in libyaml's loader, and the heap kept their
 * holes after the tasks were built from them.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"
#include "ydoc.h"

/* Blocks double from the first to the last size: a small file maps little. */
#define YDOC_BLOCK_FIRST (64 * 1024)
#define YDOC_BLOCK_MAX   (2 * 1024 * 1024)

struct ydoc_block {
	struct ydoc_block *next;
	size_t size; /* of the mapping, this header included */
	size_t used;
};

/* A collection being read: its node, and where its children start. */
struct ydoc_frame {
	int node;
	size_t first; /* in kids */
};

struct ydoc_anchor {
	char *name;
	int node;
};

struct ydoc_build {
	struct ydoc *d;
	size_t cap;                /* nodes mapped */
	struct ydoc_frame *frames; /* the collections open, outermost first */
	size_t nframes, frames_cap;
	int *kids; /* children of the open collections, in order */
	size_t nkids, kids_cap;
	struct ydoc_anchor *anchors;
	size_t nanchors;
};

/*
 * Touching fresh memory a page at a time is a fault per 4 KiB, dear in a
 * virtual machine; in 2 MiB pages, where the kernel has them, it is one.
 * Only for big mappings: a small file's document would pay for zeroing
 * (and perhaps compacting) whole huge pages it barely uses.
 */
static void
ydoc_huge(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
	if (size >= YDOC_BLOCK_MAX) {
		(void)madvise(p, size, MADV_HUGEPAGE);
	}
#else
	(void)p;
	(void)size;
#endif
}

static void *
ydoc_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fatalx("out of memory (mapping %zu bytes)", size);
	}
	ydoc_huge(p, size);
	return p;
}

/* len bytes from d's blocks, aligned for any of the node types. */
static void *
ydoc_alloc(struct ydoc *d, size_t len)
{
	struct ydoc_block *b = d->mem;
	size_t size, at;

	len = (len + 7) & ~(size_t)7;
	if (b == NULL || b->size - b->used < len) {
		size = b == NULL               ? YDOC_BLOCK_FIRST
		    : b->size < YDOC_BLOCK_MAX ? b->size * 2
		                               : YDOC_BLOCK_MAX;
		if (sizeof *b + len > size) {
			size = (sizeof *b + len + 4095) & ~(size_t)4095;
		}
		b = ydoc_map(size);
		b->size = size;
		b->used = (sizeof *b + 7) & ~(size_t)7;
		/* A big one alone keeps the current block in use. */
		if (d->mem != NULL && size > YDOC_BLOCK_MAX) {
			b->next = d->mem->next;
			d->mem->next = b;
		} else {
			b->next = d->mem;
			d->mem = b;
		}
	}
	at = b->used;
	b->used += len;
	return (char *)b + at;
}

static yaml_char_t *
ydoc_text(struct ydoc *d, const yaml_char_t *s, size_t len)
{
	yaml_char_t *p = ydoc_alloc(d, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* The tag a node was given, or the one libyaml gives a node of its kind. */
static yaml_char_t *
ydoc_tag(struct ydoc *d, const yaml_char_t *tag, const char *fallback)
{
	if (tag == NULL || strcmp((const char *)tag, "!") == 0) {
		return (yaml_char_t *)fallback;
	}
	return ydoc_text(d, tag, strlen((const char *)tag));
}

/* A new node of type at mark, numbered as yaml_document_get_node counts. */
static int
ydoc_node(struct ydoc_build *b, yaml_node_type_t type, yaml_mark_t mark)
{
	yaml_document_t *doc = &b->d->doc;
	size_t n = (size_t)(doc->nodes.top - doc->nodes.start), size;
	yaml_node_t *node;
	void *p;

	if (n == (size_t)INT32_MAX - 1) {
		return -1;
	}
	if (n == b->cap) {
		size = (b->cap == 0 ? 1024 : b->cap * 2) * sizeof *node;
		if (b->cap == 0) {
			p = ydoc_map(size);
		} else if ((p = mremap(doc->nodes.start, b->cap * sizeof *node,
		                size, MREMAP_MAYMOVE)) == MAP_FAILED) {
			fatalx("out of memory (mapping %zu bytes)", size);
		}
		ydoc_huge(p, size);
		b->cap = size / sizeof *node;
		doc->nodes.start = p;
		doc->nodes.top = doc->nodes.start + n;
		doc->nodes.end = doc->nodes.start + b->cap;
	}
	node = doc->nodes.top++;
	memset(node, 0, sizeof *node);
	node->type = type;
	node->start_mark = node->end_mark = mark;
	return (int)n + 1;
}

static yaml_node_t *
ydoc_get(struct ydoc_build *b, int id)
{
	return b->d->doc.nodes.start + id - 1;
}

/* Node id is read: a child of the innermost open collection. */
static void
ydoc_add(struct ydoc_build *b, int id)
{
	if (b->nframes == 0) {
		return; /* the root, node 1 */
	}
	if (b->nkids == b->kids_cap) {
		b->kids_cap = b->kids_cap == 0 ? 256 : b->kids_cap * 2;
		b->kids = xreallocarray(b->kids, b->kids_cap, sizeof *b->kids);
	}
	b->kids[b->nkids++] = id;
}

static void
ydoc_anchor(struct ydoc_build *b, const yaml_char_t *anchor, int id)
{
	size_t i;

	if (anchor == NULL) {
		return;
	}
	/* A name used again names the newer node from there on. */
	for (i = 0; i < b->nanchors; i++) {
		if (strcmp(b->anchors[i].name, (const char *)anchor) == 0) {
			b->anchors[i].node = id;
			return;
		}
	}
	b->anchors =
	    xreallocarray(b->anchors, b->nanchors + 1, sizeof *b->anchors);
	b->anchors[b->nanchors].name = xstrdup((const char *)anchor);
	b->anchors[b->nanchors++].node = id;
}

static int
ydoc_alias(struct ydoc_build *b, const yaml_char_t *anchor)
{
	size_t i;

	for (i = 0; i < b->nanchors; i++) {
		if (strcmp(b->anchors[i].name, (const char *)anchor) == 0) {
			return b->anchors[i].node;
		}
	}
	return 0;
}

static void
ydoc_open(struct ydoc_build *b, int id)
{
	if (b->nframes == b->frames_cap) {
		b->frames_cap = b->frames_cap == 0 ? 16 : b->frames_cap * 2;
		b->frames =
		    xreallocarray(b->frames, b->frames_cap, sizeof *b->frames);
	}
	b->frames[b->nframes].node = id;
	b->frames[b->nframes++].first = b->nkids;
}

/* The innermost collection ends at mark: its children move to d's blocks. */
static void
ydoc_close(struct ydoc_build *b, yaml_mark_t mark)
{
	struct ydoc_frame *f = &b->frames[--b->nframes];
	yaml_node_t *node = ydoc_get(b, f->node);
	size_t n = b->nkids - f->first, i;
	yaml_node_pair_t *pairs;
	yaml_node_item_t *items;

	node->end_mark = mark;
	if (node->type == YAML_SEQUENCE_NODE) {
		items = ydoc_alloc(b->d, (n > 0 ? n : 1) * sizeof *items);
		memcpy(items, b->kids + f->first, n * sizeof *items);
		node->data.sequence.items.start = items;
		node->data.sequence.items.top = node->data.sequence.items.end =
		    items + n;
	} else {
		/* The parser gives a mapping keys and values in pairs. */
		pairs =
		    ydoc_alloc(b->d, (n / 2 > 0 ? n / 2 : 1) * sizeof *pairs);
		for (i = 0; i + 1 < n; i += 2) {
			pairs[i / 2].key = b->kids[f->first + i];
			pairs[i / 2].value = b->kids[f->first + i + 1];
		}
		node->data.mapping.pairs.start = pairs;
		node->data.mapping.pairs.top = node->data.mapping.pairs.end =
		    pairs + n / 2;
	}
	b->nkids = f->first;
}

/* As libyaml's composer says it, into the parser's error fields. */
static int
ydoc_fail(yaml_parser_t *parser, const char *problem, yaml_mark_t mark)
{
	parser->error = YAML_COMPOSER_ERROR;
	parser->problem = problem;
	parser->problem_mark = mark;
	parser->context = NULL;
	return -1;
}

/* One event of the document's body: 1 when the document is done, 0, or -1. */
static int
ydoc_event(struct ydoc_build *b, yaml_parser_t *parser, yaml_event_t *ev)
{
	struct ydoc *d = b->d;
	yaml_node_t *node;
	int id;

	switch (ev->type) {
	case YAML_DOCUMENT_END_EVENT:
		d->doc.end_implicit = ev->data.document_end.implicit;
		d->doc.end_mark = ev->end_mark;
		return 1;
	case YAML_ALIAS_EVENT:
		if ((id = ydoc_alias(b, ev->data.alias.anchor)) == 0) {
			return ydoc_fail(
			    parser, "found undefined alias", ev->start_mark);
		}
		ydoc_add(b, id);
		return 0;
	case YAML_SCALAR_EVENT:
		if ((id = ydoc_node(b, YAML_SCALAR_NODE, ev->start_mark)) ==
		    -1) {
			return ydoc_fail(
			    parser, "too many nodes", ev->start_mark);
		}
		node = ydoc_get(b, id);
		node->tag =
		    ydoc_tag(d, ev->data.scalar.tag, YAML_DEFAULT_SCALAR_TAG);
		node->data.scalar.value =
		    ydoc_text(d, ev->data.scalar.value, ev->data.scalar.length);
		node->data.scalar.length = ev->data.scalar.length;
		node->data.scalar.style = ev->data.scalar.style;
		node->end_mark = ev->end_mark;
		ydoc_anchor(b, ev->data.scalar.anchor, id);
		ydoc_add(b, id);
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		id = ydoc_node(b,
		    ev->type == YAML_SEQUENCE_START_EVENT ? YAML_SEQUENCE_NODE
		                                          : YAML_MAPPING_NODE,
		    ev->start_mark);
		if (id == -1) {
			return ydoc_fail(
			    parser, "too many nodes", ev->start_mark);
		}
		node = ydoc_get(b, id);
		if (ev->type == YAML_SEQUENCE_START_EVENT) {
			node->tag = ydoc_tag(d, ev->data.sequence_start.tag,
			    YAML_DEFAULT_SEQUENCE_TAG);
			node->data.sequence.style =
			    ev->data.sequence_start.style;
			ydoc_anchor(b, ev->data.sequence_start.anchor, id);
		} else {
			node->tag = ydoc_tag(d, ev->data.mapping_start.tag,
			    YAML_DEFAULT_MAPPING_TAG);
			node->data.mapping.style = ev->data.mapping_start.style;
			ydoc_anchor(b, ev->data.mapping_start.anchor, id);
		}
		ydoc_add(b, id);
		ydoc_open(b, id);
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		ydoc_close(b, ev->end_mark);
		return 0;
	default:
		/* The parser checks the order of events: none else comes. */
		return ydoc_fail(parser, "unexpected event", ev->start_mark);
	}
}

int
ydoc_load(struct ydoc *d, yaml_parser_t *parser)
{
	struct ydoc_build b = { .d = d };
	yaml_event_t ev;
	size_t i;
	int rc = -1, done = 0;

	memset(d, 0, sizeof *d);
	while (!done) {
		if (!yaml_parser_parse(parser, &ev)) {
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			/* No document: an empty one, as yaml_parser_load. */
			done = 1;
			rc = 0;
			break;
		case YAML_DOCUMENT_START_EVENT:
			d->doc.start_implicit = ev.data.document_start.implicit;
			d->doc.start_mark = ev.start_mark;
			break;
		default:
			switch (ydoc_event(&b, parser, &ev)) {
			case 1:
				done = 1;
				rc = 0;
				break;
			case -1:
				done = 1;
				break;
			}
		}
		yaml_event_delete(&ev);
	}
	for (i = 0; i < b.nanchors; i++) {
		free(b.anchors[i].name);
	}
	free(b.anchors);
	free(b.frames);
	free(b.kids);
	if (rc == -1) {
		ydoc_release(d);
	}
	return rc;
}

void
ydoc_release(struct ydoc *d)
{
	struct ydoc_block *b, *next;

	if (d == NULL) {
		return;
	}
	if (d->doc.nodes.start != NULL) {
		munmap(d->doc.nodes.start,
		    (size_t)(d->doc.nodes.end - d->doc.nodes.start) *
		        sizeof *d->doc.nodes.start);
	}
	for (b = d->mem; b != NULL; b = next) {
		next = b->next;
		munmap(b, b->size);
	}
	memset(d, 0, sizeof *d);
}
