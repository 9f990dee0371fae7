/*
 * fuzz_text.c: fuzz target for the text metrics' tokenising (metrics_text.c).
 *
 * The input is cut at NUL bytes into cells, paired as answer/submission rows.
 * For any bytes: the UTF-8 check never reads past the text; on valid text
 * str.split() tokens are non-empty and free of whitespace bytes, str.split(" ")
 * pieces joined by spaces give the text back, lower() gives valid UTF-8, and
 * Levenshtein is symmetric, 0 on equal texts and within its length bounds.
 * Then every text metric runs over the rows (any result but a crash).
 */
#include "fuzz_cells.h"
#include "metrics.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t cps(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void check_cell(const char *s)
{
    size_t len = strlen(s);
    if (text_utf8_check(s, len) >= 0)
        return;
    text_tok *v = NULL;
    size_t cap = 0, n = text_split(&v, &cap, s, 0);
    for (size_t i = 0; i < n; i++)
        if (!v[i].len || memchr(v[i].s, ' ', v[i].len) || memchr(v[i].s, '\t', v[i].len) ||
            v[i].s < s || v[i].s + v[i].len > s + len)
            abort();
    n = text_split(&v, &cap, s, ' ');
    sb joined = {0};
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_putc(&joined, ' ');
        sb_append(&joined, v[i].s, v[i].len);
    }
    if (joined.len != len || memcmp(sb_str(&joined), s, len))
        abort();
    sb_free(&joined);
    free(v);
    char *low = text_lower(s);
    if (text_utf8_check(low, strlen(low)) >= 0)
        abort();
    free(low);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    const char *cells[64];
    size_t n = fuzz_cells(&text, cells, 64, data, size);
    for (size_t i = 0; i < n; i++)
        check_cell(cells[i]);
    for (size_t i = 0; i + 1 < n; i += 2) {
        const char *a = cells[i], *b = cells[i + 1];
        if (text_utf8_check(a, strlen(a)) >= 0 || text_utf8_check(b, strlen(b)) >= 0)
            continue;
        if (strlen(a) > 2000 || strlen(b) > 2000)
            continue;
        size_t d = text_levenshtein(a, b), la = cps(a), lb = cps(b);
        if (d != text_levenshtein(b, a) || text_levenshtein(a, a) != 0 ||
            d > (la > lb ? la : lb) || d < (la > lb ? la - lb : lb - la))
            abort();
    }
    size_t rows = n / 2;
    if (rows) {
        const char **ys = xmalloc(rows * sizeof *ys), **ps = xmalloc(rows * sizeof *ps);
        for (size_t i = 0; i < rows; i++) {
            ys[i] = cells[2 * i];
            ps[i] = cells[2 * i + 1];
        }
        const char *col = "c";
        metric_input in = {rows, 1, NULL, NULL, ys, ps, &col, NULL, NULL};
        static const char *const names[] = {"map_at_5", "map_at_12", "jaccard_tweet",
                                            "jaccard_words", "levenshtein", "levenshtein_str",
                                            "levenshtein_seq", "kendall_tau_order",
                                            "f1_micro_sets", "f1_micro_labels"};
        for (size_t m = 0; m < sizeof names / sizeof names[0]; m++) {
            double out;
            metric_compute(&out, names[m], &in);
        }
        free(ys);
        free(ps);
    }
    free(text);
    return 0;
}
