/*
 * grade_data.c: the few operations on a grading's state that every layer
 * of the grader uses: marking the submission invalid, and the answer ids
 * (appended in pass 1, walked for messages).
 */
#include "grade_data.h"
#include "util.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int grade_invalid(grade_data *g, const char *fmt, ...)
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

int grade_add_id(grade_data *g, const char *id, size_t len, const char *path)
{
    assert(g->ids);
    if (len + 1 > UINT32_MAX - g->ids_len) /* the slots hold 32-bit offsets */
        return err_set("%s: the ids take more than 4 GiB", path);
    if (g->n == 0)
        g->id_stride = len + 1;
    else if (g->id_stride != len + 1)
        g->id_stride = 0;
    g->n++;
    memcpy(g->ids + g->ids_len, id, len);
    g->ids[g->ids_len + len] = 0;
    g->ids_len += len + 1;
    return 0;
}

const char *grade_nth_id(const grade_data *g, size_t i)
{
    assert(i < g->n);
    const char *id = g->ids;
    while (i--)
        id += strlen(id) + 1;
    return id;
}
