/*
 * metrics_extra.c: metrics whose MLE-bench graders read the label columns
 * through pandas before scikit-learn sees them, so the *type* pandas gives a
 * column decides both the score and whether the submission is accepted.
 *
 * pandas.read_csv types a column as a whole: int64 when every cell is an
 * integer, float64 when every cell is a number (or when an integer column
 * has missing cells: "", "NA", "nan", ...), bool when every cell is
 * True/False (in one of three spellings), else object (the cells' text, the
 * missing ones as float NaN). scikit-learn then compares those values the
 * Python way: 2 == 2.0 == "2"? no: 2 == 2.0, True == 1, but "2" != 2.
 *
 * - accuracy_pd: accuracy_score(answers, submission) on pandas-typed
 *   columns. The submission is rejected where sklearn raises: a missing cell
 *   (NaN in a float column; NaN among strings cannot even be sorted), a
 *   number that is not a whole one (a "continuous" target), and, when both
 *   sides hold at most two values ("binary"), text on one side and numbers
 *   on the other (np.union1d cannot order them).
 * - f1_macro_int: f1_score(average="macro") over int(value) of both
 *   columns: a float column truncates toward zero (int(3.7) == 3), a text
 *   column must hold integer literals, a missing cell is rejected.
 * - top1_error: 1 - accuracy over int(first space-separated token) of the
 *   submission (iNaturalist's "id,predicted" with up to five guesses).
 * - qwk_int, rmse_1_100, logloss_r6: qwk, rmse and log loss whose submission
 *   cells obey a rule grade.c checks cell by cell (line and column in the
 *   message): whole numbers (sklearn's kappa rejects continuous labels),
 *   values in [1, 100] (PetFinder), rows whose sum rounded to 6 decimals is
 *   exactly 1 (LMSYS: pandas' .round(6).eq(1)).
 *
 * A submission these metrics reject makes metric_compute return 1 with the
 * reason in err_last() (grade.c turns it into an invalid report).
 */
#include "metrics.h"
#include "numparse.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- pandas' reading of one column ----------------------------------- */

typedef enum pd_kind { PD_INT, PD_FLOAT, PD_BOOL, PD_STR } pd_kind;

/* An integer literal with optional sign and blanks around it. */
static int is_int_text(const char *s)
{
    s += strspn(s, " \t");
    s += *s == '+' || *s == '-';
    size_t d = strspn(s, "0123456789");
    return d > 0 && !s[d + strspn(s + d, " \t")];
}

/* A number as pandas reads it (no hex floats; nan is already NA). */
static int is_num_text(const char *s, double *v)
{
    const char *t = s + strspn(s, " \t");
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
        return 0;
    return num_parse(s, v) == 0;
}

typedef struct pd_col {
    pd_kind kind;
    size_t n_na, first_na;   /* missing cells, the first one's row */
    double *num;             /* n values for INT/FLOAT/BOOL (NaN: missing) */
} pd_col;

static void pd_type(pd_col *c, const char *const *cells, size_t n)
{
    size_t n_bool = 0, n_int = 0, n_num = 0, filled = 0;
    c->n_na = 0;
    c->first_na = SIZE_MAX;
    c->num = xmalloc((n ? n : 1) * sizeof *c->num);
    for (size_t i = 0; i < n; i++) {
        const char *s = cells[i];
        double v = NAN;
        int b = metric_bool_literal(s);
        if (metric_is_na(s)) {
            if (!c->n_na++)
                c->first_na = i;
        } else if (filled++, b >= 0) {
            v = b;
            n_bool++;
        } else if (is_num_text(s, &v)) {
            n_num++;
            n_int += is_int_text(s);
        }
        c->num[i] = v;
    }
    if (!filled)
        c->kind = PD_FLOAT; /* every cell missing: a float column of NaN */
    else if (n_bool == filled)
        c->kind = c->n_na ? PD_STR : PD_BOOL; /* with gaps: object (rejected) */
    else if (n_int == filled && !c->n_na)
        c->kind = PD_INT;
    else if (n_num == filled)
        c->kind = PD_FLOAT;
    else
        c->kind = PD_STR;
}

