/*
 * Path resolution shared by twd and twctl, so both agree on where the
 * socket is without talking to each other first.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "xmalloc.h"

/*
 * For getpwuid_r and getgrgid_r, safe on any thread unlike getpwuid's
 * static entry: whether to call again, with a bigger buffer, after rc.
 */
static int
paths_grow(char **buf, size_t *len, int rc)
{
	if (rc != ERANGE || *len >= 16 * 1024 * 1024) {
		return 0;
	}
	*len = *len == 0 ? 4096 : *len * 4;
	*buf = xreallocarray(*buf, *len, 1);
	return 1;
}

struct passwd *
paths_user(uid_t uid, struct passwd *pw, char **buf)
{
	struct passwd *found = NULL;
	size_t len = 0;
	int rc = ERANGE;

	*buf = NULL;
	while (paths_grow(buf, &len, rc)) {
		rc = getpwuid_r(uid, pw, *buf, len, &found);
	}
	return rc == 0 ? found : NULL;
}

struct group *
paths_group(gid_t gid, struct group *gr, char **buf)
{
	struct group *found = NULL;
	size_t len = 0;
	int rc = ERANGE;

	*buf = NULL;
	while (paths_grow(buf, &len, rc)) {
		rc = getgrgid_r(gid, gr, *buf, len, &found);
	}
	return rc == 0 ? found : NULL;
}

char *
paths_home(void)
{
	const char *home = getenv("HOME");
	struct passwd pw;
	char *buf = NULL, *dir;

	if (home != NULL && *home != '\0') {
		return xstrdup(home);
	}
	dir =
	    xstrdup(paths_user(getuid(), &pw, &buf) != NULL ? pw.pw_dir : "/");
	free(buf);
	return dir;
}

/* $VAR if set and absolute (as the XDG spec demands), else ~/fallback. */
static char *
paths_xdg(const char *var, const char *fallback)
{
	const char *v = getenv(var);
	char *home, *p;

	if (v != NULL && v[0] == '/') {
		return xstrdup(v);
	}
	home = paths_home();
	p = xasprintf("%s/%s", home, fallback);
	free(home);
	return p;
}

static const char *
paths_override(const char *flag, const char *var)
{
	const char *v;

	if (flag != NULL && *flag != '\0') {
		return flag;
	}
	if ((v = getenv(var)) != NULL && *v != '\0') {
		return v;
	}
	return NULL;
}

char *
paths_absolute(const char *path)
{
	char cwd[4096];

	if (path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL) {
		return xstrdup(path);
	}
	if (path[0] == '.' && path[1] == '/') {
		path += 2;
	}
	return xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
}

char *
paths_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		return xstrdup(".");
	}
	if (slash == path) {
		return xstrdup("/");
	}
	return xstrndup(path, (size_t)(slash - path));
}

/* flag, else $tw_var, else $xdg_var (or ~/fallback) followed by rest. */
static char *
paths_resolve(const char *flag, const char *tw_var, const char *xdg_var,
    const char *fallback, const char *rest)
{
	const char *o = paths_override(flag, tw_var);
	char *base, *p;

	if (o != NULL) {
		return paths_absolute(o);
	}
	base = paths_xdg(xdg_var, fallback);
	p = xasprintf("%s/%s", base, rest);
	free(base);
	return p;
}

char *
paths_config(const char *flag)
{
	return paths_resolve(flag, "TW_CONFIG", "XDG_CONFIG_HOME", ".config",
	    "taskweaver/tasks.yaml");
}

char *
paths_state_dir(const char *flag)
{
	return paths_resolve(flag, "TW_STATE_DIR", "XDG_STATE_HOME",
	    ".local/state", "taskweaver");
}

char *
paths_socket(const char *flag)
{
	const char *o = paths_override(flag, "TW_SOCKET");
	const char *run = getenv("XDG_RUNTIME_DIR");

	if (o != NULL) {
		return paths_absolute(o);
	}
	if (run != NULL && run[0] == '/') {
		return xasprintf("%s/taskweaver/twd.sock", run);
	}
	return xasprintf("/tmp/taskweaver-%u/twd.sock", (unsigned)getuid());
}

static int
paths_mkdir_parents(char *path)
{
	struct stat sb;
	char *slash;

	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			return 0;
		}
		errno = ENOTDIR;
		return -1;
	}
	if ((slash = strrchr(path, '/')) != NULL && slash != path) {
		*slash = '\0';
		if (paths_mkdir_parents(path) == -1) {
			*slash = '/';
			return -1;
		}
		*slash = '/';
	}
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		return -1;
	}
	return 0;
}

int
paths_make_private_dir(const char *dir, char **cause)
{
	struct stat sb;
	char *copy = xstrdup(dir);
	int rc;

	rc = paths_mkdir_parents(copy);
	free(copy);
	if (rc == -1) {
		*cause = xasprintf(
		    "cannot create directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &sb) == -1) {
		*cause = xasprintf(
		    "cannot use directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (sb.st_uid != getuid()) {
		*cause = xasprintf("directory '%s' belongs to uid %u, not to "
		                   "you (uid %u)",
		    dir, (unsigned)sb.st_uid, (unsigned)getuid());
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		*cause =
		    xasprintf("directory '%s' is open to other users (mode "
		              "%03o); run: chmod 700 '%s'",
		        dir, (unsigned)(sb.st_mode & 0777), dir);
		return -1;
	}
	return 0;
}
