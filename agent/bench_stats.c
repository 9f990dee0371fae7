/*
 * bench_stats.c: the statistics of a bench report, as MLE-bench computes
 * them: the mean over seeds, the standard error of the mean (the sample
 * standard deviation, ddof 1, over sqrt(n)) and a normal 95% interval,
 * mean +/- 1.96 SE.
 */
#include "bench_driver.h"

#include <math.h>

static void add_or_null(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

cJSON *bench_stats(const double *x, int n)
{
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++)
        mean += x[i] / n;
    for (int i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    double sem = n > 1 ? sqrt(var / (n - 1)) / sqrt((double)n) : NAN;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", n);
    add_or_null(o, "mean", n ? mean : NAN);
    add_or_null(o, "sem", sem);
    add_or_null(o, "ci95_low", mean - 1.96 * sem);
    add_or_null(o, "ci95_high", mean + 1.96 * sem);
    return o;
}