static void pd_free(pd_col *c)
{
    free(c->num);
}

/* How sklearn's type_of_target sees a column: the number of distinct values
 * (capped at 3: > 2 is all that matters). */
static int distinct_upto3(const pd_col *c, const char *const *cells, size_t n)
{
    size_t first = SIZE_MAX, second = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        int same1, same2;
        if (c->kind == PD_STR) {
            same1 = first != SIZE_MAX && !strcmp(cells[i], cells[first]);
            same2 = second != SIZE_MAX && !strcmp(cells[i], cells[second]);
        } else {
            same1 = first != SIZE_MAX && c->num[i] == c->num[first];
            same2 = second != SIZE_MAX && c->num[i] == c->num[second];
        }
        if (same1 || same2)
            continue;
        if (first == SIZE_MAX)
            first = i;
        else if (second == SIZE_MAX)
            second = i;
        else
            return 3;
    }
    return first == SIZE_MAX ? 0 : second == SIZE_MAX ? 1 : 2;
}

/* The reasons sklearn rejects a pandas-typed label column. 0 fine, 1 the
 * submission is invalid, < 0 the answers are (err_last()). */
static int pd_check_labels(const pd_col *c, const char *const *cells, size_t n,
                           const char *col, int is_answers)
{
    const char *why = NULL, *cell = NULL;
    if (c->n_na) {
        cell = cells[c->first_na];
        why = "is missing (pandas reads NaN, which sklearn rejects as a class label)";
    }
    for (size_t i = 0; !why && c->kind == PD_FLOAT && i < n; i++)
        if (!isfinite(c->num[i]) || c->num[i] != trunc(c->num[i])) {
            cell = cells[i];
            why = "is not a whole number (sklearn rejects a mix of class labels and "
                  "continuous values)";
        }
    if (!why)
        return 0;
    if (is_answers)
        return err_set("answers column '%s': value '%s' %s", col, cell, why);
    err_set("column '%s': value '%s' %s (%zu row%s like it)", col, cell, why,
            c->n_na ? c->n_na : (size_t)1, c->n_na > 1 ? "s" : "");
    return 1;
}

/* Python's == between two pandas-typed cells. */
static int pd_equal(const pd_col *a, const char *sa, size_t i, const pd_col *b,
                    const char *sb, size_t j)
{
    if ((a->kind == PD_STR) != (b->kind == PD_STR))
        return 0;
    if (a->kind == PD_STR)
        return !strcmp(sa, sb);
    return a->num[i] == b->num[j];
}

static int accuracy_pd(double *out, const metric_input *in)
{
    pd_col y, p;
    pd_type(&y, in->ys, in->n);
    pd_type(&p, in->ps, in->n);
    const char *col = in->cols[0];
    int rc = pd_check_labels(&y, in->ys, in->n, col, 1);
    if (rc == 0)
        rc = pd_check_labels(&p, in->ps, in->n, col, 0);
    /* both "binary": np.union1d sorts the values of both, and Python cannot
     * order text against numbers */
    if (rc == 0 && (y.kind == PD_STR) != (p.kind == PD_STR) &&
        distinct_upto3(&y, in->ys, in->n) <= 2 && distinct_upto3(&p, in->ps, in->n) <= 2) {
        err_set("column '%s': the labels are %s but the answers' are %s (e.g. '%s' vs "
                "'%s'); write the answers' kind of label", col,
                p.kind == PD_STR ? "text" : "numbers or True/False",
                y.kind == PD_STR ? "text" : "numbers or True/False",
                in->ps[0], in->ys[0]);
        rc = 1;
    }
    if (rc == 0) {
        size_t hits = 0;
        for (size_t i = 0; i < in->n; i++)
            hits += pd_equal(&y, in->ys[i], i, &p, in->ps[i], i);
        *out = (double)hits / (double)in->n;
    }
    pd_free(&y);
    pd_free(&p);
    return rc;
}

/* ---- int(value) ------------------------------------------------------ */

/* Python's int() of a pandas-typed cell into *v: floats truncate, text must
 * be an integer literal (first token only when first_token). 0, or -1. */
