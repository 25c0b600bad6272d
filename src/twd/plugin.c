/*
 * Plugins found and described (plugin.h).
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin.h"
#include "timefmt.h"
#include "xmalloc.h"

extern char **environ;

#ifndef TW_PLUGIN_DIR
#define TW_PLUGIN_DIR "/usr/local/lib/taskweaver/plugins"
#endif

char **
plugin_dirs(char *const *dirs, const char *home)
{
	const char *data = getenv("XDG_DATA_HOME");
	char **v = strv_copy(dirs);
	size_t n = 0;

	while (v != NULL && v[n] != NULL) {
		n++;
	}
	if (data != NULL && data[0] == '/') {
		strv_add(&v, &n, xasprintf("%s/taskweaver/plugins", data));
	} else if (home != NULL) {
		strv_add(&v, &n,
		    xasprintf("%s/.local/share/taskweaver/plugins", home));
	}
	strv_add(&v, &n, xstrdup(TW_PLUGIN_DIR));
	return v;
}

/* Whether name may name a plugin: a file name, not a path. */
static int
plugin_name_ok(const char *name)
{
	return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL &&
	    strlen(name) < 128;
}

char *
plugin_find(char *const *dirs, const char *name, char **cause)
{
	char *path, *searched = NULL, *s;
	size_t i;

	if (!plugin_name_ok(name)) {
		*cause = xasprintf("'%s' is not a plugin's name (a file "
		                   "name, no '/')",
		    name);
		return NULL;
	}
	for (i = 0; dirs[i] != NULL; i++) {
		path = xasprintf("%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0) {
			free(searched);
			return path;
		}
		free(path);
		s = xasprintf("%s%s%s", searched != NULL ? searched : "",
		    searched != NULL ? ", " : "", dirs[i]);
		free(searched);
		searched = s;
	}
	*cause = xasprintf("no plugin named '%s' (an executable file) in %s",
	    name, searched != NULL ? searched : "no directory");
	free(searched);
	return NULL;
}

void
plugin_free(struct plugin *p)
{
	if (p == NULL) {
		return;
	}
	free(p->name);
	free(p->path);
	free(p->version);
	free(p->summary);
	json_decref(p->params);
	free(p);
}

const char *
plugin_kinds_name(unsigned kinds)
{
	switch (kinds) {
	case PLUGIN_TASK:
		return "task";
	case PLUGIN_NOTIFIER:
		return "notifier";
	default:
		return "task, notifier";
	}
}

/*
 * Run path describe: its stdout into *out (caller frees), at most
 * PLUGIN_DESCRIBE_BYTES, within PLUGIN_DESCRIBE_MS. 0, or -1 with *cause.
 */
static int
describe_run(const char *path, char **out, char **cause)
{
	char *const argv[] = { (char *)path, (char *)"describe", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int64_t deadline = timefmt_mono_ms() + PLUGIN_DESCRIBE_MS, left;
	size_t n = 0, cap = 4096;
	char *buf = xmalloc(cap);
	struct pollfd pfd;
	int fds[2], rc, st = 0, timed_out = 0;
	sigset_t none;
	ssize_t got;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		free(buf);
		*cause = xasprintf("cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(
	    &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&pid, path, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		free(buf);
		*cause = xasprintf("cannot run it: %s", strerror(rc));
		return -1;
	}
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		if ((left = deadline - timefmt_mono_ms()) <= 0) {
			timed_out = 1;
			break;
		}
		if ((rc = poll(&pfd, 1, (int)left)) <= 0) {
			if (rc == -1 && errno == EINTR) {
				continue;
			}
			timed_out = rc == 0;
			break;
		}
		if (n + 1 >= cap) {
			if (cap >= PLUGIN_DESCRIBE_BYTES) {
				break;
			}
			cap *= 2;
			buf = xreallocarray(buf, cap, 1);
		}
		got = read(fds[0], buf + n, cap - 1 - n);
		if (got == -1 && errno == EINTR) {
			continue;
		}
		if (got <= 0) {
			break;
		}
		n += (size_t)got;
	}
	close(fds[0]);
	buf[n] = '\0';
	if (timed_out || n + 1 >= PLUGIN_DESCRIBE_BYTES) {
		kill(-pid, SIGKILL);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {
	}
	if (timed_out) {
		free(buf);
		*cause = xasprintf("'describe' did not end within %d s",
		    PLUGIN_DESCRIBE_MS / 1000);
		return -1;
	}
	if (n + 1 >= PLUGIN_DESCRIBE_BYTES) {
		free(buf);
		*cause = xasprintf("'describe' said more than %d bytes",
		    PLUGIN_DESCRIBE_BYTES);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		free(buf);
		*cause = WIFEXITED(st)
		    ? xasprintf("'describe' exited %d", WEXITSTATUS(st))
		    : xasprintf(
		          "'describe' was killed by signal %d", WTERMSIG(st));
		return -1;
	}
	*out = buf;
	return 0;
}

/* The types a parameter may have. */
static const char *const param_types[] = { "string", "integer", "number",
	"boolean", "duration", "list", "map", "any" };

/* Whether params is a schema this twd reads; NULL, or why not. */
static char *
params_check(json_t *params)
{
	const char *name, *type;
	json_t *p;
	size_t i;

	if (!json_is_object(params)) {
		return xstrdup("'params' must be an object of parameters");
	}
	json_object_foreach(params, name, p)
	{
		type = json_string_value(json_object_get(p, "type"));
		for (i = 0; type != NULL &&
		     i < sizeof param_types / sizeof param_types[0] &&
		     strcmp(type, param_types[i]) != 0;
		     i++) {
		}
		if (!json_is_object(p) || type == NULL ||
		    i == sizeof param_types / sizeof param_types[0]) {
			return xasprintf("parameter '%s' has no type of "
			                 "string, integer, number, boolean, "
			                 "duration, list, map or any",
			    name);
		}
	}
	return NULL;
}

/* The plugin of describe's output text. */
static struct plugin *
describe_parse(
    const char *path, const char *name, const char *text, char **cause)
{
	json_error_t jerr;
	json_t *o, *kind, *v;
	struct plugin *p;
	char *why;
	size_t i;

	if ((o = json_loads(text, 0, &jerr)) == NULL || !json_is_object(o)) {
		*cause = o == NULL
		    ? xasprintf("'describe' did not print JSON (%s, line %d)",
		          jerr.text, jerr.line)
		    : xstrdup("'describe' did not print a JSON object");
		json_decref(o);
		return NULL;
	}
	v = json_object_get(o, "protocol");
	if (!json_is_integer(v) || json_integer_value(v) != PLUGIN_PROTOCOL) {
		*cause = json_is_integer(v)
		    ? xasprintf("it speaks protocol %lld; this twd speaks %d",
		          (long long)json_integer_value(v), PLUGIN_PROTOCOL)
		    : xasprintf("'describe' says no protocol; this twd "
		                "speaks %d",
		          PLUGIN_PROTOCOL);
		json_decref(o);
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(name);
	p->path = xstrdup(path);
	p->version = xstrdup(json_is_string(json_object_get(o, "version"))
	        ? json_string_value(json_object_get(o, "version"))
	        : "?");
	p->summary = xstrdup(json_is_string(json_object_get(o, "summary"))
	        ? json_string_value(json_object_get(o, "summary"))
	        : "");
	kind = json_object_get(o, "kind");
	json_array_foreach(kind, i, v)
	{
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), "task") == 0) {
			p->kinds |= PLUGIN_TASK;
		} else if (json_is_string(v) &&
		    strcmp(json_string_value(v), "notifier") == 0) {
			p->kinds |= PLUGIN_NOTIFIER;
		}
	}
	p->params = json_incref(json_object_get(o, "params"));
	if (p->params == NULL) {
		p->params = json_object();
	}
	json_decref(o);
	if (p->kinds == 0) {
		*cause = xstrdup("'describe' gives no kind: [\"task\"], "
		                 "[\"notifier\"] or both");
		plugin_free(p);
		return NULL;
	}
	if ((why = params_check(p->params)) != NULL) {
		*cause = xasprintf("'describe': %s", why);
		free(why);
		plugin_free(p);
		return NULL;
	}
	return p;
}

