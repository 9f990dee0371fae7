/*
 * metrics_jigsaw.c: jigsaw_bias, the metric of jigsaw-unintended-bias-in-
 * toxicity-classification (Kaggle's bias AUC; see jigsaw_bias), over 2 x 2
 * counts of labels and predictions cut at 0.5.
 */
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ROC AUC of 0/1 scores from the 2 x 2 counts: t[label][score]. */
static double auc_binary(const double t[2][2])
{
    double pos = t[1][0] + t[1][1], neg = t[0][0] + t[0][1];
    return (t[1][1] * t[0][0] + 0.5 * (t[1][1] * t[0][1] + t[1][0] * t[0][0])) / (pos * neg);
}

static int t_empty(const double t[2][2])
{
    return t[0][0] + t[0][1] == 0 || t[1][0] + t[1][1] == 0;
}

static int subset_auc(double *out, const double t[2][2], const char *what, const char *col)
{
    if (t_empty(t))
        return err_set("identity '%s': the %s rows hold one toxicity class only; ROC AUC is "
                       "not defined", col, what);
    *out = auc_binary(t);
    return 0;
}

/* Kaggle's bias AUC: the answers' toxicity and identity columns ("-name",
 * answers-only) and the submission's prediction ("+prediction") are all cut
 * at 0.5 (NaN counts as 0); ROC AUC of the 0/1 predictions overall, and per
 * identity on its subgroup, BPSN and BNSP rows; the score is 0.25 overall
 * plus 0.25 times the power mean (p = -5) over identities of each of the
 * three. */
static int jigsaw_bias(double *out, const metric_input *in)
{
    long tox = metric_target_col(in, "toxicity"), pred = metric_target_col(in, "prediction");
    if (tox < 0 || pred < 0)
        return -1;
    size_t k = in->k, n_ids = 0;
    double power[3] = {0, 0, 0}, all[2][2] = {{0, 0}, {0, 0}};
    for (size_t i = 0; i < in->n; i++)
        all[in->y[i * k + tox] >= 0.5][in->p[i * k + pred] >= 0.5]++;
    for (size_t c = 0; c < k; c++) {
        if ((long)c == tox || (long)c == pred)
            continue;
        /* t[subgroup][label][score] */
        double t[2][2][2] = {{{0, 0}, {0, 0}}, {{0, 0}, {0, 0}}};
        for (size_t i = 0; i < in->n; i++)
            t[in->y[i * k + c] >= 0.5][in->y[i * k + tox] >= 0.5][in->p[i * k + pred] >= 0.5]++;
        double bpsn[2][2] = {{t[1][0][0], t[1][0][1]}, {t[0][1][0], t[0][1][1]}};
        double bnsp[2][2] = {{t[0][0][0], t[0][0][1]}, {t[1][1][0], t[1][1][1]}};
        double a[3];
        if (subset_auc(&a[0], (const double (*)[2])t[1], "subgroup", in->cols[c]) < 0 ||
            subset_auc(&a[1], (const double (*)[2])bpsn, "BPSN", in->cols[c]) < 0 ||
            subset_auc(&a[2], (const double (*)[2])bnsp, "BNSP", in->cols[c]) < 0)
            return -1;
        for (int j = 0; j < 3; j++)
            power[j] += pow(a[j], -5);
        n_ids++;
    }
    if (t_empty(all))
        return err_set("column 'toxicity': one class only in the answers; ROC AUC is not "
                       "defined");
    if (!n_ids)
        return err_set("jigsaw_bias needs identity columns");
    double score = 0.25 * auc_binary((const double (*)[2])all);
    for (int j = 0; j < 3; j++)
        score += 0.25 * pow(power[j] / (double)n_ids, -1.0 / 5);
    *out = score;
    return 0;
}

const metric_def metrics_jigsaw[] = {
    {"jigsaw_bias", 0, jigsaw_bias, 0, 0, NULL},
    {NULL, 0, NULL, 0, 0, NULL},
};
