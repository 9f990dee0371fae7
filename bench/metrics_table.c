/*
 * metrics_table.c: the one table of metrics. Each metrics_*.c file exports
 * its rows (name, flags, compute) as a const array; this file lists the
 * arrays and is the only place a metric is looked up by name, so the flags
 * grade.c checks cells by, the function that scores, and the list an
 * unknown metric's message gives can never disagree.
 */
#include "metrics.h"
#include "util.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const metric_def *const lists[] = {
    metrics_base, metrics_extra, metrics_text, metrics_numeric, metrics_jigsaw,
    metrics_detect, metrics_tf2qa, metrics_lyft, metrics_mask, metrics_volume, metrics_points,
};

const metric_def *metric_find(const char *metric)
{
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (const metric_def *d = lists[l]; d->name; d++)
            if (!strcmp(d->name, metric)) {
                assert(d->compute && !(d->flags & METRIC_KNOWN));
                return d;
            }
    return NULL;
}

int metric_flags(const char *metric)
{
    const metric_def *d = metric_find(metric);
    return d ? METRIC_KNOWN | d->flags : 0;
}

char *metric_names(void)
{
    sb s = {0};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (const metric_def *d = lists[l]; d->name; d++)
            sb_printf(&s, "%s%s", s.len ? ", " : "", d->name);
    return sb_steal(&s);
}

int metric_compute(double *out, const char *metric, const metric_input *in)
{
    *out = NAN;
    const metric_def *d = metric_find(metric);
    if (!d) {
        char *names = metric_names();
        err_set("unknown metric '%s' (grove implements: %s)", metric, names);
        free(names);
        return -1;
    }
    if (in->n == 0)
        return err_set("metric %s: no rows to score", metric);
    if ((d->flags & METRIC_ONE_COL) && in->k != 1)
        return err_set("metric %s scores one target column, the registry gives %zu", metric,
                       in->k);
    return d->compute(out, in);
}
