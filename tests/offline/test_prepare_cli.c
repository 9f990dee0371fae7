/*
 * test_prepare_cli.c: `grove prepare` as a user runs it ($GROVE_BIN): it
 * prepares, says "already prepared" the second time, takes a list of ids
 * (each one reported, exit 1 when one fails), rejects bad usage with exit 2,
 * names an unknown id, and `--help` prints the usage.
 */
#include "check.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Run grove with args; returns its exit code and its stdout+stderr in *out. */
static int grove(char **out, const char *args)
{
    const char *bin = getenv("GROVE_BIN");
    char *cmd = xasprintf("'%s' %s 2>&1", bin ? bin : "grove", args);
    FILE *p = popen(cmd, "r");
    sb s = {0};
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
        sb_append(&s, buf, n);
    int st = p ? pclose(p) : -1;
    free(cmd);
    *out = sb_steal(&s);
    if (!*out)
        *out = xstrdup("");
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
    char tmpl[] = "/tmp/grove-prepcli-XXXXXX";
    char *root = mkdtemp(tmpl);
    if (!root)
        return 1;
    char *out = NULL, *args = xasprintf("prepare grove-titanic --data-dir %s", root);
    CHECK(grove(&out, args) == 0);
    CHECK_MSG(strstr(out, "prepared in"), "%s", out);
    free(out);
    CHECK(grove(&out, args) == 0);
    CHECK_MSG(strstr(out, "already prepared"), "%s", out);
    free(out);
    char *f = xasprintf("%s --force --seed 3", args);
    CHECK(grove(&out, f) == 0);
    CHECK_MSG(strstr(out, "seed 3"), "%s", out);
    free(out), free(f);
    char *list = xasprintf("prepare grove-titanic no-such-thing --data-dir %s", root);
    CHECK(grove(&out, list) == 1);
    CHECK_MSG(strstr(out, "already prepared") && strstr(out, "no-such-thing"), "%s", out);
    free(out), free(list);
    CHECK(grove(&out, "prepare") == 2);
    free(out);
    CHECK(grove(&out, "prepare grove-titanic --seed abc") == 2);
    CHECK_MSG(strstr(out, "--seed"), "%s", out);
    free(out);
    CHECK(grove(&out, "prepare no-such-thing --data-dir /tmp") == 1);
    CHECK_MSG(strstr(out, "no-such-thing"), "%s", out);
    free(out);
    CHECK(grove(&out, "prepare --help") == 0);
    CHECK_MSG(strstr(out, "--all"), "%s", out);
    free(out);
    free(args);
    rm_rf(root);
    return check_done("prepare-cli");
}
