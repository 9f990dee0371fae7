/*
 * grade_data.h (private to bench/): one grading's state, and the interface
 * of a grading path.
 *
 * grade.c streams the answers, then the submission, into grade_data: the
 * answers' ids (match.c matches each submission row to its answer row by
 * them) and, on the general path, typed n x k tables of both sides that the
 * metric reads. A fast path (fastrows.c: multi-class log loss; fastauc.c:
 * binary AUC) keeps far less: it is a grade_path, a vtable with its own
 * state behind it, chosen once when the answers' header is read. The shared
 * loops call the path's hooks and never look at its state; the general path
 * is a grade_path too (grade.c), so no loop asks which path it is on.
 *
 * Who includes what: grade_data.c owns this header; values.h, match.h,
 * pairsort.h, inplace.h, mask_grade.h, halves.h and grade_paths.h build on
 * it, and grade.c (grade.h) sits on top of them all. No header here
 * includes one that includes it back (tests/bench/check_includes.py).
 */
#ifndef GROVE_BENCH_GRADE_DATA_H
#define GROVE_BENCH_GRADE_DATA_H

#include "bench.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>

struct csv_reader;
struct grade_lane;
struct mask_state;
struct metric_def;
typedef struct grade_data grade_data;
typedef struct grade_path grade_path;

/* One CSV row's unescaped fields: field i is buf + off[i]. */
typedef struct row_view {
    const char *name;       /* file, for messages */
    const char *buf;
    const size_t *off;
    size_t n_fields, line;  /* line: 1-based line where the row starts */
} row_view;

/* The first answer row (in answer order) where a submission row breaks a
 * rule that is reported after every row is read (a row sum; SIZE_MAX:
 * none), and the value that broke it. */
typedef struct grade_fault {
    size_t row;
    double value;
} grade_fault;

/* ---- a grading path ------------------------------------------------------
 * The hooks grade.c, match.c and halves.c call. Required: match_rows,
 * check_rows, score. The others may be NULL: the loop then does nothing
 * there. Every hook gets its own path back (its state is the struct that
 * embeds grade_path as its first member). */
typedef struct grade_path_ops {
    const char *name;
    /* 1 when the answers are read a second time for their values (the
     * general path's tables; g->p is allocated for the submission). */
    int two_pass;
    /* Pass 1 over the answers: row r's values (its id is counted already:
     * it is answer row g->n - 1). 0 or < 0 with err_last(). */
    int (*answer_row)(grade_path *p, grade_data *g, const row_view *r);
    /* Pass 1: the answers row at r's cursor read where it lies (role from
     * inplace_roles): 0 taken and the cursor moved past it, 1 when the
     * general reader must take it, < 0 error. */
    int (*answer_in_place)(grade_path *p, grade_data *g, struct csv_reader *r,
                           const long *role, size_t ncols, sb *id);
    /* The submission row just matched to answer row at: its k values are in
     * p->row (which match.c fills in place of a row of g->p). */
    void (*take_row)(grade_path *p, grade_data *g, size_t at);
    /* Every submission row after the header (like grade_match_rows): 0, 1
     * (invalid: g->why) or < 0. */
    int (*match_rows)(grade_path *p, grade_data *g, struct csv_reader *r, long id_at);
    /* Several threads over byte ranges of the submission (halves.c): the
     * rows at the lane's cursor (1 more may follow, 0 end of the range, -1
     * the single reader must grade the file); before the lanes start; after
     * they end, ok or not (fault: the lanes' first row-sum fault). */
    int (*lane_rows)(grade_path *p, struct grade_lane *l, struct csv_reader *r);
    void (*lanes_begin)(grade_path *p, grade_data *g);
    void (*lanes_end)(grade_path *p, grade_data *g, int ok, const grade_fault *fault);
    /* After every row is matched: the checks over whole rows (row sums). 0,
     * or 1 with g->why. */
    int (*check_rows)(grade_path *p, grade_data *g);
    /* The score: 0, < 0 with err_last(); an invalid submission sets g->why
     * and returns 0. */
    int (*score)(double *out, grade_path *p, grade_data *g);
    void (*destroy)(grade_path *p); /* frees p and its state */
} grade_path_ops;