static int py_int(const pd_col *c, const char *cell, size_t i, int first_token, double *v)
{
    if (metric_is_na(cell))
        return -1;
    if (c->kind != PD_STR) {
        if (!isfinite(c->num[i]))
            return -1;
        *v = trunc(c->num[i]);
        return 0;
    }
    char buf[64];
    const char *s = cell + strspn(cell, " \t\n");
    size_t len = first_token ? strcspn(s, " \t\n") : strlen(s);
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (!is_int_text(buf))
        return -1;
    errno = 0;
    long long x = strtoll(buf, NULL, 10);
    if (errno)
        return -1;
    *v = (double)x;
    return 0;
}

/* Both columns through int(); the submission's faults make it invalid (1). */
static int int_labels(double **yv, double **pv, const metric_input *in, int first_token)
{
    pd_col y, p;
    pd_type(&y, in->ys, in->n);
    pd_type(&p, in->ps, in->n);
    /* a float column of the submission reads "3.0" as 3.0; int() of the text
     * "3.0" in a text column fails: first_token reads text cells as text,
     * and a float column fails there (float has no split()) */
    if (first_token && p.kind == PD_FLOAT && !p.n_na)
        p.kind = PD_STR;
    double *a = xmalloc(in->n * sizeof *a), *b = xmalloc(in->n * sizeof *b);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < in->n; i++) {
        if (py_int(&y, in->ys[i], i, 0, &a[i]) < 0)
            rc = err_set("answers column '%s': '%s' is not an integer label", in->cols[0],
                         in->ys[i]);
        else if (py_int(&p, in->ps[i], i, first_token, &b[i]) < 0) {
            err_set("column '%s': value '%s' is not an integer class label (int() of it "
                    "fails)%s", in->cols[0], in->ps[i],
                    first_token ? "; write the class id, or ids separated by spaces" : "");
            rc = 1;
        }
    }
    pd_free(&y);
    pd_free(&p);
    if (rc != 0) {
        free(a);
        free(b);
        return rc;
    }
    *yv = a;
    *pv = b;
    return 0;
}

static int f1_macro_int(double *out, const metric_input *in)
{
    double *y, *p;
    int rc = int_labels(&y, &p, in, 0);
    if (rc != 0)
        return rc;
    metric_input num = {in->n, 1, y, p, NULL, NULL, in->cols, in->lines, in->group};
    rc = metric_f1_macro(out, &num);
    free(y);
    free(p);
    return rc;
}

static int top1_error(double *out, const metric_input *in)
{
    double *y, *p;
    int rc = int_labels(&y, &p, in, 1);
    if (rc != 0)
        return rc;
    size_t hits = 0;
    for (size_t i = 0; i < in->n; i++)
        hits += y[i] == p[i];
    *out = 1 - (double)hits / (double)in->n;
    free(y);
    free(p);
    return 0;
}

/* ---- base metrics behind a per-cell rule (grade.c applies the rule) ---- */

static int qwk_int(double *out, const metric_input *in)
{
    return metric_qwk(out, in);
}

static int rmse_1_100(double *out, const metric_input *in)
{
    return metric_rmse(out, in);
}

static int logloss_r6(double *out, const metric_input *in)
{
    return metric_log_loss(out, in);
}

/* ---- table --------------------------------------------------------------- */

const metric_def metrics_extra[] = {
    {"accuracy_pd", METRIC_STRING, accuracy_pd, 0, 0, NULL},
    {"f1_macro_int", METRIC_STRING, f1_macro_int, 0, 0, NULL},
    {"top1_error", METRIC_STRING, top1_error, 0, 0, NULL},
    {"qwk_int", METRIC_INTEGER | METRIC_BOOL | METRIC_ONE_COL, qwk_int, 0, 0, NULL},
    {"rmse_1_100", METRIC_BOUNDED | METRIC_ONE_COL, rmse_1_100, 1, 100, NULL},
    {"logloss_r6", METRIC_PROB | METRIC_ROUND6, logloss_r6, 0, 0, NULL},
    {NULL, 0, NULL, 0, 0, NULL},
};
