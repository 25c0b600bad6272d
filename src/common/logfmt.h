/*
 * The format of a run's log file, shared by twd (which writes it) and twctl
 * (which reads it). One record per line: a tag letter, a space, the text.
 *
 *	O text	a line the job wrote to stdout
 *	E text	a line it wrote to stderr
 *	T text	a note from twd (output discarded past max_output, ...)
 *
 * A lower-case tag (o, e) marks a piece of a line that did not end there:
 * the job paused without a newline, the line was longer than
 * LOGFMT_LINE_MAX, or its output ended. Concatenating the text of every
 * record of a stream, with a newline after each upper-case one, gives back
 * exactly the bytes the job wrote to it.
 */
#ifndef TW_LOGFMT_H
#define TW_LOGFMT_H

#include <stddef.h>

/* Longest text in one record; longer lines are cut into pieces. */
#define LOGFMT_LINE_MAX 8192

enum logfmt_stream {
	LOGFMT_STDOUT,
	LOGFMT_STDERR,
	LOGFMT_NOTE,
};

struct logfmt_record {
	enum logfmt_stream stream;
	int complete; /* a newline ended it */
	const char *text;
	size_t len;
};

/* Bytes logfmt_encode writes for text of len bytes. */
#define LOGFMT_ENCODED_LEN(len) ((len) + 3)

/* Write rec as a record line into dst (LOGFMT_ENCODED_LEN bytes). */
size_t logfmt_encode(char *dst, const struct logfmt_record *rec);
/*
 * Parse one record line, without its newline; rec->text points into line.
 * A line that is no record (a log of an older twd) reads as a whole line of
 * stdout.
 */
void logfmt_parse(const char *line, size_t len, struct logfmt_record *rec);

/* "stdout", "stderr", "note". */
const char *logfmt_stream_name(enum logfmt_stream);

#endif
