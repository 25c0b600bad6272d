/*
 * A run's log file read in whole records (logfmt.h), a chunk at a time,
 * from where the last read stopped: twctl logs prints with it, -f and the
 * dashboard read on from there each time twd says the log grew.
 */
#ifndef TW_LOGREAD_H
#define TW_LOGREAD_H

#include <sys/types.h>

#include <stddef.h>

#include "logfmt.h"

#define LOG_READ_CHUNK 65536

#define STREAM_BIT(s) (1U << (s))

struct log_reader {
	const char *path; /* borrowed */
	int fd;           /* -1 until the file is there: twd makes it late */
	unsigned int streams; /* STREAM_BITs a reader shows; notes always */
	int json;             /* twctl logs --json: each record a JSON line */
	size_t len;           /* bytes in buf not yet taken */
	char buf[LOG_READ_CHUNK];
};

/* A reader of path from its start; nothing is opened yet. */
void log_reader_init(struct log_reader *, const char *path);
/* Close what init opened. */
void log_reader_close(struct log_reader *);
/* Whether the reader shows rec's stream (notes it always shows). */
int log_reader_wants(const struct log_reader *, const struct logfmt_record *);
/*
 * Call fn for each whole record from the reader's position to the file's
 * end, with the offset it begins at; an unended last record waits for the
 * next call, unless final. A line longer than the buffer (only in a log
 * from an older twd) goes in pieces.
 */
void log_reader_each(struct log_reader *, int final,
    void (*fn)(
        struct log_reader *, const struct logfmt_record *, off_t, void *),
    void *arg);

#endif
