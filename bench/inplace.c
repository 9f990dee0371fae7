/*
 * inplace.c: simple CSV rows read where they lie in the reader's window.
 *
 * The grader's fast paths (fastrows.c, split.c) parse a row of plain fields
 * in one pass, without copying it out: the number parser stops on the
 * delimiters, ids are taken as they are. Anything the general reader would
 * treat differently (quotes, a lone CR, a row the window cuts, a field count
 * or value out of line) is left to it: the caller reads that row again the
 * general way, so every fault is found and worded as the general path words
 * it.
 */
#include "csv_reader.h"
#include "grade_data.h"
#include "inplace.h"
#include "numparse.h"
#include "util.h"

#include <math.h>
#include <string.h>

static int ends_field(const char *p, const char *end)
{
    return p == end || *p == ',' || *p == '\n' || *p == '\r';
}

/* The end of a field that is not a clean number: the next delimiter; NULL
 * when a quote comes first (the general reader unescapes those). */
static const char *field_end(const char *p, const char *end)
{
    for (; !ends_field(p, end); p++)
        if (*p == '"')
            return NULL;
    return p;
}

/* A target field at f: its value into *v and where it ends; NULL when the
 * general reader must take it. With slot set (the field's start is kept
 * there) a "0.ddd" value may be num_scan_frac's reading. */
static const char *target_field(const char *f, const char *end, const char **slot,
                                double *v)
{
    const char *next;
    if (slot) {
        *slot = f;
        if ((next = num_scan_frac(f, end, v)) != NULL && ends_field(next, end))
            return next;
    }
    if (f < end && *f >= '0' && *f <= '9' && ends_field(f + 1, end)) {
        *v = *f - '0'; /* one-hot answers: ten million "0" and "1" fields */
        return f + 1;
    }
    if ((next = num_scan(f, end, v)) != NULL && ends_field(next, end))
        return next;
    if (!(next = field_end(f, end)) || num_parse_n(f, (size_t)(next - f), v) < 0)
        return NULL;
    return next;
}

int inplace_fields(double *vals, const csv_reader *r, const long *role, size_t ncols,
                   const char **pos, sb *id, const char **next_out)
{
    const char *f = r->p, *end = r->end, *next = NULL;
    sb_reset(id);
    for (size_t i = 0;; i++, f = next + 1) {
        if (i == ncols)
            return 1; /* more fields than the header */
        if (role[i] < 0 && !(next = field_end(f, end)))
            return 1;
        if (role[i] == INPLACE_ID)
            sb_append(id, f, (size_t)(next - f));
        if (role[i] >= 0) {
            double v;
            next = target_field(f, end, pos ? pos + role[i] : NULL, &v);
            if (!next || (pos && !(v >= 0 && v <= 1))) /* NaN and inf too */
                return 1;
            if (!pos && !isfinite(v))
                return 1;
            vals[role[i]] = v;
        }
        if (next == end && !r->eof)
            return 1; /* cut by the reader's window: csv_reader_next refills */
        if (next < end && *next == ',')
            continue;
        if (i + 1 != ncols)
            return 1;
        break;
    }
    if (next < end && *next == '\r' && !(next + 1 < end && next[1] == '\n'))
        return 1; /* a lone CR ends a row too: the general reader's case */
    sb_putc(id, 0);
    id->len--;
    if (strlen(id->buf) != id->len)
        return 1; /* a NUL in the id */
    *next_out = next;
    return 0;
}

int inplace_exact(double *v, const char *f, const char *end)
{
    const char *stop = num_scan(f, end, v);
    return stop && ends_field(stop, end) ? 0 : -1;
}

void inplace_skip(csv_reader *r, const char *next)
{
    r->row_line = r->line++;
    r->p = next + (next < r->end) + (next < r->end && *next == '\r');
}

long *inplace_roles(const grade_data *g, size_t ncols, long id_at)
{
    long *role = xmalloc(ncols * sizeof *role);
    for (size_t i = 0; i < ncols; i++)
        role[i] = (long)i == id_at ? INPLACE_ID : INPLACE_SKIP;
    for (size_t j = 0; j < g->k; j++)
        if (role[g->col_idx[j]] == INPLACE_SKIP)
            role[g->col_idx[j]] = (long)j;
    return role;
}
