/*
 * grade_internal.h (private to bench/): answers and submission loaded into
 * matched, typed columns (grade.c), scored by metrics.c, reported by report.c.
 */
#ifndef GROVE_BENCH_GRADE_INTERNAL_H
#define GROVE_BENCH_GRADE_INTERNAL_H

#include "bench.h"
#include "util.h"

#include <stdint.h>

/* The first answer row whose probabilities do not sum to 1 (SIZE_MAX:
 * none), and that sum. */
typedef struct ll_fault {
    size_t row;
    double sum;
} ll_fault;

typedef struct grade_data {
    const bench_competition *comp;
    const struct metric_def *metric; /* comp->metric's row of the metric table */
    int flags;              /* METRIC_KNOWN | metric->flags */
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
    double *y, *p;          /* numeric metrics: n x k answers, submission
                               (big_alloc) */
    sb ystr, pstr;          /* string metrics: the cells' text */
    size_t *yoff, *poff;    /* n offsets into ystr / pstr */
    size_t *pline;          /* string metrics: the submission line of each
                               answer row's match, for messages */
    unsigned char *used;    /* bitmap: answer row already matched */
    uint64_t *slots;        /* id hash (built on the first out-of-order id;
                               big_alloc); layout in grade.c */
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
    /* reduced multi-class log loss (fastrows.c): the answers kept as their
     * non-zero cells only, each submission row folded into its loss as it
     * is read, so no n x k table exists at all */
    int reduced;
    double *scratch;        /* k values of the row being read */
    size_t *nz_end;         /* answer row i's cells are nz[nz_end[i-1] .. nz_end[i]) */
    uint32_t *nz_col;
    double *nz_val;
    size_t nz_len, nz_cap;
    double *loss;           /* n per-row losses (big_alloc) */
    ll_fault bad_sum;
    /* binary ROC AUC of one column (fastauc.c): the answers' labels as bits
     * from pass 1, the submission's values as sort keys in file order */
    int bin_auc;
    uint64_t *lab;          /* bit i: answer row i has label lab_a */
    double lab_a, lab_b;    /* the two labels in order of appearance (NaN: none) */
    size_t lab_bad_row;     /* first row with a third label (SIZE_MAX: none) */
    double lab_bad;         /* and that label */
    uint64_t *keys;         /* n sort keys, submission order (big_alloc) */
    uint64_t *key_lab;      /* bit r: submission row r's answer has label lab_a */
    /* run-length encoded masks (metrics_mask.c): the answers' image sizes,
     * read in pass 1 so each submission mask is checked as it is read */
    double *mask_dims;      /* n x 2: height, width (NULL: fixed by the metric) */
    size_t mask_cap;        /* rows mask_dims has room for */
    long mask_col[4];       /* answers' mask, height, width, id columns (-1: none) */
    sb mask_ids;            /* the answers' ids, for metrics that group rows */
    size_t *mask_id_off;    /* row i's id is mask_ids.buf + mask_id_off[i] */
} grade_data;

/* One CSV row's unescaped fields: field i is buf + off[i]. */
typedef struct row_view {
    const char *name;       /* file, for messages */
    const char *buf;
    const size_t *off;
    size_t n_fields, line;  /* line: 1-based line where the row starts */
} row_view;

