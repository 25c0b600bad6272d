/*
 * Crontab to tasks file. Each entry becomes a task named after its
 * program; what cron did implicitly is spelled out: the shell, the
 * environment lines above it, the zone, % as standard input, and MAILTO as
 * a mail notifier (on failures; cron mailed any output).
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crontab.h"
#include "schedule.h"
#include "xmalloc.h"

#define NAME_MAX_LEN 40

/* The environment lines seen so far: they apply to the entries below. */
struct cron_env {
	char *shell;
	char *mailto;
	char *tz;
	json_t *env; /* other NAME=value lines */
};

struct convert {
	struct crontab_result *out;
	struct cron_env env;
	json_t *tasks;       /* name -> task, in order */
	json_t *notifiers;   /* name -> notifier */
	const json_t *taken; /* names in use already, or NULL */
	const json_t *known; /* crontab_key -> task name, or NULL */
	char *comment;       /* the comment lines just above an entry */
	size_t lineno;       /* of the line being read */
};

/* "line N: what" at the end of list (*n of them); what is taken. */
static void
line_note(char ***list, size_t *n, size_t lineno, char *what)
{
	*list = xreallocarray(*list, *n + 1, sizeof **list);
	(*list)[(*n)++] = xasprintf("line %zu: %s", lineno, what);
	free(what);
}

static void
problem(struct convert *cv, size_t lineno, const char *fmt, const char *arg)
{
	line_note(&cv->out->problems, &cv->out->nproblems, lineno,
	    xasprintf(fmt, arg));
}

/* s without the blanks around it, in place. */
static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s)) {
		s++;
	}
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1])) {
		*--e = '\0';
	}
	return s;
}

/* NAME=value (as cron reads it: blanks around =, quotes stripped). */
static int
env_line(struct convert *cv, char *line)
{
	char *eq, *name = line, *value, *p;
	size_t n;

	if (!isalpha((unsigned char)*line) && *line != '_') {
		return 0;
	}
	for (p = line; isalnum((unsigned char)*p) || *p == '_'; p++) {
	}
	eq = p;
	while (*eq == ' ' || *eq == '\t') {
		eq++;
	}
	if (*eq != '=') {
		return 0;
	}
	*p = '\0';
	value = trim(eq + 1);
	n = strlen(value);
	if (n >= 2 && (value[0] == '"' || value[0] == '\'') &&
	    value[n - 1] == value[0]) {
		value[n - 1] = '\0';
		value++;
	}
	if (strcmp(name, "SHELL") == 0) {
		free(cv->env.shell);
		cv->env.shell = xstrdup(value);
	} else if (strcmp(name, "MAILTO") == 0) {
		free(cv->env.mailto);
		cv->env.mailto = *value != '\0' ? xstrdup(value) : NULL;
	} else if (strcmp(name, "CRON_TZ") == 0 || strcmp(name, "TZ") == 0) {
		/* Both set the schedule's zone; TZ is the jobs' too. */
		free(cv->env.tz);
		cv->env.tz = xstrdup(value);
		if (strcmp(name, "TZ") == 0) {
			json_object_set_new(
			    cv->env.env, name, json_string(value));
		}
	} else {
		json_object_set_new(cv->env.env, name, json_string(value));
	}
	return 1;
}

/*
 * The schedule and command of an entry, or -1 with *why; the command
 * points into line.
 */
static int
entry_split(char *line, char **expr, char **command, char **why)
{
	char *p = line;
	int fields, want;

	want = *p == '@' ? 1 : 5;
	for (fields = 0; fields < want; fields++) {
		while (*p != '\0' && !isspace((unsigned char)*p)) {
			p++;
		}
		if (*p == '\0') {
			*why = xstrdup("not an entry: five time fields (or an "
			               "@macro) and a command are needed");
			return -1;
		}
		if (fields < want - 1) {
			while (isspace((unsigned char)*p)) {
				p++;
			}
		}
	}
	*p++ = '\0';
	*command = trim(p);
	*expr = line;
	if (**command == '\0') {
		*why = xstrdup("the entry has no command");
		return -1;
	}
	return 0;
}

