/*
 * match.c: matching submission rows to answer rows by id.
 *
 * Submissions usually list ids in the answers' order, so row r is first
 * tried against answer row r (a sequential walk through the ids); only on
 * the first mismatch is a hash of the answer ids built. An id may repeat in
 * the answers (one competition uses the comment text as its id): the k-th
 * occurrence in the submission takes the k-th unused answer row with it.
 *
 * A shuffled million-row submission makes every lookup two cache misses (the
 * hash slot, then the answer id to compare) and a third for the row's place
 * in the value array. Taken one row at a time they are paid one after the
 * other; so rows are read in batches of BATCH, the slots of the whole batch
 * are prefetched, then the ids and value rows those slots point at, and only
 * then is each row matched, in file order and with the same checks and
 * messages as one at a time. The prefetches are hints: matching never
 * depends on them.
 */
#include "match.h"
#include "bigmem.h"
#include "csv_reader.h"
#include "grade_data.h"
#include "metrics.h"
#include "numparse.h"
#include "pairsort.h"
#include "util.h"
#include "values.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 32

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

/* Open addressing over ~1.3 n slots (not a power of two: the table is a good
 * share of peak memory); a hash maps onto the table by multiply-shift. Each
 * 64-bit slot packs the answer row (low row_bits), the offset of its id in
 * g->ids (the next off_bits) and, in the bits left, a tag from other bits of
 * the id's hash. When every answer id has the same length (the usual case:
 * numbered or hashed ids) the offset is row * g->id_stride, so the slot needs
 * no offset field and is 32 bits wide (g->slots32): half the table's memory. A lookup in a shuffled million-row submission is bound by
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
    unsigned used = g->row_bits + g->off_bits, width = g->slots32 ? 32 : 64;
    return used >= width ? 0 : (h << used) & (UINT64_MAX >> (64 - width));
}

/* Slot s's value, widened (UINT64_MAX: empty). */
static uint64_t slot_at(const grade_data *g, size_t s)
{
    if (!g->slots32)
        return g->slots[s];
    return g->slots32[s] == UINT32_MAX ? UINT64_MAX : g->slots32[s];
}

static int slot_empty(const grade_data *g, size_t s)
{
    return g->slots32 ? g->slots32[s] == UINT32_MAX : g->slots[s] == UINT64_MAX;
}

/* Where the id of slot value v starts in g->ids. */
static size_t id_off(const grade_data *g, uint64_t v)
{
    uint64_t row = v & (((uint64_t)1 << g->row_bits) - 1);
    if (g->slots32)
        return (size_t)row * g->id_stride;
    return (size_t)(v >> g->row_bits & (((uint64_t)1 << g->off_bits) - 1));
}

/* The offset field of a 64-bit slot, in place (none in a 32-bit one). */
static uint64_t id_field_mask(const grade_data *g)
{
    return (((uint64_t)1 << g->off_bits) - 1) << g->row_bits;
}

static const void *slot_addr(const grade_data *g, size_t s)
{
    return g->slots32 ? (const void *)&g->slots32[s] : (const void *)&g->slots[s];
}

static int is_used(const grade_data *g, size_t i)
{
    return g->used[i >> 3] >> (i & 7) & 1;
}

static void insert(grade_data *g, uint64_t h, size_t s, size_t off, size_t i)
{
    uint64_t tag = tag_of(g, h), row_mask = ((uint64_t)1 << g->row_bits) - 1,
             tag_mask = ~(row_mask | id_field_mask(g));
    for (; !slot_empty(g, s); s = s + 1 == g->n_slots ? 0 : s + 1) {
        uint64_t v = slot_at(g, s);
        if (!g->dup_ids && (v & tag_mask) == tag && !strcmp(g->ids + id_off(g, v), g->ids + off))
            g->dup_ids = 1;
    }
    assert(i < ((uint64_t)1 << g->row_bits) - 1); /* the row field of a slot is never all ones */
    if (g->slots32)
        g->slots32[s] = (uint32_t)(tag_of(g, h) | i);
    else
        g->slots[s] = tag_of(g, h) | (uint64_t)off << g->row_bits | i;
}

/* Inserts go BATCH at a time, their slots prefetched first: each insert is a
 * cache miss otherwise. */
