/*
 * Run log records; see logfmt.h for the format.
 */
#include <string.h>

#include "logfmt.h"

static const char logfmt_tags[] = { 'O', 'E', 'T' };

size_t
logfmt_encode(char *dst, const struct logfmt_record *rec)
{
	char tag = logfmt_tags[rec->stream];

	if (!rec->complete && rec->stream != LOGFMT_NOTE) {
		tag = (char)(tag - 'A' + 'a');
	}
	dst[0] = tag;
	dst[1] = ' ';
	memcpy(dst + 2, rec->text, rec->len);
	dst[rec->len + 2] = '\n';
	return LOGFMT_ENCODED_LEN(rec->len);
}

void
logfmt_parse(const char *line, size_t len, struct logfmt_record *rec)
{
	size_t i;
	char tag;

	rec->stream = LOGFMT_STDOUT;
	rec->complete = 1;
	rec->text = line;
	rec->len = len;
	if (len < 2 || line[1] != ' ') {
		return;
	}
	tag = line[0];
	for (i = 0; i < sizeof logfmt_tags; i++) {
		if (tag == logfmt_tags[i] ||
		    (i != LOGFMT_NOTE && tag == logfmt_tags[i] - 'A' + 'a')) {
			rec->stream = (enum logfmt_stream)i;
			rec->complete = tag == logfmt_tags[i];
			rec->text = line + 2;
			rec->len = len - 2;
			return;
		}
	}
}

const char *
logfmt_stream_name(enum logfmt_stream s)
{
	static const char *const names[] = { "stdout", "stderr", "note" };

	return names[s];
}