/*
 * cron's %: the first unescaped one starts standard input, the others are
 * newlines in it; \% is a %. Returns the command for a shell.
 */
static char *
entry_command(const char *cmd)
{
	char *before = xcalloc(1, strlen(cmd) + 1), *out, *q, *line;
	const char *p = cmd, *stdin_at = NULL;
	char **lines = NULL;
	size_t n = 0, nlines = 0, i;

	for (; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == '%') {
			before[n++] = '%';
			p++;
		} else if (*p == '%') {
			stdin_at = p + 1;
			break;
		} else {
			before[n++] = *p;
		}
	}
	if (stdin_at == NULL) {
		return before;
	}
	/* The input, % by %, each line quoted for the shell. */
	line = xcalloc(1, strlen(stdin_at) + 1);
	for (n = 0, p = stdin_at;; p++) {
		if (p[0] == '\\' && p[1] == '%') {
			line[n++] = '%';
			p++;
			continue;
		}
		if (*p != '%' && *p != '\0') {
			line[n++] = *p;
			continue;
		}
		line[n] = '\0';
		lines = xreallocarray(lines, nlines + 1, sizeof *lines);
		lines[nlines] = xcalloc(1, strlen(line) * 4 + 3);
		q = lines[nlines++];
		*q++ = '\'';
		for (i = 0; line[i] != '\0'; i++) {
			if (line[i] == '\'') {
				memcpy(q, "'\\''", 4);
				q += 4;
			} else {
				*q++ = line[i];
			}
		}
		*q++ = '\'';
		n = 0;
		if (*p == '\0') {
			/* A last %: the final newline, which printf writes. */
			if (nlines > 1 &&
			    strcmp(lines[nlines - 1], "''") == 0) {
				free(lines[--nlines]);
			}
			break;
		}
	}
	out = xstrdup("printf '%s\\n'");
	for (i = 0; i < nlines; i++) {
		q = xasprintf("%s %s", out, lines[i]);
		free(out);
		free(lines[i]);
		out = q;
	}
	q = xasprintf("%s | (\n%s\n)", out, before);
	free(out);
	free(lines);
	free(line);
	free(before);
	return q;
}

/* The words of a command line, quotes removed; separators apart. */
#define WORDS_MAX 48

struct words {
	char *v[WORDS_MAX];
	size_t n;
};

static void
words_split(struct words *w, const char *cmd)
{
	const char *p = cmd;
	char *word, quote;
	size_t n;

	w->n = 0;
	while (*p != '\0' && w->n < WORDS_MAX) {
		while (isspace((unsigned char)*p)) {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		word = xcalloc(1, strlen(p) + 1);
		n = 0;
		if (strchr(";&|", *p) != NULL) {
			/* ;, &&, ||, | and & as words of their own */
			word[n++] = *p++;
			if (*p == word[0] && *p != ';') {
				word[n++] = *p++;
			}
		} else {
			for (quote = 0; *p != '\0'; p++) {
				if (quote != 0 && *p == quote) {
					quote = 0;
				} else if (quote == 0 &&
				    (*p == '\'' || *p == '"')) {
					quote = *p;
				} else if (quote == 0 &&
				    (isspace((unsigned char)*p) ||
				        strchr(";&|", *p) != NULL)) {
					break;
				} else {
					word[n++] = *p;
				}
			}
		}
		w->v[w->n++] = word;
	}
}

static void
words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->v[i]);
	}
	w->n = 0;
}

static int
word_in(const char *word, const char *const *set)
{
	for (; *set != NULL; set++) {
		if (strcmp(word, *set) == 0) {
			return 1;
		}
	}
	return 0;
}

static int
word_ends(const char *word)
{
	return word_in(
	    word, (const char *const[]){ ";", "&&", "||", "|", "&", NULL });
}

/* The last part of a path, without a script's extension. */
static const char *
word_base(const char *word, char *buf, size_t len)
{
	static const char *const exts[] = { ".sh", ".bash", ".py", ".pl", ".rb",
		".js", ".php", NULL };
	const char *base, *dot;
	size_t n;

	n = strlen(word);
	while (n > 1 && word[n - 1] == '/') {
		n--;
	}
	for (base = word + n; base > word && base[-1] != '/'; base--) {
	}
	n -= (size_t)(base - word);
	if ((dot = memrchr(base, '.', n)) != NULL && dot > base &&
	    word_in(dot, exts)) {
		n = (size_t)(dot - base);
	}
	snprintf(buf, len, "%.*s", (int)n, base);
	return buf;
}