/*
 * What each plugin file said, by its path, size and mtime: a load of
 * 10,000 tasks of one type runs describe once. Reloads run on a thread of
 * their own, so the cache has a lock.
 */
static struct cached {
	char *path;
	off_t size;
	struct timespec mtime;
	char *text;
} * cache;
static size_t ncache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

struct plugin *
plugin_describe(const char *path, const char *name, char **cause)
{
	struct plugin *p;
	struct stat sb;
	char *text = NULL;
	size_t i;

	if (stat(path, &sb) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < ncache; i++) {
		if (strcmp(cache[i].path, path) == 0) {
			break;
		}
	}
	if (i < ncache && cache[i].size == sb.st_size &&
	    cache[i].mtime.tv_sec == sb.st_mtim.tv_sec &&
	    cache[i].mtime.tv_nsec == sb.st_mtim.tv_nsec) {
		text = xstrdup(cache[i].text);
	}
	pthread_mutex_unlock(&cache_lock);
	if (text == NULL) {
		if (describe_run(path, &text, cause) == -1) {
			char *c = xasprintf(
			    "plugin '%s' (%s): %s", name, path, *cause);
			free(*cause);
			*cause = c;
			return NULL;
		}
		pthread_mutex_lock(&cache_lock);
		for (i = 0; i < ncache && strcmp(cache[i].path, path) != 0;
		     i++) {
		}
		if (i == ncache) {
			cache = xreallocarray(cache, ncache + 1, sizeof *cache);
			cache[ncache].path = xstrdup(path);
			cache[ncache++].text = NULL;
		}
		free(cache[i].text);
		cache[i].text = xstrdup(text);
		cache[i].size = sb.st_size;
		cache[i].mtime = sb.st_mtim;
		pthread_mutex_unlock(&cache_lock);
	}
	p = describe_parse(path, name, text, cause);
	if (p == NULL) {
		char *c = xasprintf("plugin '%s' (%s): %s", name, path, *cause);
		free(*cause);
		*cause = c;
	}
	free(text);
	return p;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
plugin_list(char *const *dirs)
{
	char **v = NULL, *path;
	size_t n = 0, i, j;
	struct dirent *de;
	DIR *d;

	for (i = 0; dirs[i] != NULL; i++) {
		if ((d = opendir(dirs[i])) == NULL) {
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (!plugin_name_ok(de->d_name)) {
				continue;
			}
			path = xasprintf("%s/%s", dirs[i], de->d_name);
			for (j = 0; j < n && strcmp(v[j], de->d_name) != 0;
			     j++) {
			}
			if (j == n && access(path, X_OK) == 0) {
				strv_add(&v, &n, xstrdup(de->d_name));
			}
			free(path);
		}
		closedir(d);
	}
	if (n > 1) {
		qsort(v, n, sizeof *v, name_cmp);
	}
	return v;
}
