/*
 * metrics_pystr.c: the layers of Python and pandas under metrics_text.c's
 * metrics (see its top comment): UTF-8 as Python's strict codec takes it,
 * str.split() and str.lower() over code points (tables generated from
 * Python by scripts/gen_unicase.py), the text pandas gives a column's cells
 * (.astype(str) of int64 and float64 columns), and Levenshtein's edit
 * distance over code points or integer tokens.
 */
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unicase_table.h"

/* ---- UTF-8 and Python's str ------------------------------------------------- */

/* Decode one code point as Python's strict utf-8 codec does (no overlongs,
 * no surrogates, nothing past U+10FFFF); -1 on a bad sequence. */
static int utf8_next(const unsigned char **p, const unsigned char *end, uint32_t *cp)
{
    const unsigned char *s = *p;
    uint32_t c = s[0];
    size_t n = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
             : c >= 0xF0 && c <= 0xF4 ? 3 : 4;
    if (n == 4 || (size_t)(end - s) < n + 1)
        return -1;
    if (n)
        c &= 0x3F >> n;
    for (size_t i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        c = c << 6 | (s[i] & 0x3F);
    }
    if ((n == 2 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (n == 3 && (c < 0x10000 || c > 0x10FFFF)))
        return -1;
    *cp = c;
    *p = s + n + 1;
    return 0;
}

long text_utf8_check(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    uint32_t c;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        const unsigned char *at = p;
        if (utf8_next(&p, end, &c) < 0)
            return (long)(at - (const unsigned char *)s);
    }
    return -1;
}

