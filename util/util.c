/*
 * util.c: string buffer, allocation, last-error and logging helpers.
 * File and clock helpers live in files.c.
 */
#include "util.h"
#include "embed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- last error ---- */

static _Thread_local char err_buf[2048];

int err_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_buf, sizeof err_buf, fmt, ap);
    va_end(ap);
    return -1;
}

int err_prefix(const char *fmt, ...)
{
    char prefix[512], old[sizeof err_buf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err_buf, sizeof old);
    size_t n = strlen(prefix);
    if (n + 2 >= sizeof err_buf)
        n = sizeof err_buf - 3;
    memcpy(err_buf, prefix, n);
    memcpy(err_buf + n, ": ", 2);
    size_t room = sizeof err_buf - n - 3;
    size_t m = strnlen(old, room);
    memcpy(err_buf + n + 2, old, m);
    err_buf[n + 2 + m] = 0;
    return -1;
}

const char *err_last(void) { return err_buf; }
void err_clear(void) { err_buf[0] = 0; }

/* ---- memory ---- */

static void oom(void)
{
    fputs("grove: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void xqsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

char *xasprintf(const char *fmt, ...)
{
    sb s = {0};
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&s, fmt, ap);
    va_end(ap);
    return sb_steal(&s);
}

int str_starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_ends(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Optimal string alignment distance, two rows kept plus the one before. */
size_t str_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t *row = xcalloc(3 * (m + 1), sizeof *row);
    size_t *prev2 = row, *prev = row + m + 1, *cur = row + 2 * (m + 1);
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t d = prev[j - 1] + cost;
            if (prev[j] + 1 < d)
                d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[m];
    free(row);
    return d;
}

/* Near enough to be a typo: at most one edit in three characters. */
void suggest_add(suggest *s, const char *candidate)
{
    size_t d = str_distance(s->typed, candidate);
    size_t len = strlen(candidate);
    if (d == 0 || d * 3 > len || (s->best && d >= s->dist))
        return;
    s->best = candidate;
    s->dist = d;
}

/* ---- string buffer ---- */

static void sb_grow(sb *s, size_t extra)
{
    if (s->len + extra + 1 <= s->cap)
        return;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < s->len + extra + 1)
        cap *= 2;
    s->buf = xrealloc(s->buf, cap);
    s->cap = cap;
}

void sb_append(sb *s, const void *data, size_t n)
{
    sb_grow(s, n);
    if (n)
        memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = 0;
}

void sb_puts(sb *s, const char *str) { sb_append(s, str, strlen(str)); }
void sb_putc(sb *s, char c) { sb_append(s, &c, 1); }

void sb_vprintf(sb *s, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    sb_grow(s, (size_t)n);
    vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
    s->len += (size_t)n;
}

void sb_printf(sb *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(s, fmt, ap);
    va_end(ap);
}

const char *sb_str(const sb *s) { return s->buf ? s->buf : ""; }

char *sb_steal(sb *s)
{
    char *p = s->buf ? s->buf : xstrdup("");
    s->buf = NULL;
    s->len = s->cap = 0;
    return p;
}

void sb_reset(sb *s)
{
    s->len = 0;
    if (s->buf)
        s->buf[0] = 0;
}

void sb_free(sb *s)
{
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
}

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (b >= 0x01 && b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF)
        len = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        if (b == 0xE0)
            lo = 0xA0;
        if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        if (b == 0xF0)
            lo = 0x90;
        if (b == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

void utf8_sanitize(sb *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* valid bytes not yet copied */
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_valid_len(p + i, n - i);
        if (k) {
            i += k;
            run += k;
            continue;
        }
        sb_append(out, p + i - run, run);
        run = 0;
        sb_append(out, "\xEF\xBF\xBD", 3);
        i++;
    }
    sb_append(out, p + i - run, run);
    if (!out->buf)
        sb_puts(out, "");
}

/* ---- logging ---- */

static int log_level = LOG_INFO;

void log_set_level(int level) { log_level = level; }
int log_get_level(void) { return log_level; }

void log_msg(int level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > log_level)
        return;
    sb s = {0};
    sb_printf(&s, "grove: %s: ", names[level < 0 ? 0 : level > 3 ? 3 : level]);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&s, fmt, ap);
    va_end(ap);
    if (s.len && s.buf[s.len - 1] != '\n')
        sb_putc(&s, '\n');
    /* one write, so lines from concurrent processes do not interleave */
    fwrite(s.buf, 1, s.len, stderr);
    sb_free(&s);
}

/* ---- embedded files ---- */

const embed_file *embed_find(const embed_file *table, const char *name)
{
    for (; table && table->name; table++)
        if (strcmp(table->name, name) == 0)
            return table;
    return NULL;
}

char *utf8_dup(const char *s)
{
    if (!s)
        return NULL;
    sb out = {0};
    utf8_sanitize(&out, s, strlen(s));
    return sb_steal(&out);
}

int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0, k; i < n; i += k)
        if (!(k = utf8_valid_len(p + i, n - i)))
            return 0;
    return 1;
}

char *utf8_fix(char *s)
{
    if (!s || utf8_valid(s, strlen(s)))
        return s;
    char *fixed = utf8_dup(s);
    free(s);
    return fixed;
}

char *shell_quote(const char *s)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_@%+=:,./-";
    if (*s && strspn(s, safe) == strlen(s))
        return xstrdup(s);
    sb out = {0};
    sb_putc(&out, '\'');
    for (const char *p = s; *p; p++)
        if (*p == '\'')
            sb_puts(&out, "'\\''");
        else
            sb_putc(&out, *p);
    sb_putc(&out, '\'');
    return sb_steal(&out);
}
