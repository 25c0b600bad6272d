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
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "xmalloc.h"
#include "ydoc.h"

/* Blocks double from the first to the last size: a small file maps little. */
#define YDOC_BLOCK_FIRST (64 * 1024)
#define YDOC_BLOCK_MAX   (2 * 1024 * 1024)
/*
 * Nodes set aside when a mapping is streamed: what comes before it and one
 * entry at a time (and entries kept for their anchors). The array cannot
 * move then, and only what is used is ever touched.
 */
#define YDOC_STREAM_NODES 65536

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
	char *name; /* NULL: a free slot */
	uint64_t hash;
	int node;
};

/*
 * Collections open at once, at most: libyaml's scanner takes time in the
 * square of the nesting, and no tasks file nests more than a few levels.
 */
#define YDOC_MAX_DEPTH 1000

struct ydoc_build {
	struct ydoc *d;
	size_t cap;                /* nodes mapped */
	struct ydoc_frame *frames; /* the collections open, outermost first */
	size_t nframes, frames_cap;
	int *kids; /* children of the open collections, in order */
	size_t nkids, kids_cap;
	struct ydoc_anchor *anchors; /* a hash table, by name */
	size_t nanchors, anchors_cap;
	unsigned long anchored; /* anchors defined so far */
	/* Streaming: the frames open in the streamed mapping; 0: not in it. */
	const struct ydoc_stream *s;
	size_t stream_frames;
	/* Where the entry being read began, to drop it once handed over. */
	size_t mark_nodes;
	struct ydoc_block *mark_block;
	size_t mark_used;
	unsigned long mark_anchored;
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

/* Room for cap nodes; the array may move. */
static void
ydoc_grow(struct ydoc_build *b, size_t cap)
{
	yaml_document_t *doc = &b->d->doc;
	size_t n = (size_t)(doc->nodes.top - doc->nodes.start);
	size_t size = cap * sizeof *doc->nodes.start;
	void *p;

	if (b->cap == 0) {
		p = ydoc_map(size);
	} else if ((p = mremap(doc->nodes.start,
	                b->cap * sizeof *doc->nodes.start, size,
	                MREMAP_MAYMOVE)) == MAP_FAILED) {
		fatalx("out of memory (mapping %zu bytes)", size);
	}
	ydoc_huge(p, size);
	b->cap = cap;
	doc->nodes.start = p;
	doc->nodes.top = doc->nodes.start + n;
	doc->nodes.end = doc->nodes.start + b->cap;
}

/* A new node of type at mark, numbered as yaml_document_get_node counts. */
static int
ydoc_node(struct ydoc_build *b, yaml_node_type_t type, yaml_mark_t mark)
{
	yaml_document_t *doc = &b->d->doc;
	size_t n = (size_t)(doc->nodes.top - doc->nodes.start);
	yaml_node_t *node;

	if (n == (size_t)INT32_MAX - 1) {
		return -1;
	}
	if (n == b->cap) {
		/* Once streaming began, pointers to the nodes are held. */
		if (b->d->streamed) {
			b->d->overflow = 1;
			return -1;
		}
		ydoc_grow(b, b->cap == 0 ? 1024 : b->cap * 2);
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

/* The slot of the anchor called name, or the free one it would take. */
static struct ydoc_anchor *
ydoc_anchor_slot(struct ydoc_build *b, const char *name, uint64_t h)
{
	size_t mask = b->anchors_cap - 1, i = (size_t)h & mask;

	while (b->anchors[i].name != NULL &&
	    (b->anchors[i].hash != h ||
	        strcmp(b->anchors[i].name, name) != 0)) {
		i = (i + 1) & mask;
	}
	return &b->anchors[i];
}

/* Twice the slots, the anchors placed anew: kept under half full. */
static void
ydoc_anchors_grow(struct ydoc_build *b)
{
	struct ydoc_anchor *old = b->anchors, *slot;
	size_t n = b->anchors_cap, i;

	b->anchors_cap = n == 0 ? 64 : n * 2;
	b->anchors = xcalloc(b->anchors_cap, sizeof *b->anchors);
	for (i = 0; i < n; i++) {
		if (old[i].name != NULL) {
			slot = ydoc_anchor_slot(b, old[i].name, old[i].hash);
			*slot = old[i];
		}
	}
	free(old);
}

static void
ydoc_anchor(struct ydoc_build *b, const yaml_char_t *anchor, int id)
{
	const char *name = (const char *)anchor;
	struct ydoc_anchor *slot;
	uint64_t h;

	if (anchor == NULL) {
		return;
	}
	b->anchored++;
	if (2 * (b->nanchors + 1) > b->anchors_cap) {
		ydoc_anchors_grow(b);
	}
	h = hash_str(HASH_START, name);
	slot = ydoc_anchor_slot(b, name, h);
	/* A name used again names the newer node from there on. */
	if (slot->name == NULL) {
		slot->name = xstrdup(name);
		slot->hash = h;
		b->nanchors++;
	}
	slot->node = id;
}

static int
ydoc_alias(struct ydoc_build *b, const yaml_char_t *anchor)
{
	const char *name = (const char *)anchor;
	struct ydoc_anchor *slot;

	if (b->anchors_cap == 0) {
		return 0;
	}
	slot = ydoc_anchor_slot(b, name, hash_str(HASH_START, name));
	return slot->name != NULL ? slot->node : 0;
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
		if (n > 0) { /* kids is NULL until a collection has any */
			memcpy(items, b->kids + f->first, n * sizeof *items);
		}
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

/* Whether the next node read is a key or value of the streamed mapping. */
static int
ydoc_in_stream(const struct ydoc_build *b)
{
	return b->stream_frames != 0 && b->nframes == b->stream_frames;
}

/* The children read so far of the innermost open collection. */
static size_t
ydoc_nkids(const struct ydoc_build *b)
{
	return b->nkids - b->frames[b->nframes - 1].first;
}

/*
 * Whether the mapping about to start is the one to stream: the value of
 * the root mapping's key s->key. If so (and begin agrees), the root's
 * pairs so far are put in place for begin to read.
 */
static int
ydoc_stream_begins(struct ydoc_build *b)
{
	const struct ydoc_stream *s = b->s;
	yaml_node_t *root, *key;
	yaml_node_pair_t *pairs;
	size_t n, i;

	if (s == NULL || b->d->streamed || b->nframes != 1 ||
	    ydoc_nkids(b) % 2 != 1) {
		return 0;
	}
	root = ydoc_get(b, b->frames[0].node);
	key = ydoc_get(b, b->kids[b->nkids - 1]);
	if (root->type != YAML_MAPPING_NODE || key->type != YAML_SCALAR_NODE ||
	    strcmp((const char *)key->data.scalar.value, s->key) != 0) {
		return 0;
	}
	if (b->cap < YDOC_STREAM_NODES) {
		ydoc_grow(b, YDOC_STREAM_NODES);
		root = ydoc_get(b, b->frames[0].node);
	}
	n = ydoc_nkids(b) / 2;
	pairs = ydoc_alloc(b->d, (n > 0 ? n : 1) * sizeof *pairs);
	for (i = 0; i < n; i++) {
		pairs[i].key = b->kids[b->frames[0].first + 2 * i];
		pairs[i].value = b->kids[b->frames[0].first + 2 * i + 1];
	}
	root->data.mapping.pairs.start = pairs;
	root->data.mapping.pairs.top = root->data.mapping.pairs.end = pairs + n;
	if (s->begin(s->arg) == -1) {
		return 0;
	}
	b->d->streamed = 1;
	return 1;
}

/* An entry of the streamed mapping starts: remember where. */
static void
ydoc_mark(struct ydoc_build *b)
{
	b->mark_nodes = (size_t)(b->d->doc.nodes.top - b->d->doc.nodes.start);
	b->mark_block = b->d->mem;
	b->mark_used = b->d->mem != NULL ? b->d->mem->used : 0;
	b->mark_anchored = b->anchored;
}

/* The entry is read whole: hand it over, then forget it. */
static void
ydoc_entry(struct ydoc_build *b)
{
	struct ydoc *d = b->d;
	int key = b->kids[b->nkids - 2], value = b->kids[b->nkids - 1];

	b->s->entry(b->s->arg, ydoc_get(b, key), ydoc_get(b, value));
	b->nkids -= 2;
	if (b->anchored != b->mark_anchored) {
		return; /* an alias further on may name its nodes */
	}
	d->doc.nodes.top = d->doc.nodes.start + b->mark_nodes;
	if (d->mem != NULL && d->mem == b->mark_block) {
		d->mem->used = b->mark_used;
	}
}

/* After a node or a collection's end: hand over an entry it completes. */
static void
ydoc_stream_step(struct ydoc_build *b)
{
	if (b->stream_frames > b->nframes) {
		b->stream_frames = 0; /* the streamed mapping ended */
	} else if (ydoc_in_stream(b) && ydoc_nkids(b) == 2) {
		ydoc_entry(b);
	}
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
	const yaml_char_t *nul;
	yaml_node_t *node;
	int id, stream = 0;

	if (ydoc_in_stream(b) && ydoc_nkids(b) == 0 &&
	    ev->type != YAML_MAPPING_END_EVENT) {
		ydoc_mark(b);
	}
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
		ydoc_stream_step(b);
		return 0;
	case YAML_SCALAR_EVENT:
		if ((nul = memchr(ev->data.scalar.value, '\0',
		         ev->data.scalar.length)) != NULL) {
			snprintf(d->problem, sizeof d->problem,
			    "a NUL character (\\0) is character %zu of this "
			    "string; no value may hold one",
			    (size_t)(nul - ev->data.scalar.value) + 1);
			return ydoc_fail(parser, d->problem, ev->start_mark);
		}
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
		ydoc_stream_step(b);
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->nframes >= YDOC_MAX_DEPTH) {
			snprintf(d->problem, sizeof d->problem,
			    "lists and mappings nest deeper than %d levels "
			    "here",
			    YDOC_MAX_DEPTH);
			return ydoc_fail(parser, d->problem, ev->start_mark);
		}
		if (ev->type == YAML_MAPPING_START_EVENT) {
			stream = ydoc_stream_begins(b);
		}
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
		if (stream) {
			b->stream_frames = b->nframes;
		}
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		ydoc_close(b, ev->end_mark);
		ydoc_stream_step(b);
		return 0;
	default:
		/* The parser checks the order of events: none else comes. */
		return ydoc_fail(parser, "unexpected event", ev->start_mark);
	}
}

int
ydoc_load(struct ydoc *d, yaml_parser_t *parser)
{
	return ydoc_load_stream(d, parser, NULL);
}

int
ydoc_load_stream(
    struct ydoc *d, yaml_parser_t *parser, const struct ydoc_stream *s)
{
	struct ydoc_build b = { .d = d, .s = s };
	char problem[sizeof d->problem];
	yaml_event_t ev;
	size_t i;
	int rc = -1, done = 0, overflow;

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
	for (i = 0; i < b.anchors_cap; i++) {
		free(b.anchors[i].name);
	}
	free(b.anchors);
	free(b.frames);
	free(b.kids);
	if (rc == -1) {
		/* What the caller reads of the failure outlives the nodes. */
		overflow = d->overflow;
		memcpy(problem, d->problem, sizeof problem);
		ydoc_release(d);
		d->overflow = overflow;
		memcpy(d->problem, problem, sizeof problem);
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