/* A file's name without its directory or any extension. */
static const char *
word_stem(const char *word, char *buf, size_t len)
{
	char *dot;

	word_base(word, buf, len);
	if ((dot = strrchr(buf, '.')) != NULL && dot > buf) {
		*dot = '\0';
	}
	return buf;
}

/*
 * The word that says what the job runs: past variables, a cd DIR &&, a
 * sleep N; or a test &&, wrappers (nice, timeout, flock...) and their
 * options, and an interpreter to its script. Returns its index, or w->n.
 */
static size_t
words_program(const struct words *w)
{
	static const char *const wrappers[] = { "nice", "ionice", "nohup",
		"env", "exec", "command", "chronic", "time", "/usr/bin/time",
		"/usr/bin/env", "timeout", "flock", "setsid", "stdbuf", NULL };
	static const char *const valued[] = { "-n", "-c", "-w", "-E", "-s",
		"-k", "-o", "-e", "-i", NULL };
	static const char *const skipped[] = { "cd", "sleep", "[", "test",
		"true", ":", NULL };
	static const char *const interpreters[] = { "sh", "bash", "dash", "zsh",
		"python", "python3", "perl", "ruby", "node", "php", NULL };
	char buf[64];
	size_t i = 0;
	int takes;

	while (i < w->n) {
		if (strchr(w->v[i], '=') != NULL && w->v[i][0] != '=') {
			i++;
		} else if (word_in(w->v[i], skipped)) {
			while (i < w->n && !word_ends(w->v[i])) {
				i++;
			}
			i += i < w->n;
		} else if (word_in(w->v[i], wrappers)) {
			/* timeout DURATION, flock FILE: one word more. */
			takes = strcmp(w->v[i], "timeout") == 0 ||
			    strcmp(w->v[i], "flock") == 0;
			for (i++; i < w->n && w->v[i][0] == '-'; i++) {
				if (word_in(w->v[i], valued)) {
					i++;
				}
			}
			i += takes && i < w->n;
		} else if (word_in(word_base(w->v[i], buf, sizeof buf),
		               interpreters) &&
		    i + 1 < w->n && w->v[i + 1][0] != '-' &&
		    !word_ends(w->v[i + 1])) {
			return i + 1;
		} else {
			return i;
		}
	}
	return w->n;
}

/* s as a piece of a task name: letters, digits, '-', '_', '.'. */
static void
name_append(char *name, size_t len, const char *s)
{
	size_t n = strlen(name);

	if (n > 0 && n + 1 < len && name[n - 1] != '-') {
		name[n++] = '-';
	}
	for (; *s != '\0' && n + 1 < len; s++) {
		if (isalnum((unsigned char)*s) || *s == '_' ||
		    (*s == '.' && n > 0)) {
			name[n++] = *s;
		} else if (n > 0 && name[n - 1] != '-') {
			name[n++] = '-';
		}
	}
	while (n > 0 && (name[n - 1] == '-' || name[n - 1] == '.')) {
		n--;
	}
	name[n] = '\0';
}

/*
 * What a program that says little by its name works on: the host of a
 * URL, the subject of a mail, the file output goes to, or the first path.
 */