/* Mark the submission invalid with a message (row and column); returns 1. */
int grade_invalid(grade_data *g, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* Parse and check one row's target cells into dst (k doubles) or, for a
 * string metric, append the text to strs and store its offset in *soff. A
 * bad answers cell is an error (< 0), a bad submission cell makes the
 * submission invalid (1). */
int grade_take_values(grade_data *g, const row_view *r, int is_answers, double *dst,
                      sb *strs, size_t *soff);
/* match.c: read every submission row after the header (id column id_at, or
 * -1 to match by position), find its answer row and take its values. 0,
 * 1 (invalid: g->why) or < 0. */
struct csv_reader;
int grade_match_rows(grade_data *g, struct csv_reader *r, long id_at);
/* match.c, for fastrows.c: one row, with every check and message (0, or 1
 * with g->why); the answer row of id (-1 unknown, -2 used up); take answer
 * row at for the submission's current position; and after the last row,
 * the check that no answer row is left unmatched. */
int grade_match_one(grade_data *g, const row_view *r, long id_at, size_t ncols);
long grade_find_row(grade_data *g, const char *id, size_t row);
/* For readers on several threads: build the id hash now (then
 * grade_lookup_many only reads g); the answer rows of n ids whether used or
 * not (when the answers repeat no id: !g->dup_ids), or -1 each; and take
 * answer row at atomically: 1, or 0 when it was taken already. */
void grade_build_index(grade_data *g);
void grade_lookup_many(const grade_data *g, const char *const *ids, size_t n, long *rows);
int grade_claim_shared(grade_data *g, size_t at);
/* match.c: after the answers' ids are in, when every one is an integer as
 * pandas reads it, rewrite them in one canonical spelling and set num_ids,
 * so that grade_find_row matches "007", " 7" or "7.0" to the answer 7. */
void grade_numeric_ids(grade_data *g);
/* The canonical spelling of an integer literal as pandas' C parser takes it
 * (blanks around, a sign, digits) into out (at most strlen(s) + 1 bytes,
 * out may be s); 0, or -1 when s is no such literal. */
int grade_int_canon(const char *s, char *out);
/* pairsort.c (PAIR_BY_SORTED_ID, PAIR_BY_ALIGNED_ID): keep the id of the
 * submission row just claimed; once every row is in (row r at answer row r),
 * pair them as the grader does: both sides sorted by id, row i with row i
 * (0, or 1: invalid); for PAIR_BY_ALIGNED_ID, that last step waits for the
 * answers' values (grade_pair_kept, after load_answers' pass 2). */
static inline int grade_pairs_sorted(const bench_competition *c)
{
    return c->pairing == PAIR_BY_SORTED_ID || c->pairing == PAIR_BY_ALIGNED_ID;
}
void grade_keep_key(grade_data *g, const char *id);
int grade_pair_sorted(grade_data *g);
int grade_pair_kept(grade_data *g);
void grade_claim(grade_data *g, long at);
int grade_all_matched(grade_data *g, const char *name);
/* fastrows.c: the reduced log loss. Whether comp/k qualify (sets it up);
 * an answers row's values into the sparse rows; a submission row's k
 * values (in the target order) into the loss of answer row at; every
 * submission row (like grade_match_rows); the row-sum fault, if any; the
 * mean loss. */
void ll_setup(grade_data *g);
int ll_answer_row(grade_data *g, const row_view *r);
void ll_add_sparse(grade_data *g);         /* g->scratch as answer row n - 1 */
/* The answers row at the cursor in place (ids and sparse values): 0 done,
 * 1 the general reader must take it, < 0 error. */
int ll_fast_answer(grade_data *g, struct csv_reader *r, const long *role, size_t ncols,
                   sb *id);
void ll_take_row(grade_data *g, size_t at, const double *p);
/* A submission row read in place (inplace_fields with pos) into answer row
 * at's loss: the cells the loss takes the log of are read again exactly
 * from pos; a row-sum fault goes to *bad. 0, or 1 when the general path
 * must read the row (nothing was written then). Rows of distinct answer
 * rows may be taken at once from several threads. */
int ll_take_in_place(grade_data *g, size_t at, double *p, const char **pos, const char *end,
                     ll_fault *bad);
int ll_match_rows(grade_data *g, struct csv_reader *r, long id_at);
int ll_check_sums(grade_data *g);
double ll_mean(const grade_data *g);
/* fastauc.c: the binary AUC. Whether comp/k qualify (sets it up); an
 * answers row's label into the bits; the value of the submission's current
 * row, matched to answer row at; the score (< 0 when the answers do not hold
 * exactly two labels). */
void auc_setup(grade_data *g);
int auc_answer_row(grade_data *g, const row_view *r);
void auc_take_row(grade_data *g, size_t at, double v);
int auc_score(double *out, grade_data *g);
/* halves.c: match the submission's rows after the header (r is at the
 * first) by several threads, each over its own byte range of the file at
 * path. 1 when every row was taken and every answer row matched once (g is
 * then as grade_match_rows / ll_match_rows leave it); 0 when the single
 * reader must grade the file (g as it was, r untouched). */
int grade_match_lanes(grade_data *g, const char *path, struct csv_reader *r, long id_at);
/* inplace.c: a row of plain fields read where it lies in r's window (no
 * copy): role[i] says where field i goes (a target index, INPLACE_ID, or
 * INPLACE_SKIP; inplace_roles builds it, the caller frees it). Targets go
 * into vals, finite; with pos set (a submission's probabilities) each
 * target's field start goes to pos[j], the value must lie in [0, 1] and
 * may be num_scan_frac's reading (inplace_exact reads it again exactly).
 * The id's text goes into id, *next to the row's last delimiter. 0, or 1
 * when the general reader must take the row (quotes, a lone CR, a row the
 * window cuts, a field count or value out of line). inplace_skip moves the
 * cursor past the row. */
enum { INPLACE_SKIP = -1, INPLACE_ID = -2 };
long *inplace_roles(const grade_data *g, size_t ncols, long id_at);
int inplace_fields(double *vals, const struct csv_reader *r, const long *role, size_t ncols,
                   const char **pos, sb *id, const char **next);
int inplace_exact(double *v, const char *field, const char *end);
void inplace_skip(struct csv_reader *r, const char *next);
/* metrics_mask.c: the target column of a mask metric (< 0 unless one);
 * the answers' header (their mask and image size columns, and the id:
 * < 0 when one is missing); the submission header's column set (1:
 * invalid); an answers row's image size (pass 1); a mask cell into strs,
 * checked (row: the answer row it belongs to; 1 invalid, < 0 error). */
int mask_check_columns(const grade_data *g);
int mask_map_answers(grade_data *g, const struct csv_reader *r, long id_at);
int mask_check_header(grade_data *g, const struct csv_reader *r);
int mask_answer_row(grade_data *g, const row_view *r);
int mask_take_text(grade_data *g, const row_view *r, int is_answers, size_t row, sb *strs,
                   size_t *soff);
/* The answer ids mask_answer_row kept (n pointers into g; the caller frees
 * the array), or NULL when the metric keeps none. */
const char **mask_row_ids(const grade_data *g);
/* The i-th answer id (walks the ids: for messages only). */
const char *grade_nth_id(const grade_data *g, size_t i);

/* answers_rows.c: answers kept in another shape (one row per box, JSON
 * lines), as CSV text of (id, target) rows into out: 1, or 0 when comp's
 * answers are read as they are, < 0 (err_last() names file and line). */
int answers_rows(sb *out, const bench_competition *comp, const char *path);

/* Append an answer id (len bytes, no NUL in it) and count the row. */
int grade_add_id(grade_data *g, const char *id, size_t len, const char *path);
/* Load answers then the submission. < 0: cannot grade (err_last()); 0 with
 * g->why set: the submission is invalid; 0 otherwise. grade_free() always. */
int grade_load(grade_data *g, const bench_competition *comp, const char *sub_path,
               const char *answers_path);
int grade_score(double *out, grade_data *g);
void grade_free(grade_data *g);

#endif
