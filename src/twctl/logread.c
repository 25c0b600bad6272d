/*
 * Reading a run's log on from where the last read stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "logread.h"

void
log_reader_init(struct log_reader *lr, const char *path)
{
	lr->path = path;
	lr->fd = -1;
	lr->streams = STREAM_BIT(LOGFMT_STDOUT) | STREAM_BIT(LOGFMT_STDERR);
	lr->json = 0;
	lr->len = 0;
}

void
log_reader_close(struct log_reader *lr)
{
	if (lr->fd != -1) {
		close(lr->fd);
		lr->fd = -1;
	}
	lr->len = 0;
}

int
log_reader_wants(const struct log_reader *lr, const struct logfmt_record *rec)
{
	return rec->stream == LOGFMT_NOTE ||
	    (lr->streams & STREAM_BIT(rec->stream));
}

void
log_reader_each(struct log_reader *lr, int final,
    void (*fn)(
        struct log_reader *, const struct logfmt_record *, off_t, void *),
    void *arg)
{
	struct logfmt_record rec;
	off_t at;
	char *p, *nl;
	size_t left;
	ssize_t n;

	if (lr->fd == -1 &&
	    (lr->fd = open(lr->path, O_RDONLY | O_CLOEXEC)) == -1) {
		return;
	}
	at = lseek(lr->fd, 0, SEEK_CUR) - (off_t)lr->len;
	for (;;) {
		n = read(lr->fd, lr->buf + lr->len, sizeof lr->buf - lr->len);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n > 0) {
			lr->len += (size_t)n;
		}
		p = lr->buf;
		left = lr->len;
		while ((nl = memchr(p, '\n', left)) != NULL) {
			logfmt_parse(p, (size_t)(nl - p), &rec);
			fn(lr, &rec, at, arg);
			at += nl - p + 1;
			left -= (size_t)(nl - p + 1);
			p = nl + 1;
		}
		if (left == sizeof lr->buf || (n <= 0 && final && left > 0)) {
			logfmt_parse(p, left, &rec);
			rec.complete = 0;
			fn(lr, &rec, at, arg);
			at += (off_t)left;
			left = 0;
		}
		memmove(lr->buf, p, left);
		lr->len = left;
		if (n <= 0) {
			return;
		}
	}
}