static const char *
words_object(const struct words *w, size_t prog, char *buf, size_t len)
{
	const char *host, *end;
	size_t i;

	for (i = prog + 1; i < w->n && !word_ends(w->v[i]); i++) {
		if ((host = strstr(w->v[i], "://")) != NULL) {
			host += 3;
			end = host + strcspn(host, ":/?");
			snprintf(buf, len, "%.*s", (int)(end - host), host);
			return buf;
		}
		if (strcmp(w->v[i], "-s") == 0 && i + 1 < w->n) {
			snprintf(buf, len, "%s", w->v[i + 1]);
			return buf;
		}
	}
	for (i = prog + 1; i < w->n && !word_ends(w->v[i]); i++) {
		if ((strcmp(w->v[i], ">") == 0 || strcmp(w->v[i], ">>") == 0) &&
		    i + 1 < w->n && strcmp(w->v[i + 1], "/dev/null") != 0) {
			return word_stem(w->v[i + 1], buf, len);
		}
		if ((w->v[i][0] == '>' || strncmp(w->v[i], "1>", 2) == 0) &&
		    strstr(w->v[i], "/dev/null") == NULL &&
		    w->v[i][strspn(w->v[i], "1>")] != '\0') {
			return word_stem(
			    w->v[i] + strspn(w->v[i], "1>"), buf, len);
		}
	}
	for (i = prog + 1; i < w->n && !word_ends(w->v[i]); i++) {
		if (w->v[i][0] != '-' && w->v[i][0] != '>' &&
		    (strchr(w->v[i], '/') != NULL || w->v[i][0] == '~')) {
			return word_base(w->v[i], buf, len);
		}
	}
	return NULL;
}

/*
 * A task name that says what the job is: its program (a script without
 * its extension), and for a program that says little alone (curl, find,
 * rsync...) what it works on. A name taken is told apart by the job's
 * first argument, then by -2, -3...
 */
static char *
entry_name(struct convert *cv, const char *cmd)
{
	static const char *const vague[] = { "echo", "printf", "date", "find",
		"curl", "wget", "mail", "mailx", "rm", "touch", "cp", "mv",
		"tar", "rsync", "cat", "ls", "du", "df", "git", "make",
		"docker", "systemctl", "run-parts", "ping", "ssh", "scp",
		"psql", "mysql", "mysqldump", "pg_dump", "sqlite3", NULL };
	char name[NAME_MAX_LEN + 1], buf[NAME_MAX_LEN + 1], *unique;
	const char *object;
	struct words w;
	size_t prog, i;

	words_split(&w, cmd);
	name[0] = '\0';
	if ((prog = words_program(&w)) < w.n) {
		name_append(
		    name, sizeof name, word_base(w.v[prog], buf, sizeof buf));
		if (word_in(name, vague) &&
		    (object = words_object(&w, prog, buf, sizeof buf)) !=
		        NULL) {
			name_append(name, sizeof name, object);
		}
	}
	if (name[0] == '\0' || strspn(name, "0123456789") == strlen(name)) {
		strcpy(name, "job");
	}
	unique = xstrdup(name);
	/* Told apart by a word (--verify), not a letter (-a). */
	if ((json_object_get(cv->tasks, unique) != NULL ||
	        json_object_get(cv->taken, unique) != NULL) &&
	    prog + 1 < w.n && !word_ends(w.v[prog + 1]) &&
	    !(w.v[prog + 1][0] == '-' && w.v[prog + 1][1] != '-')) {
		name_append(name, sizeof name, w.v[prog + 1]);
		free(unique);
		unique = xstrdup(name);
	}
	for (i = 2; json_object_get(cv->tasks, unique) != NULL ||
	     json_object_get(cv->taken, unique) != NULL;
	     i++) {
		free(unique);
		unique = xasprintf("%s-%zu", name, i);
	}
	words_free(&w);
	return unique;
}

/* The notifier for the current MAILTO, made once per address. */
static const char *
entry_mailto(struct convert *cv)
{
	const char *key;
	json_t *v;
	char *name;

	json_object_foreach(cv->notifiers, key, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "to")),
		        cv->env.mailto) == 0) {
			return key;
		}
	}
	name = xstrdup("mailto");
	for (size_t i = 2; json_object_get(cv->notifiers, name) != NULL ||
	     json_object_get(cv->taken, name) != NULL;
	     i++) {
		free(name);
		name = xasprintf("mailto-%zu", i);
	}
	json_object_set_new(cv->notifiers, name,
	    json_pack("{s:s, s:s}", "type", "mail", "to", cv->env.mailto));
	/* The key as the object keeps it, valid as long as it is. */
	key = json_object_iter_key(json_object_iter_at(cv->notifiers, name));
	free(name);
	return key;
}

