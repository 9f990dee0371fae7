/*
 * test_capture.c: output capture without processes: head + tail with the
 * truncation count, characters split across chunks, invalid UTF-8, the log
 * cap and its markers, and bounded memory under hostile byte streams.
 */
#include "check.h"
#include "exec_internal.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/grove-capture-XXXXXX";

static char *run(const char *data, size_t n, size_t chunk, size_t cap, size_t head,
                 size_t tail, capture *keep)
{
    char *log = path_join(dir, "output.log");
    capture c;
    CHECK(capture_open(&c, log, cap, head, tail) == 0);
    for (size_t i = 0; i < n; i += chunk)
        capture_feed(&c, data + i, n - i < chunk ? n - i : chunk);
    if (keep)
        *keep = c;
    char *out = capture_finish(&c);
    free(log);
    return out;
}

static int valid_utf8(const char *s)
{
    sb t = {0};
    utf8_sanitize(&t, s, strlen(s));
    int same = strcmp(t.buf, s) == 0;
    sb_free(&t);
    return same;
}

static void test_small_and_truncated(void)
{
    char *out = run("hello\nworld\n", 12, 5, 1 << 20, 100, 100, NULL);
    CHECK_STR(out, "hello\nworld\n");
    free(out);

    char big[10000];
    for (int i = 0; i < 10000; i++)
        big[i] = (char)('a' + i % 26);
    out = run(big, sizeof big, 333, 1 << 20, 100, 50, NULL);
    CHECK(strncmp(out, big, 100) == 0);
    CHECK(strstr(out, "[9850 characters truncated]") != NULL);
    CHECK(strlen(out) > 50 && memcmp(out + strlen(out) - 50, big + 9950, 50) == 0);
    free(out);

    /* exactly head + tail: nothing is cut */
    out = run(big, 150, 7, 1 << 20, 100, 50, NULL);
    CHECK(strlen(out) == 150 && memcmp(out, big, 150) == 0);
    free(out);
}

static void test_utf8(void)
{
    /* 3 characters of 1, 2, 3 and 4 bytes, repeated; fed one byte at a time
     * so every character is split across chunks */
    sb s = {0};
    for (int i = 0; i < 300; i++)
        sb_puts(&s, "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    char *out = run(s.buf, s.len, 1, 1 << 20, 10, 10, NULL);
    CHECK(valid_utf8(out));
    CHECK(strncmp(out, "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80" "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"
                       "a\xC3\xA9", 23) == 0);
    CHECK(strstr(out, "[1180 characters truncated]") != NULL);
    sb_free(&s);
    free(out);

    out = run("ok \xff\xfe bad \x00 nul \xC3", 17, 4, 1 << 20, 100, 100, NULL);
    CHECK_STR(out, "ok \xEF\xBF\xBD\xEF\xBF\xBD bad \xEF\xBF\xBD nul \xEF\xBF\xBD");
    free(out);

    sb t = {0};
    utf8_sanitize(&t, "\xC0\x80|\xED\xA0\x80|\xF4\x90\x80\x80|\xE2\x82", 14);
    CHECK(valid_utf8(t.buf));
    CHECK(strstr(t.buf, "\xC0") == NULL && strstr(t.buf, "\xED\xA0") == NULL);
    sb_free(&t);
}

static void test_log_cap(void)
{
    char big[5000];
    memset(big, 'x', sizeof big);
    capture c;
    char *out = run(big, sizeof big, 64, 1000, 10, 10, &c);
    CHECK(c.log_truncated);
    CHECK(c.total == 5000);
    free(out);
    char *log = path_join(dir, "output.log"), *text = NULL;
    size_t len = 0;
    CHECK(file_read(log, &text, &len) == 0);
    CHECK(len > 1000 && len < 1200);
    CHECK(text && strspn(text, "x") == 1000);
    CHECK(text && strstr(text, "output.log cut here at 1000 bytes") != NULL);
    CHECK(text && strstr(text, "4000 of 5000 bytes of output not written") != NULL);
    free(text);
    free(log);
}

/* Continuation bytes count as no character: the head must stop by size. */
static void test_bounded(void)
{
    size_t n = 4 << 20;
    char *junk = xmalloc(n);
    memset(junk, 0x80, n);
    capture c;
    char *out = run(junk, n, 65536, 1024, 2500, 2500, &c);
    CHECK(c.head.len <= 4 * 2500);
    CHECK(strlen(out) < 3 * (4 * 2500 + 4) * 2 + 100);
    CHECK(valid_utf8(out));
    free(out);
    free(junk);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    test_small_and_truncated();
    test_utf8();
    test_log_cap();
    test_bounded();
    rm_rf(dir);
    return check_done("capture");
}
