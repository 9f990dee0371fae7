/*
 * grade.c: grading one submission against the answers.
 *
 * Both files are streamed (csv_reader over an mmap) straight into compact
 * typed columns: the answers' ids and target values, then each submission
 * row is matched to its answer row and its values are parsed into the same
 * layout. No table of cells is ever built, so grading a 200 MB submission
 * holds little more than one double per graded cell.
 *
 * Matching: submissions almost always list ids in the answers' order, so row
 * r is first tried against answer row r; only on the first mismatch is a hash
 * of the answer ids built. An id may repeat in the answers (one competition
 * uses the comment text as its id): the k-th occurrence in the submission
 * takes the k-th unused answer row with that id.
 *
 * A problem with the submission is not an error: it makes the report invalid
 * with a message naming the row and column (g->why). A problem with the
 * answers or the registry entry is an error (< 0).
 */
#include "bench.h"
#include "bigmem.h"
#include "csv_reader.h"
#include "grade_internal.h"
#include "metrics.h"
#include "numparse.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void grade_free(grade_data *g)
{
    for (size_t i = 0; i < g->k; i++)
        free(g->cols[i]);
    free(g->cols);
    free(g->col_idx);
    sb_free(&g->ids);
    big_free(g->y);
    big_free(g->p);
    sb_free(&g->ystr);
    sb_free(&g->pstr);
    free(g->yoff);
    free(g->poff);
    free(g->used);
    big_free(g->slots);
    free(g->why);
    memset(g, 0, sizeof *g);
}

static int invalid(grade_data *g, const char *fmt, ...) UTIL_PRINTF(2, 3);
static int invalid(grade_data *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb s = {0};
    sb_vprintf(&s, fmt, ap);
    va_end(ap);
    free(g->why);
    g->why = sb_steal(&s);
    return 1;
}

/* Target columns: the registry's list, or "*" = every column of the answers
 * but the id. */
static int pick_columns(grade_data *g, const csv_reader *r, const char *file)
{
    const char *spec = g->comp->target_cols;
    if (!spec)
        return err_set("%s: the registry gives no target columns", g->comp->id);
    g->cols = xcalloc(r->n_fields + 1, sizeof *g->cols);
    if (!strcmp(spec, "*")) {
        for (size_t i = 0; i < r->n_fields; i++)
            if (!g->comp->id_col || strcmp(csv_reader_field(r, i), g->comp->id_col))
                g->cols[g->k++] = xstrdup(csv_reader_field(r, i));
    } else {
        for (const char *p = spec; *p;) {
            size_t n = strcspn(p, ",");
            if (g->k == r->n_fields)
                return err_set("%s: more target columns than %s has", g->comp->id, file);
            g->cols[g->k++] = xstrndup(p, n);
            p += n + (p[n] == ',');
        }
    }
    if (!g->k)
        return err_set("%s: no target columns in %s", g->comp->id, file);
    if ((g->flags & METRIC_STRING) && g->k != 1)
        return err_set("%s: metric %s compares one column, the registry gives %zu",
                       g->comp->id, g->comp->metric, g->k);
    return 0;
}

/* Column positions of the id and the targets in a header; 1 (submission) or
 * < 0 (answers) when one is missing. */
static int map_header(grade_data *g, const csv_reader *r, int is_answers, long *id_at)
{
    const char *file = is_answers ? "answers" : "submission";
    *id_at = -1;
    free(g->col_idx);
    g->col_idx = xmalloc(g->k * sizeof *g->col_idx);
    for (size_t j = 0; j < g->k; j++)
        g->col_idx[j] = -1;
    for (size_t i = 0; i < r->n_fields; i++) {
        const char *name = csv_reader_field(r, i);
        if (g->comp->id_col && !strcmp(name, g->comp->id_col))
            *id_at = (long)i;
        for (size_t j = 0; j < g->k; j++)
            if (g->col_idx[j] < 0 && !strcmp(name, g->cols[j]))
                g->col_idx[j] = (long)i;
    }
    const char *missing = g->comp->id_col && *id_at < 0 ? g->comp->id_col : NULL;
    for (size_t j = 0; !missing && j < g->k; j++)
        if (g->col_idx[j] < 0)
            missing = g->cols[j];
    if (!missing)
        return 0;
    if (is_answers)
        return err_set("%s: answers %s lack the column '%s'", g->comp->id, r->name, missing);
    return invalid(g, "%s: line 1: missing required column '%s' (%s needs '%s' and %zu "
                   "target column%s)", r->name, missing, file,
                   g->comp->id_col ? g->comp->id_col : "(none)", g->k, g->k == 1 ? "" : "s");
}