/*
 * An entry (of a line, or of a commented-out line when disabled). Returns
 * 0, or -1 with *why when it is not one.
 */
static int
entry(struct convert *cv, char *line, int disabled, char **why)
{
	char *expr, *cmd, *name, *command, *key, *warning = NULL;
	struct schedule *s;
	json_t *t, *v;

	if (entry_split(line, &expr, &cmd, why) == -1) {
		return -1;
	}
	if ((s = schedule_cron_seeded(expr, 0, &warning, why)) == NULL) {
		return -1;
	}
	command = entry_command(cmd);
	key = crontab_key(s, command);
	schedule_free(s);
	if ((v = json_object_get(cv->known, key)) != NULL) {
		line_note(&cv->out->known, &cv->out->nknown, cv->lineno,
		    xasprintf(
		        "the tasks file has it as '%s'", json_string_value(v)));
		free(warning);
		free(command);
		free(key);
		return 0;
	}
	free(key);
	name = entry_name(cv, cmd);
	if (warning != NULL) {
		line_note(&cv->out->warnings, &cv->out->nwarnings, cv->lineno,
		    warning);
	}
	if (strchr(expr, '~') != NULL) {
		line_note(&cv->out->warnings, &cv->out->nwarnings, cv->lineno,
		    xasprintf("'%s' has a random range: twd chooses its value "
		              "once, from the task's name ('%s'), so it may "
		              "not be the one cron chose",
		        expr, name));
	}
	t = json_object();
	if (cv->comment != NULL) {
		json_object_set_new(t, "description", json_string(cv->comment));
	}
	json_object_set_new(t, "command", json_string(command));
	free(command);
	json_object_set_new(t, "schedule", json_string(expr));
	/*
	 * What cron meant, whatever defaults the file it joins has: its zone
	 * (the system's, unless CRON_TZ or TZ said), and no time limit.
	 */
	json_object_set_new(t, "timezone",
	    json_string(cv->env.tz != NULL ? cv->env.tz : "local"));
	json_object_set_new(t, "timeout", json_string("none"));
	if (cv->env.shell != NULL) {
		json_object_set_new(
		    t, "shell", json_pack("[s,s]", cv->env.shell, "-c"));
	}
	if (json_object_size(cv->env.env) > 0) {
		json_object_set_new(t, "env", json_deep_copy(cv->env.env));
	}
	if (cv->env.mailto != NULL) {
		json_object_set_new(t, "notify",
		    json_pack("{s:[s], s:[s]}", "on", "failure", "via",
		        entry_mailto(cv)));
	}
	if (disabled) {
		json_object_set_new(t, "enabled", json_false());
	}
	json_object_set_new(cv->tasks, name, t);
	free(name);
	cv->out->ntasks++;
	return 0;
}

static void comment_clear(struct convert *);

/*
 * A comment line just above an entry describes it. The column legend that
 * ends crontab -e's header ("m h  dom mon dow   command") ends the header:
 * what came before it describes no job.
 */
static void
comment_add(struct convert *cv, const char *text)
{
	char *c;

	if (*text == '\0') {
		return;
	}
	if (strncmp(text, "m h", 3) == 0 && strstr(text, "dom mon dow")) {
		comment_clear(cv);
		return;
	}
	c = cv->comment == NULL ? xstrdup(text)
	                        : xasprintf("%s %s", cv->comment, text);
	free(cv->comment);
	cv->comment = c;
}

static void
comment_clear(struct convert *cv)
{
	free(cv->comment);
	cv->comment = NULL;
}

