/*
 * report_html.c: the page itself. The template (agent/report/report.html)
 * has four markers, replaced in order: @@TITLE@@ (escaped text), @@CSS@@
 * (report.css), @@DATA@@ (the JSON blob) and @@JS@@ (report.js). All three
 * files are embedded in the binary by tools/embed.
 *
 * The JSON goes inside <script type="application/json">, so two things are
 * made sure of here, whatever bytes a script printed: the blob is valid
 * UTF-8 (utf8_sanitize over the whole text; invalid bytes are never JSON
 * syntax, so this cannot break its structure) and it cannot end the element
 * early (every '<' is written as \u003c, which JSON.parse reads back as '<').
 *
 * Also here: the text pool (report_int.h says why) and report_html_run.
 */
#include "report_html.h"
#include "report_int.h"
#include "embed.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern const embed_file report_embedded[];

/* ---- text pool: an open-addressing hash set of lines ---- */

struct report_pool {
    char **lines;     /* distinct lines, by index */
    size_t n, cap;
    int *slots;       /* index + 1, 0 = empty; size nslots (a power of two) */
    size_t nslots;
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

report_pool *report_pool_new(void)
{
    report_pool *p = xcalloc(1, sizeof *p);
    p->nslots = 1024;
    p->slots = xcalloc(p->nslots, sizeof *p->slots);
    return p;
}

void report_pool_free(report_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->lines[i]);
    free(p->lines);
    free(p->slots);
    free(p);
}

static void grow(report_pool *p)
{
    free(p->slots);
    p->nslots *= 2;
    p->slots = xcalloc(p->nslots, sizeof *p->slots);
    for (size_t i = 0; i < p->n; i++) {
        size_t k = hash(p->lines[i], strlen(p->lines[i])) & (p->nslots - 1);
        while (p->slots[k])
            k = (k + 1) & (p->nslots - 1);
        p->slots[k] = (int)i + 1;
    }
}

static int intern(report_pool *p, const char *s, size_t n)
{
    if (2 * (p->n + 1) > p->nslots)
        grow(p);
    size_t k = hash(s, n) & (p->nslots - 1);
    for (; p->slots[k]; k = (k + 1) & (p->nslots - 1)) {
        const char *l = p->lines[p->slots[k] - 1];
        if (strncmp(l, s, n) == 0 && l[n] == 0)
            return p->slots[k] - 1;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 256;
        p->lines = xrealloc(p->lines, p->cap * sizeof *p->lines);
    }
    p->lines[p->n] = xstrndup(s, n);
    p->slots[k] = (int)p->n + 1;
    return (int)p->n++;
}

cJSON *report_pool_text(report_pool *p, const char *text)
{
    if (!text)
        return cJSON_CreateNull();
    cJSON *runs = cJSON_CreateArray();
    int start = -1, count = 0;
    for (const char *s = text;; s++) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        int idx = intern(p, s, n);
        if (count && idx == start + count) {
            count++;
        } else {
            if (count) {
                cJSON_AddItemToArray(runs, cJSON_CreateNumber(start));
                cJSON_AddItemToArray(runs, cJSON_CreateNumber(count));
            }
            start = idx;
            count = 1;
        }
        if (!nl)
            break;
        s = nl;
    }
    cJSON_AddItemToArray(runs, cJSON_CreateNumber(start));
    cJSON_AddItemToArray(runs, cJSON_CreateNumber(count));
    return runs;
}

cJSON *report_pool_lines(const report_pool *p)
{
    sb text = {0};
    sb_puts(&text, "[");
    for (size_t i = 0; p && i < p->n; i++) {
        cJSON *line = cJSON_CreateString(p->lines[i]);
        char *quoted = cJSON_PrintUnformatted(line);
        cJSON_Delete(line);
        sb_puts(&text, i ? "," : "");
        sb_puts(&text, quoted ? quoted : "\"\"");
        cJSON_free(quoted);
    }
    sb_puts(&text, "]");
    cJSON *raw = cJSON_CreateRaw(sb_str(&text));
    sb_free(&text);
    return raw;
}

cJSON *report_read_json(const char *path)
{
    char *text = NULL;
    if (file_read(path, &text, NULL) < 0)
        return NULL;
    cJSON *j = cJSON_Parse(text);
    free(text);
    return j;
}

const char *report_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* ---- the page ---- */

static void put_escaped_text(sb *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sb_puts(out, "&amp;"); break;
        case '<': sb_puts(out, "&lt;"); break;
        case '>': sb_puts(out, "&gt;"); break;
        case '"': sb_puts(out, "&quot;"); break;
        default: sb_putc(out, *s);
        }
    }
}

/* The printed data into the page: one pass, no copy between, each stretch
 * up to a '<' made valid UTF-8 straight into the page, then the '<'
 * escaped. Cutting at '<' changes nothing: it is ASCII, never inside a
 * valid sequence, and bytes before it that start an unfinished one are
 * replaced either way. */
static void put_json(sb *out, const char *text)
{
    const char *s = text;
    for (const char *lt; (lt = strchr(s, '<')); s = lt + 1) {
        utf8_sanitize(out, s, (size_t)(lt - s));
        sb_puts(out, "\\u003c");
    }
    utf8_sanitize(out, s, strlen(s));
}

int report_page_write(const char *out_path, const char *title, cJSON *data,
                      const report_pool *pool)
{
    const embed_file *tpl = embed_find(report_embedded, "report.html");
    const embed_file *css = embed_find(report_embedded, "report.css");
    const embed_file *js = embed_find(report_embedded, "report.js");
    if (!tpl || !css || !js) {
        cJSON_Delete(data);
        return err_set("report: the page template is missing from the binary (rebuild grove)");
    }
    /* printed, then let go before the page is made: the data, its text
     * and the page are never all held at once */
    cJSON_AddItemToObject(data, "lines", report_pool_lines(pool));
    char *text = cJSON_PrintUnformatted(data);
    cJSON_Delete(data);
    if (!text)
        return err_set("report: out of memory printing the page's data");
    static const char *const markers[] = {"@@TITLE@@", "@@CSS@@", "@@DATA@@", "@@JS@@"};
    sb out = {0};
    const char *s = tpl->data;
    for (size_t m = 0; m < sizeof markers / sizeof *markers; m++) {
        const char *at = strstr(s, markers[m]);
        if (!at) {
            sb_free(&out);
            cJSON_free(text);
            return err_set("report: the page template has no %s marker", markers[m]);
        }
        sb_append(&out, s, (size_t)(at - s));
        if (m == 0) {
            char *clean = utf8_dup(title);
            put_escaped_text(&out, clean);
            free(clean);
        } else if (m == 1) {
            sb_append(&out, css->data, css->len);
        } else if (m == 2) {
            put_json(&out, text);
            cJSON_free(text);
            text = NULL;
        } else {
            sb_append(&out, js->data, js->len);
        }
        s = at + strlen(markers[m]);
    }
    sb_puts(&out, s);
    int rc = file_write(out_path, out.buf, out.len);
    sb_free(&out);
    return rc < 0 ? err_prefix("report: %s", out_path) : 0;
}

int report_html_run(const char *run_dir, const char *out_path)
{
    report_pool *pool = report_pool_new();
    cJSON *data = report_run_data(run_dir, pool, NULL);
    int rc = -1;
    if (data) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(data, "name");
        char *title = xasprintf("grove run %s", cJSON_IsString(name) ? name->valuestring : run_dir);
        cJSON_AddStringToObject(data, "kind", "run");
        rc = report_page_write(out_path, title, data, pool);
        free(title);
    }
    report_pool_free(pool);
    return rc;
}
