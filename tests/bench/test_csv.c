/*
 * test_csv.c: the CSV reader and writer: RFC 4180 quoting, embedded newlines
 * and commas, CRLF, BOM, empty fields, the errors with line numbers, and a
 * write/read round trip.
 */
#include "bench.h"
#include "check.h"
#include "csv_reader.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bench_csv *parse(const char *text)
{
    bench_csv *t = NULL;
    if (bench_csv_parse(&t, text, strlen(text), "t.csv") < 0)
        return NULL;
    return t;
}

static void test_quoting(void)
{
    bench_csv *t = parse("\xEF\xBB\xBFid,text,v\r\n"
                         "1,\"a, b\",2\r\n"
                         "2,\"line1\nline2\",\r\n"
                         "\r\n"
                         "3,\"say \"\"hi\"\"\",\"\"\n"
                         "4,plain\"quote,x");
    CHECK(t != NULL);
    if (!t)
        return;
    CHECK(t->n_cols == 3);
    CHECK(t->n_rows == 4);
    CHECK_STR(t->header[0], "id");
    CHECK_STR(bench_csv_cell(t, 0, 1), "a, b");
    CHECK_STR(bench_csv_cell(t, 1, 1), "line1\nline2");
    CHECK_STR(bench_csv_cell(t, 1, 2), "");
    CHECK_STR(bench_csv_cell(t, 2, 1), "say \"hi\"");
    CHECK_STR(bench_csv_cell(t, 2, 2), "");
    CHECK_STR(bench_csv_cell(t, 3, 1), "plain\"quote");
    CHECK(t->row_line[0] == 2);
    CHECK(t->row_line[1] == 3);
    CHECK(t->row_line[2] == 6); /* the embedded newline and blank line count */
    CHECK(bench_csv_col(t, "v") == 2);
    CHECK(bench_csv_col(t, "nope") == -1);
    bench_csv_free(t);
}

static void test_edges(void)
{
    bench_csv *t = parse("a,b,\n1,2,\n");
    CHECK(t && t->n_cols == 3 && t->n_rows == 1);
    if (t)
        CHECK_STR(bench_csv_cell(t, 0, 2), "");
    bench_csv_free(t);
    t = parse("only\n");
    CHECK(t && t->n_cols == 1 && t->n_rows == 0);
    bench_csv_free(t);
    t = parse("a\rb\rc"); /* old Mac line ends */
    CHECK(t && t->n_rows == 2);
    if (t)
        CHECK_STR(bench_csv_cell(t, 1, 0), "c");
    bench_csv_free(t);
}

static void test_errors(void)
{
    CHECK(parse("") == NULL);
    CHECK(strstr(err_last(), "empty file") != NULL);
    CHECK(parse("a,b\n1,2\n3\n") == NULL);
    CHECK_MSG(strstr(err_last(), "t.csv: line 3: 1 fields, but the header has 2"),
              "%s", err_last());
    CHECK(parse("a,b\n1,\"open\n2,3\n") == NULL);
    CHECK_MSG(strstr(err_last(), "line 2: unterminated"), "%s", err_last());
    CHECK(parse("a,b\n\"x\"y,3\n") == NULL);
    CHECK_MSG(strstr(err_last(), "line 2: unexpected text after a closing quote"), "%s",
              err_last());
    bench_csv *t = NULL;
    CHECK(bench_csv_read(&t, "/nonexistent/x.csv") < 0);
    CHECK(strstr(err_last(), "/nonexistent/x.csv") != NULL);
}

static void test_roundtrip(void)
{
    bench_csv *t = parse("id,text\n1,\"a,b\"\n2,\"q\"\"q\"\n3,\"nl\nx\"\n4, lead\n");
    CHECK(t != NULL);
    if (!t)
        return;
    char path[] = "/tmp/grove_test_csv_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    size_t rows[] = {3, 1, 2};
    CHECK(bench_csv_write(path, t, rows, 3) == 0);
    bench_csv *u = NULL;
    CHECK(bench_csv_read(&u, path) == 0);
    if (u) {
        CHECK(u->n_rows == 3);
        CHECK_STR(bench_csv_cell(u, 0, 1), " lead");
        CHECK_STR(bench_csv_cell(u, 1, 1), "q\"q");
        CHECK_STR(bench_csv_cell(u, 2, 1), "nl\nx");
    }
    size_t bad[] = {9};
    CHECK(bench_csv_write(path, t, bad, 1) < 0);
    CHECK(bench_csv_write(path, t, NULL, 0) == 0);
    bench_csv_free(u);
    CHECK(bench_csv_read(&u, path) == 0 && u && u->n_rows == 4);
    bench_csv_free(u);
    bench_csv_free(t);
    unlink(path);
}

