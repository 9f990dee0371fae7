/*
 * answers_rows.c: answers that are not one CSV row per id, turned into the
 * (id, target) CSV rows the grader reads.
 *
 * Two competitions keep their answers in another shape:
 * - vinbigdata (metric coco_map40): one row per box (image_id, class_id,
 *   x_min, y_min, x_max, y_max, ...). The boxes of each image become one
 *   "class 1 x_min y_min x_max y_max ..." cell, images in order of first
 *   appearance and boxes in file order (COCOeval's order, on which its ties
 *   and annotation id 0 depend).
 * - tensorflow2-question-answering (metric f1_tf2qa): JSON lines, one
 *   example each. Each example gives two rows, "<example_id>_short" and
 *   "<example_id>_long", whose cell lists the valid answers of its first
 *   annotation: "start:end" spans, and YES or NO for the short answer.
 *
 * The rows are written as CSV text into memory, which grade.c reads as it
 * would the file.
 */
#include "csv_reader.h"
#include "answers_rows.h"
#include "bench.h"
#include "util.h"
#include "numparse.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_cell(sb *out, const char *s, size_t len)
{
    sb_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            sb_putc(out, '"');
        sb_putc(out, s[i]);
    }
    sb_putc(out, '"');
}

/* ---- one row per box ------------------------------------------------------------ */

typedef struct box_row {
    const char *id;                    /* into the ids' arena, once read */
    size_t id_off, id_len, row, first; /* first: the row where its id first shows */
    double v[5];                       /* class_id, x_min, y_min, x_max, y_max */
} box_row;

static int cmp_by_id(const void *a, const void *b)
{
    const box_row *x = a, *y = b;
    size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
    int c = memcmp(x->id, y->id, n);
    if (c || x->id_len != y->id_len)
        return c ? c : x->id_len < y->id_len ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static int cmp_by_first(const void *a, const void *b)
{
    const box_row *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static int group_boxes(sb *out, const bench_competition *comp, const char *path)
{
    static const char *const need[] = {"class_id", "x_min", "y_min", "x_max", "y_max"};
    csv_reader r;
    if (csv_reader_stream(&r, path) < 0)
        return err_prefix("%s: answers", comp->id);
    box_row *rows = NULL;
    size_t n = 0, cap = 0;
    sb ids = {0};
    long at[6] = {-1, -1, -1, -1, -1, -1};
    int rc = csv_reader_next(&r);
    if (rc == 0)
        rc = err_set("%s: empty answers file", path);
    for (size_t i = 0; rc > 0 && i < r.n_fields; i++) {
        if (!strcmp(csv_reader_field(&r, i), comp->id_col))
            at[0] = (long)i;
        for (size_t j = 0; j < 5; j++)
            if (!strcmp(csv_reader_field(&r, i), need[j]))
                at[j + 1] = (long)i;
    }
    for (size_t j = 0; rc > 0 && j < 6; j++)
        if (at[j] < 0)
            rc = err_set("%s: answers %s lack the column '%s'", comp->id, path,
                         j ? need[j - 1] : comp->id_col);
    size_t ncols = r.n_fields;
    while (rc > 0 && (rc = csv_reader_next(&r)) > 0) {
        if (r.n_fields != ncols) {
            rc = err_set("%s: line %zu: %zu fields, header has %zu", path, r.row_line,
                         r.n_fields, ncols);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        box_row *b = &rows[n];
        const char *id = csv_reader_field(&r, (size_t)at[0]);
        *b = (box_row){NULL, ids.len, strlen(id), n, n, {0}};
        sb_append(&ids, id, b->id_len);
        for (size_t j = 0; j < 5 && rc > 0; j++) {
            const char *cell = csv_reader_field(&r, (size_t)at[j + 1]);
            if (num_parse(cell, &b->v[j]) < 0 || !isfinite(b->v[j]) ||
                (j == 0 && b->v[j] != trunc(b->v[j])))
                rc = err_set("%s: line %zu, column '%s': '%s' is not %s", path, r.row_line,
                             need[j], cell, j ? "a finite number" : "a whole class id");
        }
        n++;
    }
    csv_reader_close(&r);
    if (rc < 0)
        goto done;
    /* first appearance of each id: sort by id (stable), then by it */
    for (size_t i = 0; i < n; i++)
        rows[i].id = ids.buf + rows[i].id_off;
    xqsort(rows, n, sizeof *rows, cmp_by_id);
    for (size_t i = 1; i < n; i++)
        if (rows[i].id_len == rows[i - 1].id_len &&
            !memcmp(ids.buf + rows[i].id_off, ids.buf + rows[i - 1].id_off, rows[i].id_len))
            rows[i].first = rows[i - 1].first;
    xqsort(rows, n, sizeof *rows, cmp_by_first);
    put_cell(out, comp->id_col, strlen(comp->id_col));
    sb_putc(out, ',');
    put_cell(out, comp->target_cols, strlen(comp->target_cols));
    for (size_t i = 0; i < n; i++) {
        int same = i && rows[i].first == rows[i - 1].first;
        if (!same) {
            sb_puts(out, i ? "\"\n" : "\n");
            put_cell(out, ids.buf + rows[i].id_off, rows[i].id_len);
            sb_puts(out, ",\"");
        }
        sb_printf(out, "%s%.17g 1 %.17g %.17g %.17g %.17g", same ? " " : "", rows[i].v[0],
                  rows[i].v[1], rows[i].v[2], rows[i].v[3], rows[i].v[4]);
    }
    sb_puts(out, n ? "\"\n" : "\n");
    rc = 1;
done:
    free(rows);
    sb_free(&ids);
    return rc;
}

/* ---- JSON lines ----------------------------------------------------------------- */

/* A token index of the annotation: a whole JSON number. */
static int token(long long *v, const cJSON *obj, const char *key)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(t) || t->valuedouble != trunc(t->valuedouble) ||
        fabs(t->valuedouble) > 9e15)
        return -1;
    *v = (long long)t->valuedouble;
    return 0;
}

/* One example's two rows; NULL, or what is wrong with it. */
static const char *qa_rows(sb *out, const cJSON *ex)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(ex, "example_id");
    char num[32];
    const char *ids;
    if (cJSON_IsString(id))
        ids = id->valuestring;
    else if (cJSON_IsNumber(id) && id->valuedouble == trunc(id->valuedouble) &&
             fabs(id->valuedouble) < 9e15) {
        snprintf(num, sizeof num, "%lld", (long long)id->valuedouble);
        ids = num;
    } else
        return "no \"example_id\" (a string or a whole number)";
    const cJSON *ann = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ex, "annotations"), 0);
    const cJSON *lng = cJSON_GetObjectItemCaseSensitive(ann, "long_answer");
    const cJSON *shorts = cJSON_GetObjectItemCaseSensitive(ann, "short_answers");
    const cJSON *yn = cJSON_GetObjectItemCaseSensitive(ann, "yes_no_answer");
    if (!cJSON_IsObject(ann) || !cJSON_IsObject(lng) || !cJSON_IsArray(shorts) ||
        !cJSON_IsString(yn))
        return "no \"annotations\"[0] with \"long_answer\", \"short_answers\" and "
               "\"yes_no_answer\"";
    long long a, b;
    sb cell = {0};
    const char *bad = NULL;
    for (const cJSON *s = shorts->child; s && !bad; s = s->next) {
        if (token(&a, s, "start_token") < 0 || token(&b, s, "end_token") < 0)
            bad = "a short answer without whole start_token/end_token";
        else
            sb_printf(&cell, "%s%lld:%lld", cell.len ? " " : "", a, b);
    }
    if (!bad && strcmp(yn->valuestring, "NONE"))
        sb_printf(&cell, "%s%s", cell.len ? " " : "", yn->valuestring);
    if (!bad) {
        size_t idlen = strlen(ids);
        sb row = {0};
        sb_printf(&row, "%s_short", ids);
        put_cell(out, sb_str(&row), row.len);
        sb_putc(out, ',');
        put_cell(out, sb_str(&cell), cell.len);
        sb_putc(out, '\n');
        sb_reset(&cell);
        if (token(&a, lng, "start_token") < 0 || token(&b, lng, "end_token") < 0)
            bad = "a long answer without whole start_token/end_token";
        else if (a != -1)
            sb_printf(&cell, "%lld:%lld", a, b);
        sb_reset(&row);
        sb_append(&row, ids, idlen);
        sb_puts(&row, "_long");
        put_cell(out, sb_str(&row), row.len);
        sb_putc(out, ',');
        put_cell(out, sb_str(&cell), cell.len);
        sb_putc(out, '\n');
        sb_free(&row);
    }
    sb_free(&cell);
    return bad;
}

