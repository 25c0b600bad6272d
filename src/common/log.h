/*
 * Logging for the daemon and tools: timestamped lines to stderr or a file,
 * and the two ways a program may end on an error (fatal, fatalx).
 */
#ifndef TW_LOG_H
#define TW_LOG_H

#include <stdio.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Log to fp (not owned; NULL means stderr) at level and more severe. */
void log_open(FILE *fp, enum log_level level);
/* Reopen the log on a different stream, e.g. after daemonizing. */
void log_set_stream(FILE *fp);

void log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

/* End the process: fatal appends strerror(errno), fatalx does not. */
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