static void test_stream(void)
{
    const char *text = "h1,h2\n\"x\ny\",2\n3,4\n";
    csv_reader r;
    csv_reader_init(&r, text, strlen(text), "s.csv");
    CHECK(csv_reader_next(&r) == 1 && r.n_fields == 2);
    CHECK(csv_reader_next(&r) == 1);
    CHECK_STR(csv_reader_field(&r, 0), "x\ny");
    CHECK(r.row_line == 2);
    CHECK(csv_reader_next(&r) == 1 && r.row_line == 4);
    CHECK_STR(csv_reader_field(&r, 1), "4");
    CHECK(csv_reader_next(&r) == 0);
    csv_reader_close(&r);
}

/* A file several windows long, read through csv_reader_stream and through
 * csv_reader_init over the whole text, must give the same rows, fields and
 * lines: rows and CRLFs cut by the window's end, quoted fields with newlines
 * across it, blank lines, and a row longer than the window (which grows). */
static void test_window(void)
{
    sb text = {0};
    sb_puts(&text, "\xEF\xBB\xBFid,a,b\r\n");
    unsigned seed = 7;
    for (int i = 0; text.len < ((size_t)5 << 20); i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned kind = seed >> 16 & 7;
        if (i == 30000) { /* longer than the first window */
            sb_printf(&text, "%d,\"", i);
            for (int j = 0; j < 150000; j++)
                sb_puts(&text, "long\nrow,");
            sb_puts(&text, "\",x\n");
        } else if (kind == 0) {
            sb_printf(&text, "%d,\"q\r\nq, \"\"%u\"\"\",%u\r\n", i, seed, seed % 97);
        } else if (kind == 1) {
            sb_puts(&text, "\r\n\n");
        } else {
            sb_printf(&text, "%d,0.%u,%.*s\n", i, seed, (int)(seed % 60), "pad-pad-pad-pad-"
                      "pad-pad-pad-pad-pad-pad-pad-pad-pad-pad-pad-pad-pad-pad-pad-pad");
        }
    }
    char tmpl[] = "/tmp/grove_test_window_XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    close(fd);
    CHECK(file_write(tmpl, text.buf, text.len) == 0);
    csv_reader a, b;
    csv_reader_init(&a, text.buf, text.len, tmpl);
    CHECK(csv_reader_stream(&b, tmpl) == 0);
    CHECK(b.file_size == text.len);
    size_t rows = 0, bad = 0;
    for (;;) {
        int ra = csv_reader_next(&a), rb = csv_reader_next(&b);
        if (ra != rb || a.n_fields != b.n_fields || a.row_line != b.row_line) {
            bad++;
            break;
        }
        if (ra <= 0)
            break;
        for (size_t i = 0; i < a.n_fields; i++)
            bad += strcmp(csv_reader_field(&a, i), csv_reader_field(&b, i)) != 0;
        rows++;
    }
    CHECK_MSG(bad == 0 && rows > 50000, "%zu rows, %zu differences", rows, bad);
    CHECK(b.win_cap > ((size_t)1 << 20)); /* the long row made it grow */
    csv_reader_close(&a);
    csv_reader_close(&b);
    /* a CRLF whose CR is the last byte of the first window (1 MiB, csv.c's
     * WINDOW): the LF must not count as a blank line */
    sb_reset(&text);
    sb_puts(&text, "id,a,b\r\n");
    while (text.len < 900000)
        sb_puts(&text, "1,2,3\r\n");
    sb_puts(&text, "x,y,");
    while (text.len < ((size_t)1 << 20) - 1)
        sb_putc(&text, 'z');
    sb_puts(&text, "\r\nlast,1,2\r\n");
    CHECK(file_write(tmpl, text.buf, text.len) == 0);
    CHECK(csv_reader_stream(&b, tmpl) == 0);
    size_t last_line = 0;
    while (csv_reader_next(&b) > 0)
        last_line = b.row_line;
    CHECK(last_line == 1 + (900000 - 8 + 6) / 7 + 2);
    csv_reader_close(&b);
    CHECK(csv_reader_stream(&b, "/nonexistent/x.csv") < 0 && strstr(err_last(), "x.csv"));
    unlink(tmpl);
    sb_free(&text);
}

int main(void)
{
    test_quoting();
    test_edges();
    test_errors();
    test_roundtrip();
    test_stream();
    test_window();
    return check_done("test_csv");
}