/* A YAML scalar: JSON's double-quoted string is YAML's too. */
static char *
yaml_scalar(const json_t *v)
{
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* Append a formatted line to *out. */
static void
append(char **out, const char *fmt, const char *a, const char *b)
{
	char *line = xasprintf(fmt, a, b), *tmp;

	tmp = xasprintf("%s%s", *out, line);
	free(*out);
	free(line);
	*out = tmp;
}

/* The lines under tasks: and notifiers:, indented by two. */
static void
render(struct convert *cv, struct crontab_result *out)
{
	const char *name, *key;
	json_t *t, *v;
	char *s, *field;

	out->notifiers_yaml = xstrdup("");
	json_object_foreach(cv->notifiers, name, v)
	{
		s = yaml_scalar(json_object_get(v, "to"));
		append(&out->notifiers_yaml, "  %s: {type: mail, to: %s}\n",
		    name, s);
		free(s);
	}
	out->tasks_yaml = xstrdup("");
	json_object_foreach(cv->tasks, name, t)
	{
		append(&out->tasks_yaml, "  %s:%s\n", name, "");
		json_object_foreach(t, key, v)
		{
			s = yaml_scalar(v);
			field = xasprintf("    %s: ", key);
			append(&out->tasks_yaml, "%s%s\n", field, s);
			free(field);
			free(s);
		}
	}
}

/* A whole tasks file of them. */
static char *
render_file(const struct crontab_result *out, const char *source)
{
	char *yaml;

	yaml = xasprintf("# Converted from %s by twctl import-crontab.\n"
	                 "# cron mailed a job's output to MAILTO; here a "
	                 "mail is sent when a job\n"
	                 "# fails, and every run's output is kept: twctl logs "
	                 "TASK.\n",
	    source);
	if (*out->notifiers_yaml != '\0') {
		append(&yaml, "notifiers:\n%s%s", out->notifiers_yaml, "");
	}
	append(&yaml, "tasks:%s\n%s", *out->tasks_yaml == '\0' ? " {}" : "",
	    out->tasks_yaml);
	return yaml;
}

char *
crontab_key(const struct schedule *s, const char *command)
{
	char buf[128];

	return xasprintf("%s\n%s", schedule_describe(s, buf, sizeof buf),
	    command + strspn(command, " \t"));
}

void
crontab_convert(const char *text, const char *source, const json_t *taken,
    const json_t *known, struct crontab_result *out)
{
	struct convert cv;
	char *copy = xstrdup(text), *line, *next, *body, *entry_copy;
	char *why = NULL;
	size_t lineno = 0;

	memset(out, 0, sizeof *out);
	memset(&cv, 0, sizeof cv);
	cv.out = out;
	cv.taken = taken;
	cv.known = known;
	cv.env.env = json_object();
	cv.tasks = json_object();
	cv.notifiers = json_object();
	for (line = copy; line != NULL; line = next) {
		cv.lineno = ++lineno;
		if ((next = strchr(line, '\n')) != NULL) {
			*next++ = '\0';
		}
		body = trim(line);
		if (*body == '\0') {
			comment_clear(&cv); /* a blank line ends a comment */
			continue;
		}
		if (*body == '#') {
			body = trim(body + 1);
			/* A commented-out entry is kept, disabled. */
			entry_copy = xstrdup(body);
			if ((isdigit((unsigned char)*body) || *body == '*' ||
			        *body == '@') &&
			    entry(&cv, entry_copy, 1, &why) == 0) {
				comment_clear(&cv);
			} else {
				comment_add(&cv, body);
			}
			free(why);
			why = NULL;
			free(entry_copy);
			continue;
		}
		if (env_line(&cv, body)) {
			comment_clear(&cv); /* a header, not the next job's */
			continue;
		}
		if (entry(&cv, body, 0, &why) == -1) {
			problem(&cv, lineno, "%s", why);
			free(why);
			why = NULL;
		}
		comment_clear(&cv);
	}
	render(&cv, out);
	out->yaml = render_file(out, source);
	comment_clear(&cv);
	free(cv.env.shell);
	free(cv.env.mailto);
	free(cv.env.tz);
	json_decref(cv.env.env);
	json_decref(cv.tasks);
	json_decref(cv.notifiers);
	free(copy);
}

void
crontab_result_release(struct crontab_result *r)
{
	size_t i;

	free(r->yaml);
	free(r->tasks_yaml);
	free(r->notifiers_yaml);
	for (i = 0; i < r->nproblems; i++) {
		free(r->problems[i]);
	}
	free(r->problems);
	for (i = 0; i < r->nwarnings; i++) {
		free(r->warnings[i]);
	}
	free(r->warnings);
	for (i = 0; i < r->nknown; i++) {
		free(r->known[i]);
	}
	free(r->known);
	memset(r, 0, sizeof *r);
}
