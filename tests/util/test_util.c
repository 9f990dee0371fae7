/* test_util.c: string buffer, atomic files, folders, error messages. */
#include "check.h"
#include "util.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    /* did you mean: one transposition or letter is a typo, a different word is not */
    CHECK(str_distance("rnu", "run") == 1);
    CHECK(str_distance("--stepz", "--steps") == 1);
    CHECK(str_distance("", "abc") == 3);
    CHECK(str_distance("kitten", "sitting") == 3);
    suggest sg = {.typed = "rnu"};
    const char *const cmds[] = {"run", "tree", "show", "diff", "grade"};
    for (size_t i = 0; i < 5; i++)
        suggest_add(&sg, cmds[i]);
    CHECK_STR(sg.best, "run");
    suggest far = {.typed = "xyz"};
    for (size_t i = 0; i < 5; i++)
        suggest_add(&far, cmds[i]);
    CHECK(far.best == NULL);
    sb s = {0};
    CHECK_STR(sb_str(&s), "");
    sb_printf(&s, "%d-%s", 42, "x");
    sb_puts(&s, "yz");
    CHECK_STR(sb_str(&s), "42-xyz");
    for (int i = 0; i < 10000; i++)
        sb_putc(&s, 'a');
    CHECK(s.len == 6 + 10000);
    char *stolen = sb_steal(&s);
    CHECK(s.buf == NULL && strlen(stolen) == 10006);
    free(stolen);

    char tmpl[] = "/tmp/grove-util-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL);
    char *deep = xasprintf("%s/a/b/c", tmpl);
    CHECK(mkdir_p(deep, 0755) == 0);
    CHECK(dir_exists(deep));
    CHECK(mkdir_p(deep, 0755) == 0); /* already there */
    {
        /* a trailing slash, a parent that is a file, a relative path */
        char *slash = xasprintf("%s/x/y/", tmpl), *y = xasprintf("%s/x/y", tmpl);
        CHECK(mkdir_p(slash, 0755) == 0 && dir_exists(y));
        char *file = xasprintf("%s/plain", tmpl), *under = xasprintf("%s/plain/sub/dir", tmpl);
        CHECK(file_write_str(file, "x") == 0);
        CHECK(mkdir_p(file, 0755) < 0 && strstr(err_last(), "not a folder"));
        CHECK(mkdir_p(under, 0755) < 0 && strstr(err_last(), "/plain"));
        char *cwd = getcwd(NULL, 0);
        CHECK(chdir(tmpl) == 0);
        CHECK(mkdir_p("rel/a/b", 0755) == 0 && dir_exists("rel/a/b"));
        CHECK(chdir(cwd) == 0);
        free(cwd);
        free(slash);
        free(y);
        free(file);
        free(under);
    }
    char *f = path_join(deep, "file.txt");
    CHECK(file_write_str(f, "hello\n") == 0);
    CHECK(file_append(f, "world\n", 6) == 0);
    char *data = NULL;
    size_t len = 0;
    CHECK(file_read(f, &data, &len) == 0);
    CHECK_STR(data, "hello\nworld\n");
    CHECK(len == 12);
    free(data);
    char *g = path_join(tmpl, "copy.txt");
    CHECK(file_copy(f, g) == 0);
    CHECK(file_exists(g));
    chmod(deep, 0555); /* rm_rf must cope with read-only folders */
    CHECK(rm_rf(tmpl) == 0);
    CHECK(!dir_exists(tmpl));
    CHECK(rm_rf(tmpl) == 0); /* missing is fine */

    CHECK(file_read("/nonexistent/grove", &data, NULL) < 0);
    CHECK(strstr(err_last(), "/nonexistent/grove") != NULL);
    err_set("inner %d", 1);
    err_prefix("outer");
    CHECK_STR(err_last(), "outer: inner 1");

    CHECK(str_starts("solution.py", "sol"));
    CHECK(str_ends("solution.py", ".py"));
    char *j = path_join("a/", "b");
    CHECK_STR(j, "a/b");
    free(j);
    char iso[32];
    clock_iso8601(iso, sizeof iso, 0);
    CHECK_STR(iso, "1970-01-01T00:00:00Z");
    /* env_scrub wipes the original bytes, not only the pointer */
    setenv("GROVE_TEST_SECRET", "sk-secret-value", 1);
    char *val = getenv("GROVE_TEST_SECRET");
    env_scrub("GROVE_TEST_SECRET");
    CHECK(getenv("GROVE_TEST_SECRET") == NULL);
    CHECK(strstr(val, "secret") == NULL);
    env_scrub("GROVE_TEST_NEVER_SET");
    /* utf8_fix: the last guard before JSON leaves grove */
    CHECK(utf8_valid("M\xc3\xa4rs", 5) && !utf8_valid("M\xe4rs", 4));
    char *fx = utf8_fix(xstrdup("{\"v\": \"M\xe4rs\"}"));
    CHECK_STR(fx, "{\"v\": \"M\xef\xbf\xbdrs\"}");
    free(fx);
    char *keep = xstrdup("ok \xe2\x98\x83"), *same = utf8_fix(keep);
    CHECK(same == keep);
    free(same);
    /* shell_quote: what a user copies runs as printed */
    char *q[] = {shell_quote("runs/a-1_b.c"), shell_quote("my runs/x"), shell_quote("it's"),
                 shell_quote("r\xc3\xa9sultats"), shell_quote("")};
    CHECK_STR(q[0], "runs/a-1_b.c");
    CHECK_STR(q[1], "'my runs/x'");
    CHECK_STR(q[2], "'it'\\''s'");
    CHECK_STR(q[3], "'r\xc3\xa9sultats'");
    CHECK_STR(q[4], "''");
    for (int i = 0; i < 5; i++)
        free(q[i]);
    free(deep);
    free(f);
    free(g);
    return check_done("util");
}