static size_t utf8_put(char *dst, uint32_t c)
{
    unsigned char *d = (unsigned char *)dst;
    if (c < 0x80) {
        d[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        d[0] = (unsigned char)(0xC0 | c >> 6);
        d[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        d[0] = (unsigned char)(0xE0 | c >> 12);
        d[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        d[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    d[0] = (unsigned char)(0xF0 | c >> 18);
    d[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
    d[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    d[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

/* str.isspace(): what str.split() splits on. */
static int py_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

size_t text_split(text_tok **v, size_t *cap, const char *s, int sep)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    const unsigned char *start = NULL;
    for (;;) {
        const unsigned char *at = p;
        uint32_t c = 0;
        int brk;
        if (p == end)
            brk = 1;
        else if (sep) {
            brk = *p++ == (unsigned char)sep;
        } else {
            if (*p < 0x80)
                c = *p++;
            else if (utf8_next(&p, end, &c) < 0)
                c = *p++; /* callers check UTF-8 first; never loop */
            brk = py_space(c);
        }
        if (sep && !start)
            start = at; /* str.split(sep): every piece, empty ones too */
        if (!sep && !brk && !start)
            start = at;
        if (brk && start) {
            if (n == *cap) {
                *cap = *cap ? 2 * *cap : 16;
                *v = xrealloc(*v, *cap * sizeof **v);
            }
            (*v)[n++] = (text_tok){(const char *)start, (size_t)(at - start)};
            start = NULL;
        }
        if (at == end)
            return n;
        if (sep && brk)
            start = p;
    }
}

static int in_runs_cased(uint32_t c)
{
    for (size_t i = 0; i < sizeof cased_runs / sizeof cased_runs[0]; i++)
        if (c >= cased_runs[i].first && c <= cased_runs[i].last)
            return 1;
    return 0;
}

static int in_runs_ignorable(uint32_t c)
{
    for (size_t i = 0; i < sizeof ignorable_runs / sizeof ignorable_runs[0]; i++)
        if (c >= ignorable_runs[i].first && c <= ignorable_runs[i].last)
            return 1;
    return 0;
}

static uint32_t lower_cp(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    /* runs of step 2 interleave with others: scan them all */
    for (size_t i = 0; i < sizeof lower_runs / sizeof lower_runs[0]; i++)
        if (c >= lower_runs[i].first && c <= lower_runs[i].last &&
            (c - lower_runs[i].first) % lower_runs[i].step == 0)
            return (uint32_t)((int32_t)c + lower_runs[i].delta);
    return c;
}

/* Python's Final_Sigma: cased (skipping case-ignorables) before, no cased
 * after. cps[0 .. n) is the whole string, i the capital sigma. */
static int final_sigma(const uint32_t *cps, size_t n, size_t i)
{
    size_t j = i;
    while (j > 0 && in_runs_ignorable(cps[j - 1]))
        j--;
    if (j == 0 || !in_runs_cased(cps[j - 1]))
        return 0;
    for (j = i + 1; j < n && in_runs_ignorable(cps[j]); j++)
        ;
    return j == n || !in_runs_cased(cps[j]);
}

char *text_lower(const char *s)
{
    size_t len = strlen(s), n = 0;
    int ascii = 1;
    for (size_t i = 0; i < len && ascii; i++)
        ascii = (unsigned char)s[i] < 0x80;
    char *out = xmalloc(2 * len + 4); /* a code point may lower to a longer one */
    if (ascii) {
        for (size_t i = 0; i <= len; i++)
            out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
        return out;
    }
    uint32_t *cps = xmalloc((len + 1) * sizeof *cps);
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end)
        if (utf8_next(&p, end, &cps[n++]) < 0)
            cps[n - 1] = *p++; /* callers check UTF-8 first */
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cps[i];
        if (c == 0x130) { /* the one code point lowering to two: i + U+0307 */
            o += utf8_put(out + o, 'i');
            o += utf8_put(out + o, 0x307);
        } else if (c == 0x3A3)
            o += utf8_put(out + o, final_sigma(cps, n, i) ? 0x3C2 : 0x3C3);
        else
            o += utf8_put(out + o, lower_cp(c));
    }
    out[o] = 0;
    free(cps);
    return out;
}

/* ---- pandas' reading of a column ------------------------------------------ */

enum { NUM_NO, NUM_INT, NUM_FLOAT };

/* What pandas' C parser makes of a non-NA cell: an integer (at most 18
 * digits: int64 for sure), a float, or text. Blanks around are allowed. */
static int num_kind(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    const char *p = s + (*s == '+' || *s == '-');
    size_t digits = strspn(p, "0123456789");
    const char *q = p + digits;
    if (digits && digits <= 18 && !q[strspn(q, " \t")])
        return NUM_INT;
    if (!strncasecmp(p, "inf", 3)) {
        q = p + (strncasecmp(p, "infinity", 8) ? 3 : 8);
        return q[strspn(q, " \t")] ? NUM_NO : NUM_FLOAT;
    }
    size_t frac = 0;
    if (*q == '.') {
        frac = strspn(q + 1, "0123456789");
        q += 1 + frac;
    }
    if (!digits && !frac)
        return NUM_NO;
    if (*q == 'e' || *q == 'E') {
        const char *e = q + 1 + (q[1] == '+' || q[1] == '-');
        size_t ed = strspn(e, "0123456789");
        if (!ed)
            return NUM_NO;
        q = e + ed;
    }
    return q[strspn(q, " \t")] ? NUM_NO : NUM_FLOAT;
}

/* The dtype pandas gives a column: NUM_NO (object), NUM_INT or NUM_FLOAT.
 * Every cell NA is float64 too. */
static int column_kind(const char *const *cells, size_t n)
{
    int kind = NUM_INT, na = 0;
    for (size_t i = 0; i < n; i++) {
        if (metric_is_na(cells[i])) {
            na = 1;
            continue;
        }
        int k = num_kind(cells[i]);
        if (k == NUM_NO)
            return NUM_NO;
        if (k == NUM_FLOAT)
            kind = NUM_FLOAT;
    }
    return na ? NUM_FLOAT : kind;
}

/* Python's repr() of a double: the shortest digits that read back, fixed
 * notation for exponents -4 .. 15 (with ".0" when whole), else d.ddde+XX. */
static void py_float_repr(char *buf, size_t size, double x)
{
    if (isnan(x) || isinf(x)) {
        snprintf(buf, size, "%s", isnan(x) ? "nan" : x < 0 ? "-inf" : "inf");
        return;
    }
    char tmp[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    char digits[24];
    size_t nd = 0;
    const char *t = tmp + (tmp[0] == '-');
    for (; *t != 'e'; t++)
        if (*t != '.')
            digits[nd++] = *t;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    int exp = atoi(t + 1);
    const char *sign = signbit(x) ? "-" : "";
    size_t o = (size_t)snprintf(buf, size, "%s", sign);
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            o += (size_t)snprintf(buf + o, size - o, "0.%.*s%.*s", -exp - 1, "0000", (int)nd,
                                  digits);
        } else if ((size_t)exp + 1 >= nd) {
            o += (size_t)snprintf(buf + o, size - o, "%.*s%.*s.0", (int)nd, digits,
                                  (int)((size_t)exp + 1 - nd), "0000000000000000");
        } else {
            o += (size_t)snprintf(buf + o, size - o, "%.*s.%.*s", exp + 1, digits,
                                  (int)(nd - (size_t)exp - 1), digits + exp + 1);
        }
    } else {
        o += (size_t)snprintf(buf + o, size - o, "%c", digits[0]);
        if (nd > 1)
            o += (size_t)snprintf(buf + o, size - o, ".%.*s", (int)nd - 1, digits + 1);
        snprintf(buf + o, size - o, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
    }
}

/* An integer's text as int64 prints it: no '+', no leading zeros. */
static void int_text(sb *out, const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    int neg = *s == '-';
    s += *s == '+' || *s == '-';
    while (*s == '0' && s[1] >= '0' && s[1] <= '9')
        s++;
    size_t n = strspn(s, "0123456789");
    if (neg && !(n == 1 && *s == '0'))
        sb_putc(out, '-');
    sb_append(out, s, n);
}

/* A column's cells as the grader's str sees them: .fillna(na).astype(str)
 * (na "nan" is a plain .astype(str)). *arena holds the converted texts;
 * returns n pointers (caller frees it and sb_free()s the arena). */
const char **text_pandas(sb *arena, const char *const *cells, size_t n, const char *na)
{
    const char **out = xmalloc((n ? n : 1) * sizeof *out);
    int kind = column_kind(cells, n);
    if (kind == NUM_NO) {
        for (size_t i = 0; i < n; i++)
            out[i] = metric_is_na(cells[i]) ? na : cells[i];
        return out;
    }
    size_t *off = xmalloc((n ? n : 1) * sizeof *off);
    for (size_t i = 0; i < n; i++) {
        off[i] = arena->len;
        if (metric_is_na(cells[i]))
            sb_puts(arena, na);
        else if (kind == NUM_INT)
            int_text(arena, cells[i]);
        else {
            char buf[40];
            py_float_repr(buf, sizeof buf, strtod(cells[i], NULL));
            sb_puts(arena, buf);
        }
        sb_putc(arena, 0);
    }
    for (size_t i = 0; i < n; i++)
        out[i] = arena->buf + off[i];
    free(off);
    return out;
}

/* Does pandas read this column as numbers (so that .str or str methods on
 * its cells fail)? At least one non-NA cell, all of them numbers. */
int text_numeric_column(const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!metric_is_na(cells[i]))
            return column_kind(cells, n) != NUM_NO;
    return 0;
}

/* ---- Levenshtein ------------------------------------------------------------ */

/* Unit-cost edit distance of a[0..n) and b[0..m): common prefix and suffix
 * dropped, then one DP row over the shorter side. O(n m) time, O(min(n, m))
 * memory. */
size_t text_edit_distance(const uint32_t *a, size_t n, const uint32_t *b, size_t m)
{
    while (n && m && a[0] == b[0]) {
        a++;
        b++;
        n--;
        m--;
    }
    while (n && m && a[n - 1] == b[m - 1]) {
        n--;
        m--;
    }
    if (m > n) {
        const uint32_t *t = a;
        a = b;
        b = t;
        size_t u = n;
        n = m;
        m = u;
    }
    if (m == 0)
        return n;
    size_t *row = xmalloc((m + 1) * sizeof *row);
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[m];
    free(row);
    return d;
}

size_t text_levenshtein(const char *x, const char *y)
{
    size_t lx = strlen(x), ly = strlen(y), n = 0, m = 0;
    uint32_t *a = xmalloc((lx + 1) * sizeof *a), *b = xmalloc((ly + 1) * sizeof *b);
    const unsigned char *p = (const unsigned char *)x, *end = p + lx;
    while (p < end)
        if (utf8_next(&p, end, &a[n++]) < 0)
            a[n - 1] = 0xDC00 | *p++; /* a lone byte: never equal to a real code point */
    p = (const unsigned char *)y;
    end = p + ly;
    while (p < end)
        if (utf8_next(&p, end, &b[m++]) < 0)
            b[m - 1] = 0xDC00 | *p++;
    size_t d = text_edit_distance(a, n, b, m);
    free(a);
    free(b);
    return d;
}
