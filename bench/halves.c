/*
 * halves.c: a large submission matched by several threads at once.
 *
 * Grading a million-row AUC or a 100,000 x 100 log loss is reading the
 * submission and matching each row's id: work that splits by rows. The
 * file after its header is cut into one byte range per lane at line starts
 * (one lane per CPU); each lane streams its range through its own reader
 * and takes the rows the in-place reader can take (inplace.c): it looks the
 * id up in the answers' hash (read-only once built), claims that answer row
 * with an atomic bit, and writes what the metric keeps of the row into that
 * row's own slot (the binary AUC's sort key, the log loss's row loss). No
 * two lanes ever write the same place: a row is claimed once. What a lane
 * reads and where it writes is the grading path's (its lane_rows hook);
 * this file only cuts the file, runs the threads and joins them.
 *
 * This is only the valid submission's road. The first row a lane cannot
 * take as it is (quotes anywhere, an unknown or repeated id, a value out of
 * line, a row sum near the tolerance, a short row) stops every lane, the
 * claims are undone, and the single reader of match.c / fastrows.c grades
 * the file from its first row, so a faulty submission gets the same first
 * fault, on the same line, in the same words. When every lane took all its
 * rows and they number the answers' rows, every answer row was claimed
 * exactly once with exactly the values the single reader would have read:
 * the score is the same to the last bit, since both metrics are
 * indifferent to the order rows come in (the AUC sorts, the losses are
 * summed in answer order).
 *
 * GROVE_GRADE_LANES (default: the CPUs this process may run on, at most 8)
 * and GROVE_GRADE_SPLIT_MIN (bytes after the header below which one reader
 * is used; default 4 MiB) exist so tests can cut small files in many places.
 */
#include "halves.h"
#include "csv_reader.h"
#include "grade_data.h"
#include "inplace.h"
#include "match.h"
#include "metrics.h"
#include "util.h"

#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LANES 8
#define SPLIT_MIN_DEFAULT ((size_t)4 << 20)
#define CUT_SEARCH ((size_t)1 << 20) /* how far past a nominal cut a line end is looked for */
#define STOP_EVERY 256               /* steps between looks at the stop flag */

static size_t env_size(const char *name, size_t dflt)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return dflt;
    unsigned long long x = strtoull(v, &end, 10);
    return *end ? dflt : (size_t)x;
}

static size_t lane_count(void)
{
    cpu_set_t set;
    size_t cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? (size_t)CPU_COUNT(&set) : 1;
    size_t n = env_size("GROVE_GRADE_LANES", cpus);
    return n < 1 ? 1 : n > MAX_LANES ? MAX_LANES : n;
}

static void *lane_run(void *arg)
{
    grade_lane *l = arg; /* ok 0, no rows, no bad sum until the range is read */
    grade_path *p = l->g->path;
    csv_reader r;
    if (csv_reader_stream_range(&r, l->path, l->from, l->to) < 0) {
        __atomic_store_n(l->stop, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    l->vals = xcalloc(l->g->k, sizeof *l->vals);
    l->pos = xcalloc(l->g->k, sizeof *l->pos);
    int ok = 1, more = 1;
    for (size_t step = 1; ok && more; step++) {
        more = p->ops->lane_rows(p, l, &r);
        ok = more >= 0;
        if (ok && step % STOP_EVERY == 0 && __atomic_load_n(l->stop, __ATOMIC_RELAXED))
            ok = 0;
    }
    ok = ok && !r.read_errno;
    if (!ok)
        __atomic_store_n(l->stop, 1, __ATOMIC_RELAXED);
    l->ok = ok;
    free(l->vals);
    free(l->pos);
    sb_free(&l->id);
    sb_free(&l->text);
    l->vals = NULL;
    l->pos = NULL;
    csv_reader_close(&r);
    return NULL;
}

/* The start of the first line that begins at or after want (its previous
 * byte is a '\n'), searched no further than CUT_SEARCH; size when none. */
static size_t line_start(int fd, size_t want, size_t size)
{
    char buf[1 << 16];
    for (size_t at = want - 1; at < size && at < want + CUT_SEARCH;) {
        ssize_t got = pread(fd, buf, sizeof buf, (off_t)at);
        if (got <= 0)
            return size;
        const char *nl = memchr(buf, '\n', (size_t)got);
        if (nl)
            return at + (size_t)(nl - buf) + 1;
        at += (size_t)got;
    }
    return size;
}

/* Whether this grading may go by lanes at all. */
static int lanes_apply(const grade_data *g, const csv_reader *r, long id_at)
{
    return g->path->ops->lane_rows && id_at >= 0 && g->comp->pairing == PAIR_BY_ID &&
           !(g->flags & METRIC_EXTRA_IDS) && !g->any_bool && r->fd >= 0 && g->seq_row == 0;
}

int grade_match_lanes(grade_data *g, const char *path, csv_reader *r, long id_at)
{
    if (!lanes_apply(g, r, id_at))
        return 0;
    size_t start = csv_reader_tell(r), size = r->file_size, n = lane_count();
    if (n < 2 || size - start < env_size("GROVE_GRADE_SPLIT_MIN", SPLIT_MIN_DEFAULT))
        return 0;
    grade_build_index(g);
    if (g->dup_ids)
        return 0; /* the k-th copy of an id takes the k-th answer row: in order only */
    grade_path *p = g->path;
    assert(p->ops->lanes_begin && p->ops->lanes_end); /* they go with lane_rows */
    grade_lane l[MAX_LANES];
    pthread_t tid[MAX_LANES];
    int started[MAX_LANES] = {0}, stop = 0;
    long *role = inplace_roles(g, r->n_fields, id_at);
    p->ops->lanes_begin(p, g);
    size_t from = start;
    for (size_t i = 0; i < n; i++) {
        size_t to = i + 1 == n ? size : line_start(r->fd, start + (size - start) / n * (i + 1),
                                                   size);
        if (to < from)
            to = from;
        l[i] = (grade_lane){.g = g, .path = path, .from = from, .to = to, .role = role,
                            .ncols = r->n_fields, .stop = &stop, .bad = {SIZE_MAX, 0}};
        from = to;
    }
    for (size_t i = 1; i < n; i++)
        started[i] = pthread_create(&tid[i], NULL, lane_run, &l[i]) == 0;
    lane_run(&l[0]);
    size_t rows = l[0].rows;
    int ok = l[0].ok;
    grade_fault bad = l[0].bad;
    for (size_t i = 1; i < n; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        ok = ok && started[i] && l[i].ok;
        rows += l[i].rows;
        if (l[i].bad.row < bad.row)
            bad = l[i].bad;
    }
    free(role);
    if (!ok || rows != g->n) { /* the single reader grades it, from the first row */
        log_debug("%s: %zu threads stood aside (a row they do not take, or %zu rows for "
                  "%zu answers): one reader grades it", path, n, rows, g->n);
        memset(g->used, 0, g->n / 8 + 1);
        p->ops->lanes_end(p, g, 0, NULL);
        return 0;
    }
    log_debug("%s: %zu rows matched by %zu threads", path, rows, n);
    g->seq_row = g->n;
    p->ops->lanes_end(p, g, 1, &bad);
    return 1;
}