static void build_index(grade_data *g)
{
    g->row_bits = bits_for(g->n);
    g->n_slots = g->n + g->n / 3 + 1;
    if (g->id_stride && g->row_bits <= 28) { /* >= 4 bits left for the tag */
        g->off_bits = 0;
        g->slots32 = big_alloc(g->n_slots * sizeof *g->slots32);
        memset(g->slots32, 0xFF, g->n_slots * sizeof *g->slots32);
    } else {
        g->off_bits = bits_for(g->ids_len);
        g->slots = big_alloc(g->n_slots * sizeof *g->slots);
        memset(g->slots, 0xFF, g->n_slots * sizeof *g->slots);
    }
    uint64_t h[BATCH];
    size_t off[BATCH + 1] = {0}, slot[BATCH];
    for (size_t first = 0; first < g->n; first += BATCH) {
        size_t m = g->n - first < BATCH ? g->n - first : BATCH;
        for (size_t j = 0; j < m; j++) {
            const char *id = g->ids + off[j];
            h[j] = hash_str(id);
            slot[j] = slot_of(g, h[j]);
            __builtin_prefetch(slot_addr(g, slot[j]), 1);
            off[j + 1] = off[j] + strlen(id) + 1;
        }
        for (size_t j = 0; j < m; j++)
            insert(g, h[j], slot[j], off[j], first + j);
        off[0] = off[m];
    }
}

/* MLE-bench reads both files with pandas, which types the id column: when
 * every answer id is an integer the column is int64, and a submission id
 * equals it by value: "007", "+7" and " 7 " are 7, and so is "7.0" (the
 * submission's column is then float64). Text ids are compared as text. */

void grade_numeric_ids(grade_data *g)
{
    if (!g->ids || !g->n)
        return;
    for (const char *id = g->ids; id < g->ids + g->ids_len; id += strlen(id) + 1) {
        char buf[64];
        if (strlen(id) >= sizeof buf || num_int_canon(id, buf) < 0)
            return;
    }
    /* rewrite in place: a canonical id is never longer than its text */
    size_t in = 0, out = 0, n = g->n;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(g->ids + in);
        num_int_canon(g->ids + in, g->ids + out);
        in += len + 1;
        out += strlen(g->ids + out) + 1;
        assert(out <= in); /* never longer than its text: nothing unread is overwritten */
    }
    g->ids_len = out;
    g->id_stride = strlen(g->ids) + 1; /* as grade_add_id counts it */
    for (size_t at = 0; at < out && g->id_stride; at += g->id_stride)
        if (strlen(g->ids + at) + 1 != g->id_stride)
            g->id_stride = 0;
    g->num_ids = 1;
}

/* A submission id in the answers' spelling when they are integers: buf
 * (64 bytes) or id itself. */
static const char *id_key(const grade_data *g, const char *id, char *buf)
{
    if (!g->num_ids || strlen(id) >= 64)
        return id;
    if (num_int_canon(id, buf) == 0)
        return buf;
    double v; /* a float64 column: 7.0 == 7 */
    if (num_parse(id, &v) == 0 && v == trunc(v) && fabs(v) < 9007199254740992.0) {
        snprintf(buf, 64, "%.0f", v == 0 ? 0.0 : v);
        return buf;
    }
    return id;
}

/* The answer row for a submission id, or -1 (unknown) / -2 (all used). row
 * is the submission's row, tried first against the answer row of the same
 * position, whose id starts at g->seq_off. That shortcut is only sound while
 * no earlier occurrence of the id can be unused: before the hash exists
 * (every earlier row matched in order) or when the answers repeat no id. */
/* The value of the first slot of hash h's probe whose tag matches: the
 * likely answer row, whose id text a batch prefetches before probing (the
 * probe's first slot often holds another id). UINT64_MAX when an empty slot
 * comes first. */
static uint64_t first_tagged(const grade_data *g, uint64_t h)
{
    uint64_t tag = tag_of(g, h),
             tag_mask = ~((((uint64_t)1 << g->row_bits) - 1) | id_field_mask(g));
    for (size_t at = slot_of(g, h); !slot_empty(g, at); at = at + 1 == g->n_slots ? 0 : at + 1)
        if ((slot_at(g, at) & tag_mask) == tag)
            return slot_at(g, at);
    return UINT64_MAX;
}

/* The first answer row with this id (canonical spelling, hash h) that is
 * unused, or the first at all when any_row is set; -1 none, -2 all used. */
static long probe(const grade_data *g, const char *id, uint64_t h, int any_row)
{
    uint64_t tag = tag_of(g, h);
    uint64_t row_mask = ((uint64_t)1 << g->row_bits) - 1,
             tag_mask = ~(row_mask | id_field_mask(g));
    int seen = 0;
    for (size_t s = slot_of(g, h); !slot_empty(g, s); s = s + 1 == g->n_slots ? 0 : s + 1) {
        uint64_t v = slot_at(g, s);
        if ((v & tag_mask) != tag || strcmp(g->ids + id_off(g, v), id))
            continue;
        if (any_row || !is_used(g, v & row_mask))
            return (long)(v & row_mask);
        seen = 1;
    }
    return seen ? -2 : -1;
}