static int json_lines(sb *out, const bench_competition *comp, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set("%s: answers %s: %s", comp->id, path, strerror(errno));
    put_cell(out, comp->id_col, strlen(comp->id_col));
    sb_putc(out, ',');
    put_cell(out, comp->target_cols, strlen(comp->target_cols));
    sb_putc(out, '\n');
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 1;
    while (rc > 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (!line[strspn(line, " \t\r\n")])
            continue; /* blank */
        if (memchr(line, 0, (size_t)len)) {
            rc = err_set("%s: line %zu: a NUL byte in the JSON", path, lineno);
            break;
        }
        const char *end = NULL;
        cJSON *ex = cJSON_ParseWithOpts(line, &end, 0);
        if (!cJSON_IsObject(ex) || end[strspn(end, " \t\r\n")]) {
            rc = err_set("%s: line %zu: not one JSON object (malformed JSON near byte %zu)",
                         path, lineno,
                         (size_t)((ex ? end : cJSON_GetErrorPtr()) - line) + 1);
            cJSON_Delete(ex);
            break;
        }
        const char *bad = qa_rows(out, ex);
        if (bad)
            rc = err_set("%s: line %zu: %s", path, lineno, bad);
        cJSON_Delete(ex);
    }
    if (rc > 0 && ferror(f))
        rc = err_set("%s: read error: %s", path, strerror(errno));
    free(line);
    fclose(f);
    return rc;
}

int answers_rows(sb *out, const bench_competition *comp, const char *path)
{
    if (!strcmp(comp->metric, "coco_map40"))
        return group_boxes(out, comp, path);
    if (!strcmp(comp->metric, "f1_tf2qa"))
        return json_lines(out, comp, path);
    return 0;
}
