/*
 * Logging: one line per message, "TIME LEVEL message". The log's settings are
 * the one piece of file-scope state, as every function may need to log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"

static struct {
	FILE *fp;
	enum log_level level;
} log_state = { NULL, LOG_LEVEL_INFO };

static void log_vwrite(enum log_level, const char *, va_list, int)
    __attribute__((format(printf, 2, 0)));

void
log_open(FILE *fp, enum log_level level)
{
	log_state.fp = fp;
	log_state.level = level;
}

void
log_set_stream(FILE *fp)
{
	log_state.fp = fp;
}

/* A line longer than this is cut; the daemon's are a few hundred bytes. */
#define LOG_LINE_MAX 8192

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap, int errnum)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	FILE *fp = log_state.fp != NULL ? log_state.fp : stderr;
	struct timeval tv;
	struct tm tm;
	char line[LOG_LINE_MAX];
	size_t n;
	int w;

	if (level > log_state.level) {
		return;
	}
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	/* Made whole first: one write(2) a line, not five on unbuffered stderr. */
	n = strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S ", &tm);
	n += (size_t)snprintf(line + n, sizeof line - n, "%s: ", names[level]);
	if ((w = vsnprintf(line + n, sizeof line - n, fmt, ap)) > 0) {
		n += (size_t)w;
	}
	if (errnum != 0 && n < sizeof line) {
		n += (size_t)snprintf(
		    line + n, sizeof line - n, ": %s", strerror(errnum));
	}
	if (n > sizeof line - 2) {
		n = sizeof line - 2;
	}
	line[n++] = '\n';
	fwrite(line, 1, n, fp);
	fflush(fp);
}

#define LOG_FUNC(name, level)                                                  \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(level, fmt, ap, 0);                                 \
		va_end(ap);                                                    \
	}

LOG_FUNC(log_error, LOG_LEVEL_ERROR)
LOG_FUNC(log_warn, LOG_LEVEL_WARN)
LOG_FUNC(log_info, LOG_LEVEL_INFO)
LOG_FUNC(log_debug, LOG_LEVEL_DEBUG)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