struct grade_path {
    const grade_path_ops *ops;
    double *row; /* k values of the submission row being read, owned by the
                    path; NULL: match.c writes rows of g->p */
};

/* ---- one grading's state ---------------------------------------------------- */

struct grade_data {
    const bench_competition *comp;
    const struct metric_def *metric; /* comp->metric's row of the metric table */
    int flags;              /* METRIC_KNOWN | metric->flags */
    grade_path *path;       /* chosen once the answers' header is read; owned */
    size_t n, k;            /* answer rows, target columns */
    char **cols;            /* k target column names */
    char *mark;             /* k registry markers (bench.h's target_cols): 0,
                               '+' only in the submission, '-' only in the
                               answers (the other side's values are NaN), '?'
                               empty answers cells are NaN */
    char *group_col;        /* "=name": an answers-only text column handed to
                               the metric as each row's group, or NULL */
    long group_at;          /* its position in the answers' header */
    sb gstr;                /* the answers' group cells */
    size_t *goff;           /* n offsets into gstr */
    long *col_idx;          /* positions of the targets in the current header */
    char *ids;              /* answer ids in order, NUL-separated (big_alloc
                               of the answers' size: they cannot take more;
                               freed once matched) */
    size_t ids_len;
    int num_ids;            /* every answer id is an integer (pandas: int64):
                               ids compare as numbers (grade_numeric_ids) */
    size_t seq_off;         /* offset in ids of the answer row at the
                               submission's current position */
    size_t seq_row;         /* that position */
    double *y, *p;          /* general path, numeric metrics: n x k answers,
                               submission (big_alloc) */
    sb ystr, pstr;          /* string metrics: the cells' text */
    size_t *yoff, *poff;    /* n offsets into ystr / pstr */
    size_t *pline;          /* string metrics: the submission line of each
                               answer row's match, for messages */
    unsigned char *used;    /* bitmap: answer row already matched */
    uint64_t *slots;        /* id hash (built on the first out-of-order id;
                               big_alloc); layout in match.c */
    uint32_t *slots32;      /* or these, when ids have one length (match.c) */
    size_t id_stride;       /* every id's length + 1 (0: the lengths differ) */
    size_t n_slots;
    int dup_ids;            /* the hash found an id twice in the answers */
    unsigned row_bits, off_bits; /* slot fields: row, offset of the id */
    sb skeys;               /* PAIR_BY_SORTED_ID: the submission's ids, */
    size_t *skey_off;       /* row r's at skeys.buf + skey_off[r] */
    size_t *pair_ans, *pair_sub; /* PAIR_BY_ALIGNED_ID: answer / submission
                               rows in sorted order, and each submission */
    size_t *sub_ans;        /* row's answer row, until grade_pair_kept */
    unsigned char *bool_col; /* METRIC_BOOL: per target, 1 when the
                               submission's first row has True/False there
                               (pandas types the column bool only if every
                               row does) */
    int any_bool;           /* some target is such a column */
    char *why;              /* set when the submission is invalid */
    sb conv;                /* answers_rows(): the answers as CSV rows, read
                               in place of the file (empty: read the file) */
    struct mask_state *mask; /* METRIC_MASK: the answers' image sizes and ids
                               (mask_grade.c; owned) */
};

/* Mark the submission invalid with a message (row and column); returns 1. */
int grade_invalid(grade_data *g, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* Append an answer id (len bytes, no NUL in it) and count the row. */
int grade_add_id(grade_data *g, const char *id, size_t len, const char *path);
/* The i-th answer id (walks the ids: for messages only). */
const char *grade_nth_id(const grade_data *g, size_t i);

/* PAIR_BY_SORTED_ID, PAIR_BY_ALIGNED_ID: rows pair by sorted id once all are
 * in (pairsort.c), so a row's answer is not known while it is read. */
static inline int grade_pairs_sorted(const bench_competition *c)
{
    return c->pairing == PAIR_BY_SORTED_ID || c->pairing == PAIR_BY_ALIGNED_ID;
}

#endif