/* Store one row's targets: numbers into dst (k doubles) or text into strs. */
static int take_values(grade_data *g, const csv_reader *r, int is_answers, double *dst,
                       sb *strs, size_t *soff)
{
    for (size_t j = 0; j < g->k; j++) {
        const char *cell = csv_reader_field(r, (size_t)g->col_idx[j]);
        if (g->flags & METRIC_STRING) {
            *soff = strs->len;
            sb_append(strs, cell, strlen(cell) + 1);
            continue;
        }
        double v;
        const char *bad = NULL;
        if (num_parse(cell, &v) < 0)
            bad = *cell ? "is not a number" : "is empty (a number is needed)";
        else if (!isfinite(v))
            bad = "is not a finite number";
        else if (!is_answers && (g->flags & METRIC_PROB) && (v < 0 || v > 1))
            bad = "is not a probability in [0, 1]";
        else if (!is_answers && (g->flags & METRIC_NONNEG) && v <= -1)
            bad = "is <= -1 (the log-error metric takes log(1 + value))";
        if (bad && is_answers)
            return err_set("%s: line %zu, column '%s': '%s' %s", r->name, r->row_line,
                           g->cols[j], cell, bad);
        if (bad)
            return invalid(g, "%s: line %zu, column '%s': '%s' %s", r->name, r->row_line,
                           g->cols[j], cell, bad);
        dst[j] = v;
    }
    return 0;
}

/* One pass over the answers: pass 1 takes the ids, pass 2 (after the
 * submission is matched and the ids are freed) the target values, so ids and
 * values are never held together with the hash. */
static int load_answers(grade_data *g, const char *path, int pass)
{
    csv_reader r;
    if (csv_reader_open(&r, path) < 0)
        return err_prefix("%s: answers", g->comp->id);
    int rc = csv_reader_next(&r);
    long id_at;
    if (rc == 0)
        rc = err_set("%s: empty answers file", path);
    if (rc < 0 || (pass == 1 && pick_columns(g, &r, path) < 0) ||
        map_header(g, &r, 1, &id_at) < 0)
        goto fail;
    size_t ncols = r.n_fields, row = 0;
    if (pass == 2 && (g->flags & METRIC_STRING))
        g->yoff = xmalloc(g->n * sizeof *g->yoff);
    else if (pass == 2)
        g->y = big_alloc(g->n * g->k * sizeof *g->y);
    while ((rc = csv_reader_next(&r)) > 0) {
        if (r.n_fields != ncols) {
            rc = err_set("%s: line %zu: %zu fields, header has %zu", path, r.row_line,
                         r.n_fields, ncols);
            goto fail;
        }
        if (pass == 2) {
            if (row == g->n)
                break; /* changed under us; caught below */
            rc = take_values(g, &r, 1, g->y ? g->y + row * g->k : NULL, &g->ystr,
                             g->yoff ? g->yoff + row : NULL);
            if (rc < 0)
                goto fail;
            row++;
            continue;
        }
        const char *id = id_at >= 0 ? csv_reader_field(&r, (size_t)id_at) : "";
        size_t len = strlen(id) + 1;
        if (len > UINT32_MAX - g->ids.len) { /* the slots hold 32-bit offsets */
            rc = err_set("%s: the ids take more than 4 GiB", path);
            goto fail;
        }
        g->n++;
        sb_append(&g->ids, id, len);
    }
    if (rc >= 0 && pass == 2 && row != g->n)
        rc = err_set("%s changed while grading", path);
    if (rc < 0)
        goto fail;
    csv_reader_close(&r);
    return 0;
fail:
    csv_reader_close(&r);
    return -1;
}

/* ---- id matching -------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    /* FNV's top bits barely move with the last bytes ("img0000001",
     * "img0000002"...): mix them (murmur3's finaliser) before taking them */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

/* The i-th answer id, by walking the ids: for messages only. */
static const char *nth_id(const grade_data *g, size_t i)
{
    const char *id = g->ids.buf;
    while (i--)
        id += strlen(id) + 1;
    return id;
}