long grade_find_row(grade_data *g, const char *id, size_t row)
{
    char key[64];
    id = id_key(g, id, key);
    if (row < g->n && !is_used(g, row) && !g->dup_ids && !strcmp(g->ids + g->seq_off, id))
        return (long)row;
    grade_build_index(g);
    return probe(g, id, hash_str(id), 0);
}

void grade_build_index(grade_data *g)
{
    if (!g->slots && !g->slots32)
        build_index(g);
}

/* The slot a probe for hash h starts at is prefetched first for the
 * whole batch, then the id text of each one's first slot with a matching
 * tag, then the probes run (see the top comment). */
void grade_lookup_many(const grade_data *g, const char *const *ids, size_t n, long *rows)
{
    char key[BATCH][64];
    const char *id[BATCH];
    uint64_t h[BATCH];
    for (size_t first = 0; first < n; first += BATCH) {
        size_t m = n - first < BATCH ? n - first : BATCH;
        for (size_t j = 0; j < m; j++) {
            id[j] = id_key(g, ids[first + j], key[j]);
            h[j] = hash_str(id[j]);
            __builtin_prefetch(slot_addr(g, slot_of(g, h[j])));
        }
        for (size_t j = 0; j < m; j++) {
            uint64_t v = first_tagged(g, h[j]);
            if (v != UINT64_MAX)
                __builtin_prefetch(g->ids + id_off(g, v));
        }
        for (size_t j = 0; j < m; j++)
            rows[first + j] = probe(g, id[j], h[j], 1);
    }
}

int grade_claim_shared(grade_data *g, size_t at)
{
    unsigned char bit = (unsigned char)(1u << (at & 7));
    return !(__atomic_fetch_or(&g->used[at >> 3], bit, __ATOMIC_RELAXED) & bit);
}

/* Rows copied out of the reader: field offsets are relative to the row's
 * start in text. */
typedef struct batch {
    sb text;
    size_t *off;
    size_t off_len, off_cap;
    struct {
        size_t text_at, off_at, n_fields, line, slot;
        uint64_t hash;
    } row[BATCH];
    size_t n;
} batch;

/* Read up to BATCH rows; returns csv_reader_next's last answer (1: more may
 * follow, 0: end, < 0: malformed row after the b->n good ones). */
static int fill(batch *b, csv_reader *r)
{
    b->n = 0;
    b->off_len = 0;
    sb_reset(&b->text);
    int rc = 1;
    while (b->n < BATCH && (rc = csv_reader_next(r)) > 0) {
        if (b->off_len + r->n_fields > b->off_cap) {
            b->off_cap = (b->off_len + r->n_fields) * 2;
            b->off = xrealloc(b->off, b->off_cap * sizeof *b->off);
        }
        b->row[b->n].text_at = b->text.len;
        b->row[b->n].off_at = b->off_len;
        b->row[b->n].n_fields = r->n_fields;
        b->row[b->n].line = r->row_line;
        sb_append(&b->text, r->buf, r->buf_len);
        memcpy(b->off + b->off_len, r->off, r->n_fields * sizeof *b->off);
        b->off_len += r->n_fields;
        b->n++;
    }
    return rc;
}

static row_view view(const batch *b, size_t i, const char *name)
{
    row_view v = {name, b->text.buf + b->row[i].text_at, b->off + b->row[i].off_at,
                  b->row[i].n_fields, b->row[i].line};
    return v;
}

/* Pull the batch's slots, then the ids and value rows behind them, into the
 * cache (see the top comment). */
static void prefetch(grade_data *g, batch *b, long id_at, size_t ncols)
{
    if ((!g->slots && !g->slots32) || id_at < 0)
        return;
    for (size_t i = 0; i < b->n; i++) {
        row_view v = view(b, i, NULL);
        b->row[i].slot = SIZE_MAX;
        if (v.n_fields != ncols)
            continue;
        b->row[i].hash = hash_str(v.buf + v.off[id_at]);
        b->row[i].slot = slot_of(g, b->row[i].hash);
        __builtin_prefetch(slot_addr(g, b->row[i].slot));
    }
    uint64_t row_mask = ((uint64_t)1 << g->row_bits) - 1;
    for (size_t i = 0; i < b->n; i++) {
        uint64_t s = b->row[i].slot == SIZE_MAX ? UINT64_MAX : first_tagged(g, b->row[i].hash);
        if (s == UINT64_MAX)
            continue;
        __builtin_prefetch(g->ids + id_off(g, s));
        if (g->p)
            __builtin_prefetch(g->p + (s & row_mask) * g->k, 1);
    }
}

void grade_claim(grade_data *g, long at)
{
    assert(at >= 0 && (size_t)at < g->n && !is_used(g, (size_t)at)); /* once each */
    g->used[at >> 3] |= (unsigned char)(1u << (at & 7));
    if (g->seq_row < g->n)
        g->seq_off += strlen(g->ids + g->seq_off) + 1;
    g->seq_row++;
}

