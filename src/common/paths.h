/*
 * Where TaskWeaver keeps things: the tasks file, the state directory and
 * the socket, from a flag, else a TW_* variable, else the XDG locations.
 */
#ifndef TW_PATHS_H
#define TW_PATHS_H

#include <sys/types.h>

struct passwd;
struct group;

/* Each returns an absolute path; caller frees. flag may be NULL. */
char *paths_config(const char *flag);
char *paths_state_dir(const char *flag);
char *paths_socket(const char *flag);

/* $HOME, else the password database's, else "/"; caller frees. */
char *paths_home(void);
/*
 * The user or group entry, or NULL; *buf holds its strings (caller frees
 * it either way). Thread-safe.
 */
struct passwd *paths_user(uid_t, struct passwd *, char **buf);
struct group *paths_group(gid_t, struct group *, char **buf);
/* Make path absolute against the working directory; caller frees. */
char *paths_absolute(const char *path);
/* Directory part of path; caller frees. */
char *paths_dirname(const char *path);

/*
 * Create dir and missing parents (new ones 0700) and check that dir is the
 * user's and closed to others. Returns 0, or -1 with *cause (caller frees).
 */
int paths_make_private_dir(const char *dir, char **cause);

#endif