/* Open addressing over ~1.3 n slots (not a power of two: the table is a good
 * share of peak memory); a hash maps onto the table by multiply-shift. Each
 * 64-bit slot packs the answer row (low row_bits), the offset of its id in
 * g->ids (the next off_bits) and, in the bits left, a tag from other bits of
 * the id's hash. A lookup in a shuffled million-row submission is bound by
 * cache misses: the slot and the id text are the only two it takes, and a
 * probe past another id's slot usually stops at the tag. An all-ones slot
 * is empty (the row field never is: rows < n < 2^row_bits - 1 + 1). */
static size_t slot_of(const grade_data *g, uint64_t h)
{
    return (size_t)(((h >> 32) * (uint64_t)g->n_slots) >> 32);
}

static unsigned bits_for(size_t n)
{
    unsigned b = 1;
    while (b < 64 && ((size_t)1 << b) <= n)
        b++;
    return b;
}

static uint64_t tag_of(const grade_data *g, uint64_t h)
{
    unsigned used = g->row_bits + g->off_bits;
    return used >= 64 ? 0 : h << used;
}

static int is_used(const grade_data *g, size_t i)
{
    return g->used[i >> 3] >> (i & 7) & 1;
}

static void build_index(grade_data *g)
{
    g->row_bits = bits_for(g->n);
    g->off_bits = bits_for(g->ids.len);
    g->n_slots = g->n + g->n / 3 + 1;
    g->slots = big_alloc(g->n_slots * sizeof *g->slots);
    memset(g->slots, 0xFF, g->n_slots * sizeof *g->slots);
    size_t off = 0;
    for (size_t i = 0; i < g->n; i++) {
        const char *id = g->ids.buf + off;
        uint64_t h = hash_str(id);
        size_t s = slot_of(g, h);
        while (g->slots[s] != UINT64_MAX)
            s = s + 1 == g->n_slots ? 0 : s + 1;
        g->slots[s] = tag_of(g, h) | (uint64_t)off << g->row_bits | i;
        off += strlen(id) + 1;
    }
}

/* The answer row for a submission id, or -1 (unknown) / -2 (all used). row
 * is the submission's row, tried first against the answer row of the same
 * position, whose id starts at g->seq_off. */
static long find_row(grade_data *g, const char *id, size_t row)
{
    if (row < g->n && !is_used(g, row) && !strcmp(g->ids.buf + g->seq_off, id))
        return (long)row;
    if (!g->slots)
        build_index(g);
    uint64_t h = hash_str(id), tag = tag_of(g, h);
    uint64_t row_mask = ((uint64_t)1 << g->row_bits) - 1,
             off_mask = ((uint64_t)1 << g->off_bits) - 1,
             tag_mask = ~(row_mask | off_mask << g->row_bits);
    int seen = 0;
    for (size_t s = slot_of(g, h); g->slots[s] != UINT64_MAX;
         s = s + 1 == g->n_slots ? 0 : s + 1) {
        uint64_t v = g->slots[s];
        if ((v & tag_mask) != tag || strcmp(g->ids.buf + (v >> g->row_bits & off_mask), id))
            continue;
        if (!is_used(g, v & row_mask))
            return (long)(v & row_mask);
        seen = 1;
    }
    return seen ? -2 : -1;
}

static int read_submission_rows(grade_data *g, csv_reader *r, long id_at)
{
    size_t ncols = r->n_fields, row = 0;
    int rc;
    while ((rc = csv_reader_next(r)) > 0) {
        if (r->n_fields != ncols)
            return invalid(g, "%s: line %zu: %zu fields, but the header has %zu", r->name,
                           r->row_line, r->n_fields, ncols);
        const char *id = id_at >= 0 ? csv_reader_field(r, (size_t)id_at) : "";
        long at = id_at >= 0 ? find_row(g, id, row) : (row < g->n ? (long)row : -1);
        if (at == -1 && id_at < 0)
            return invalid(g, "%s: line %zu: more rows than the answers' %zu", r->name,
                           r->row_line, g->n);
        if (at == -1)
            return invalid(g, "%s: line %zu, column '%s': id '%s' is not in the answers",
                           r->name, r->row_line, g->comp->id_col, id);
        if (at == -2)
            return invalid(g, "%s: line %zu, column '%s': id '%s' appears more often than "
                           "in the answers (each id once)", r->name, r->row_line,
                           g->comp->id_col, id);
        g->used[at >> 3] |= (unsigned char)(1u << (at & 7));
        if (row < g->n)
            g->seq_off += strlen(g->ids.buf + g->seq_off) + 1;
        rc = take_values(g, r, 0, g->p ? g->p + (size_t)at * g->k : NULL, &g->pstr,
                         g->poff ? g->poff + at : NULL);
        if (rc)
            return rc;
        row++;
    }
    if (rc < 0)
        return invalid(g, "%s", err_last());
    if (row < g->n) {
        size_t i = 0;
        while (is_used(g, i))
            i++;
        return invalid(g, "%s: %zu rows, the answers have %zu: id '%s' (and %zu more) "
                       "missing", r->name, row, g->n, nth_id(g, i), g->n - row - 1);
    }
    return 0;
}