static int match_row(grade_data *g, const row_view *r, long id_at);

/* A row with too few fields is what pandas reads with its missing cells
 * NaN, as if empty: it is graded so, and only fails where an empty cell
 * would (a target, an id the grader compares); then the message says why
 * the cell is empty. Too many fields is pandas' error too. */
int grade_match_one(grade_data *g, const row_view *r, long id_at, size_t ncols)
{
    if (r->n_fields > ncols || r->n_fields == 0)
        return grade_invalid(g, "%s: line %zu: %zu fields, but the header has %zu", r->name,
                             r->line, r->n_fields, ncols);
    if (r->n_fields == ncols)
        return match_row(g, r, id_at);
    size_t *off = xmalloc(ncols * sizeof *off), last = r->off[r->n_fields - 1];
    memcpy(off, r->off, r->n_fields * sizeof *off);
    for (size_t i = r->n_fields; i < ncols; i++)
        off[i] = last + strlen(r->buf + last); /* the last field's NUL: "" */
    row_view padded = *r;
    padded.off = off;
    padded.n_fields = ncols;
    int rc = match_row(g, &padded, id_at);
    free(off);
    if (rc == 1) {
        char *why = g->why;
        g->why = NULL;
        grade_invalid(g, "%s: line %zu: %zu fields, but the header has %zu (pandas reads the "
                      "missing cells as empty): %s", r->name, r->line, r->n_fields, ncols, why);
        free(why);
    }
    return rc;
}

static int match_row(grade_data *g, const row_view *r, long id_at)
{
    size_t row = g->seq_row;
    const char *id = id_at >= 0 ? r->buf + r->off[id_at] : "";
    int by_id = id_at >= 0 && g->comp->pairing == PAIR_BY_ID;
    long at = by_id ? grade_find_row(g, id, row) : (row < g->n ? (long)row : -1);
    if (at == -1 && by_id && (g->flags & METRIC_EXTRA_IDS))
        return 0; /* a row for an id outside the answers: ignored */
    if (at == -1 && !by_id)
        return grade_invalid(g, "%s: line %zu: more rows than the answers' %zu", r->name,
                             r->line, g->n);
    if (at == -1)
        return grade_invalid(g, "%s: line %zu, column '%s': id '%s' is not in the answers",
                             r->name, r->line, g->comp->id_col, id);
    if (at == -2)
        return grade_invalid(g, "%s: line %zu, column '%s': id '%s' appears more often "
                             "than in the answers (each id once)", r->name, r->line,
                             g->comp->id_col, id);
    grade_claim(g, at);
    if (grade_pairs_sorted(g->comp)) /* row at for now; pairsort.c sorts */
        grade_keep_key(g, id);
    if (g->pline)
        g->pline[at] = r->line;
    grade_path *p = g->path;
    double *dst = p->row ? p->row : g->p ? g->p + (size_t)at * g->k : NULL;
    int rc = grade_take_values(g, r, 0, dst, &g->pstr, g->poff ? g->poff + at : NULL);
    if (rc == 0 && p->ops->take_row)
        p->ops->take_row(p, g, (size_t)at);
    return rc;
}

int grade_match_rows(grade_data *g, csv_reader *r, long id_at)
{
    size_t ncols = r->n_fields;
    batch b = {0};
    int rc, more;
    do {
        more = fill(&b, r);
        char *read_error = more < 0 ? xstrdup(err_last()) : NULL;
        prefetch(g, &b, id_at, ncols);
        rc = 0;
        for (size_t i = 0; i < b.n && rc == 0; i++) {
            row_view v = view(&b, i, r->name);
            rc = grade_match_one(g, &v, id_at, ncols);
        }
        if (rc == 0 && read_error)
            rc = grade_invalid(g, "%s", read_error);
        free(read_error);
    } while (rc == 0 && more > 0);
    sb_free(&b.text);
    free(b.off);
    return rc ? rc : grade_all_matched(g, r->name);
}

int grade_all_matched(grade_data *g, const char *name)
{
    if (g->seq_row >= g->n)
        return 0;
    size_t i = 0;
    while (is_used(g, i))
        i++;
    if (g->comp->pairing != PAIR_BY_ID || !g->comp->id_col)
        return grade_invalid(g, "%s: %zu rows, the answers have %zu (rows pair by %s)",
                             name, g->seq_row, g->n, grade_pairs_sorted(g->comp)
                                                         ? "sorted id" : "position");
    char more[48] = "";
    if (g->n - g->seq_row > 1)
        snprintf(more, sizeof more, " (and %zu more)", g->n - g->seq_row - 1);
    return grade_invalid(g, "%s: %zu rows, the answers have %zu: id '%s'%s missing", name,
                         g->seq_row, g->n, grade_nth_id(g, i), more);
}
