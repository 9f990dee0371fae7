/*
 * util.h: the small helpers every grove module shares: a growable string
 * buffer, file helpers, the last-error message, logging and clocks.
 *
 * Errors: functions return 0 on success and a negative value on failure, and
 * set a human-readable message retrievable with err_last() (one per thread,
 * like libgit2's git_error_last()). A message names the file, the field and
 * the fix where it can: "holdout: column 'target' not found in train.csv
 * (columns: id, f1, f2)".
 */
#ifndef GROVE_UTIL_H
#define GROVE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#if defined(__GNUC__)
#define UTIL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define UTIL_PRINTF(a, b)
#endif

/* ---- last error ------------------------------------------------------- */

/* Set the calling thread's last error message; returns -1 so callers can
 * write `return err_set("...")`. */
int err_set(const char *fmt, ...) UTIL_PRINTF(1, 2);
/* Prefix the current message: err_prefix("grade") turns "x" into "grade: x". */
int err_prefix(const char *fmt, ...) UTIL_PRINTF(1, 2);
/* The last message, or "" when none was set. Valid until the next err_set. */
const char *err_last(void);
void err_clear(void);

/* ---- string buffer ---------------------------------------------------- */

/* A growable NUL-terminated byte buffer. A zeroed sb is empty and valid.
 * Allocation failure aborts (grove cannot do anything useful without memory,
 * and checking every append would hide the logic). */
typedef struct sb {
    char *buf; /* NULL or NUL-terminated contents */
    size_t len;
    size_t cap;
} sb;

void sb_append(sb *s, const void *data, size_t n);
void sb_puts(sb *s, const char *str);
void sb_putc(sb *s, char c);
void sb_printf(sb *s, const char *fmt, ...) UTIL_PRINTF(2, 3);
void sb_vprintf(sb *s, const char *fmt, va_list ap);
/* Append n bytes as valid UTF-8: invalid sequences and NUL become U+FFFD. */
void utf8_sanitize(sb *out, const char *s, size_t n);
/* A valid UTF-8 copy of the NUL-terminated s (NULL stays NULL); caller frees. */
char *utf8_dup(const char *s);
/* 1 when the n bytes at s are valid UTF-8 holding no NUL, else 0. */
int utf8_valid(const char *s, size_t n);
/* The last guard where text leaves grove as JSON (a request body, a log
 * line, a journal file): s itself when it is valid UTF-8, else a valid copy
 * with U+FFFD for each bad byte, s freed with free(). NULL stays NULL. */
char *utf8_fix(char *s);
/* The word s as a POSIX shell reads it back: s itself (copied) when every
 * byte is one a shell leaves alone, else single-quoted with each ' written
 * '\''. For every command grove prints for a user to copy; caller frees. */
char *shell_quote(const char *s);
/* Contents as a C string ("" when empty); owned by the buffer. */
const char *sb_str(const sb *s);
/* Hand the contents to the caller (free() it); the buffer becomes empty. */
char *sb_steal(sb *s);
void sb_reset(sb *s); /* empty it, keep the allocation */
void sb_free(sb *s);

/* ---- memory and strings ----------------------------------------------- */

void *xmalloc(size_t n);            /* abort on failure */
void *xcalloc(size_t n, size_t sz); /* abort on failure */
void *xrealloc(void *p, size_t n);  /* abort on failure */
char *xstrdup(const char *s);       /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) UTIL_PRINTF(1, 2);
/* qsort that takes an empty (possibly NULL) array, which qsort itself may not. */
void xqsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
int str_starts(const char *s, const char *prefix);
int str_ends(const char *s, const char *suffix);
/* Edits (insert, delete, replace, swap two neighbours) that turn a into b. */
size_t str_distance(const char *a, const char *b);
/* "Did you mean" over a list: feed every candidate to suggest_add, then
 * best is the closest one near enough to be a typo of typed (else NULL). */
typedef struct suggest {
    const char *typed;
    const char *best; /* a candidate (not copied), or NULL */
    size_t dist;
} suggest;
void suggest_add(suggest *s, const char *candidate);

/* ---- files -------------------------------------------------------------- */

/* Read a whole file; *out is NUL-terminated, caller frees. len may be NULL. */
int file_read(const char *path, char **out, size_t *len);
/* Write atomically: temp file in the same folder, fsync, rename. */
int file_write(const char *path, const void *data, size_t len);
int file_write_str(const char *path, const char *text);
/* Append and fsync (journals, llm.jsonl). */
int file_append(const char *path, const void *data, size_t len);
int file_copy(const char *src, const char *dst);
int file_exists(const char *path);
int dir_exists(const char *path);
int mkdir_p(const char *path, mode_t mode);
/* Remove a file or a folder tree; a missing path is not an error. */
int rm_rf(const char *path);
/* Join two path parts with one '/'; caller frees. */
char *path_join(const char *a, const char *b);
/* Absolute, symlink-free form of an existing path; caller frees. */
char *path_real(const char *path);

/* ---- environment ------------------------------------------------------------ */

/* Overwrite the value of environment variable `name` in place, then unset
 * it: /proc/<pid>/environ shows the process's original environment block,
 * which unsetenv() alone leaves intact. For secrets already copied. */
void env_scrub(const char *name);

/* ---- clocks --------------------------------------------------------------- */

double clock_mono(void); /* seconds, monotonic */
double clock_wall(void); /* seconds since the epoch */
/* ISO 8601 UTC ("2026-11-23T15:44:51Z") into buf (>= 32 bytes). */
void clock_iso8601(char *buf, size_t n, double wall);

/* ---- logging ---------------------------------------------------------------- */

enum { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };
/* Messages above this level are dropped; the CLI sets it (-v, -q). */
void log_set_level(int level);
int log_get_level(void);
void log_msg(int level, const char *fmt, ...) UTIL_PRINTF(2, 3);
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