static int check_row_sums(grade_data *g)
{
    if (!g->comp->prob_rows_sum_to_one || !g->p)
        return 0;
    for (size_t i = 0; i < g->n; i++) {
        double s = 0;
        for (size_t j = 0; j < g->k; j++)
            s += g->p[i * g->k + j];
        /* numpy.isclose(s, 1, atol=1e-6) as MLE-bench checks it (rtol 1e-5) */
        if (!(fabs(s - 1) <= 1e-6 + 1e-5))
            return invalid(g, "submission: the probabilities of id '%s' sum to %.9g, "
                           "not 1 (normalise each row)", nth_id(g, i), s);
    }
    return 0;
}

/* The matching state is only needed until every submission row has found
 * its answer row; dropping it before the values are read keeps the peak low. */
static void drop_ids(grade_data *g)
{
    sb_free(&g->ids);
    free(g->used);
    big_free(g->slots);
    g->used = NULL;
    g->slots = NULL;
}

int grade_load(grade_data *g, const bench_competition *comp, const char *sub_path,
               const char *answers_path)
{
    memset(g, 0, sizeof *g);
    g->comp = comp;
    g->flags = metric_flags(comp->metric);
    if (!(g->flags & METRIC_KNOWN))
        return err_set("%s: unknown metric '%s'", comp->id, comp->metric);
    if (load_answers(g, answers_path, 1) < 0)
        return -1;
    if (g->n == 0)
        return err_set("%s: answers %s have no rows", comp->id, answers_path);
    if (g->n >= UINT32_MAX)
        return err_set("%s: answers %s have too many rows", comp->id, answers_path);
    g->used = xcalloc(g->n / 8 + 1, 1);
    if (g->flags & METRIC_STRING)
        g->poff = xcalloc(g->n, sizeof *g->poff);
    else
        g->p = big_alloc(g->n * g->k * sizeof *g->p);
    csv_reader r;
    if (csv_reader_open(&r, sub_path) < 0)
        return invalid(g, "%s", err_last());
    long id_at;
    int rc = csv_reader_next(&r);
    if (rc <= 0)
        rc = invalid(g, "%s", rc == 0 ? "submission: empty file (no header)" : err_last());
    else
        rc = map_header(g, &r, 0, &id_at);
    if (rc == 0)
        rc = read_submission_rows(g, &r, id_at);
    csv_reader_close(&r);
    if (rc == 0)
        rc = check_row_sums(g);
    drop_ids(g);
    if (rc == 0)
        rc = load_answers(g, answers_path, 2);
    return rc < 0 ? -1 : 0;
}

int grade_score(double *out, grade_data *g)
{
    size_t n = g->n;
    const char **ys = NULL, **ps = NULL;
    if (g->flags & METRIC_STRING) {
        ys = xmalloc(n * sizeof *ys);
        ps = xmalloc(n * sizeof *ps);
        for (size_t i = 0; i < n; i++) {
            ys[i] = g->ystr.buf + g->yoff[i];
            ps[i] = g->pstr.buf + g->poff[i];
        }
    }
    metric_input in = {n, g->k, g->y, g->p, ys, ps, (const char *const *)g->cols};
    int rc = metric_compute(out, g->comp->metric, &in);
    free(ys);
    free(ps);
    if (rc < 0)
        err_prefix("%s", g->comp->id);
    return rc;
}
