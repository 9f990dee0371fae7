/*
 * review.c: the builtin coder's answer to a review request.
 *
 * It reads what a run printed, as an LLM reviewer would, but literally: a
 * traceback or an "XxxError: ..." line makes the node buggy; the metric is
 * the last "Validation score: X" line (the line every grove prompt asks
 * for); a submission counts when the run did not crash and its output or
 * code mentions submission.csv. Metric direction is never decided here: the
 * competition's registry entry says which way is better.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* The value on the last "Validation score:" line, or NAN. */
static double last_score(const char *out)
{
    static const char tag[] = "validation score:";
    double score = NAN;
    for (const char *line = out; *line;) {
        const char *end = line + strcspn(line, "\n");
        const char *p = line;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if ((size_t)(end - p) > sizeof tag - 1 && strncasecmp(p, tag, sizeof tag - 1) == 0) {
            char buf[64];
            size_t n = (size_t)(end - p) - (sizeof tag - 1);
            n = n < sizeof buf - 1 ? n : sizeof buf - 1;
            memcpy(buf, p + sizeof tag - 1, n);
            buf[n] = '\0';
            char *stop;
            double v = strtod(buf, &stop);
            if (stop != buf && isfinite(v))
                score = v;
        }
        line = *end ? end + 1 : end;
    }
    return score;
}

char *bi_review(const bi_req *r)
{
    char ty[96], msg[256];
    bi_last_error_line(r->output, ty, sizeof ty, msg, sizeof msg);
    int traceback = strstr(r->output, "Traceback (most recent call last)") != NULL;
    double score = last_score(r->output);
    int bug = traceback || ty[0] || isnan(score);
    int sub = !traceback && !ty[0] &&
              (strstr(r->output, "submission.csv") || strstr(r->code, "submission.csv"));
    sb summary = {0};
    if (traceback || ty[0])
        sb_printf(&summary, "The run failed%s%s%s%s.", ty[0] ? " with " : " with a traceback",
                  ty, msg[0] ? ": " : "", msg);
    else if (isnan(score))
        sb_puts(&summary, "The run finished but printed no \"Validation score:\" line, so its "
                          "result cannot be judged.");
    else
        sb_printf(&summary, "The run finished and reported a validation %s of %.6g%s.",
                  r->metric[0] ? r->metric : "score", score,
                  sub ? " and wrote a submission" : " but no submission was seen");
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "is_bug", bug);
    cJSON_AddStringToObject(j, "summary", sb_str(&summary));
    if (isnan(score))
        cJSON_AddNullToObject(j, "metric");
    else
        cJSON_AddNumberToObject(j, "metric", score);
    cJSON_AddBoolToObject(j, "has_submission", sub);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    sb_free(&summary);
    return text;
}
