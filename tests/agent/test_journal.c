/* test_journal.c: node commits, refs, read-back, diff and `git fsck` of a
 * journal built with libgit2 (journal.c). */
#include "check.h"
#include "journal.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

typedef struct seen {
    int ids[16];
    int n;
    int code_ok;
} seen;

static int on_node(const cJSON *nj, const journal_node_files *f, void *data)
{
    seen *s = data;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(nj, "id");
    s->ids[s->n++] = id->valueint;
    if (f->solution && strstr(f->solution, "print("))
        s->code_ok++;
    return 0;
}

static int sh(const char *fmt, const char *dir)
{
    char *cmd = xasprintf(fmt, dir);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

int main(void)
{
    char tmpl[] = "/tmp/grove-journal-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL);
    journal *j = NULL;
    CHECK(journal_open(&j, tmpl, 1) == 0);
    CHECK(!journal_has_task(j));
    CHECK(journal_commit_task(j, "# task\n", "preview\n", "{}\n", 1700000000) == 0);
    CHECK(journal_has_task(j));

    journal_node_files f = {"print(1)\n", "plan zero\n", "out\n", "review\n", "{\"id\": 0}\n"};
    CHECK(journal_commit_node(j, 0, -1, &f, "draft 0: plan zero | holdout auc 0.5", 1700000001) == 0);
    f.solution = "print(2)\n";
    f.node_json = "{\"id\": 1}\n";
    CHECK(journal_commit_node(j, 1, 0, &f, "improve 1<-0: more | holdout auc 0.6", 1700000002) == 0);
    f.node_json = "{\"id\": 10}\n";
    CHECK(journal_commit_node(j, 10, 1, &f, "improve 10<-1: same", 1700000003) == 0);
    CHECK(journal_set_best(j, 1) == 0);
    int best = -1;
    CHECK(journal_best_id(j, &best) == 0 && best == 1);

    /* a parent without a commit is an error, not a dangling commit */
    CHECK(journal_commit_node(j, 11, 7, &f, "debug 11<-7", 1700000004) < 0);
    CHECK(strstr(err_last(), "node/7") != NULL);

    seen s = {0};
    CHECK(journal_load(j, on_node, &s) == 0);
    CHECK(s.n == 3 && s.ids[0] == 0 && s.ids[1] == 1 && s.ids[2] == 10); /* numeric order */
    CHECK(s.code_ok == 3);

    char *text = NULL;
    CHECK(journal_read_file(j, 1, "solution.py", &text) == 0);
    CHECK_STR(text, "print(2)\n");
    free(text);
    CHECK(journal_read_file(j, -1, "description.md", &text) == 0);
    CHECK_STR(text, "# task\n");
    free(text);
    CHECK(journal_read_file(j, 5, "solution.py", &text) < 0);

    sb d = {0};
    CHECK(journal_diff(j, 0, 1, "solution.py", &d) == 0);
    CHECK(strstr(sb_str(&d), "-print(1)") && strstr(sb_str(&d), "+print(2)"));
    sb_free(&d);
    journal_free(j);

    /* plain git agrees: the tree's shape, HEAD -> best, and fsck is clean */
    CHECK(sh("git -C %s fsck --strict --no-dangling >/dev/null 2>&1", tmpl) == 0);
    CHECK(sh("test \"$(git -C %s rev-list --count --all)\" = 4", tmpl) == 0);
    char *cmd = xasprintf("test \"$(git -C %s rev-parse HEAD)\" = \"$(git -C %s rev-parse node/1)\"",
                          tmpl, tmpl);
    CHECK(system(cmd) == 0);
    free(cmd);
    cmd = xasprintf("test \"$(git -C %s rev-parse node/10^)\" = \"$(git -C %s rev-parse node/1)\" && "
                    "test \"$(git -C %s rev-parse node/0^)\" = \"$(git -C %s rev-parse task)\"",
                    tmpl, tmpl, tmpl, tmpl);
    CHECK(system(cmd) == 0);
    free(cmd);
    CHECK(sh("git -C %s log -1 --format=%%s node/1 | grep -q '^improve 1<-0: more'", tmpl) == 0);

    /* reopening sees the same journal */
    CHECK(journal_open(&j, tmpl, 0) == 0);
    CHECK(journal_has_task(j));

    /* a `git gc` beside a live run packs every object and deletes the loose
     * copies: the journal's odb (journal_odb.c rescans objects/pack only when
     * it changed) still finds them, to read and to commit on top of */
    CHECK(journal_commit_node(j, 12, 10, &f, "improve 12<-10: before gc", 1700000005) == 0);
    cmd = xasprintf("git -C %s gc -q --prune=now && test -z \"$(find %s/.git/objects -type f "
                    "-path '*/objects/[0-9a-f][0-9a-f]/*')\"", tmpl, tmpl);
    CHECK(system(cmd) == 0); /* every object is in a pack now */
    free(cmd);
    CHECK(journal_read_file(j, 12, "solution.py", &text) == 0);
    CHECK_STR(text, "print(2)\n");
    free(text);
    f.solution = "print(13)\n";
    CHECK(journal_commit_node(j, 13, 12, &f, "improve 13<-12: after gc", 1700000006) == 0);
    CHECK(journal_set_best(j, 13) == 0);
    CHECK(journal_read_file(j, 13, "solution.py", &text) == 0);
    CHECK_STR(text, "print(13)\n");
    free(text);
    journal_free(j);
    CHECK(sh("git -C %s fsck --strict --no-dangling >/dev/null 2>&1", tmpl) == 0);
    cmd = xasprintf("test \"$(git -C %s rev-parse node/13^)\" = \"$(git -C %s rev-parse node/12)\"",
                    tmpl, tmpl);
    CHECK(system(cmd) == 0);
    free(cmd);
    CHECK(journal_open(&j, "/nonexistent/grove-run", 0) < 0);
    CHECK(!dir_exists("/nonexistent/grove-run"));
    CHECK(strstr(err_last(), "/nonexistent/grove-run") != NULL);

    /* killed while git_repository_init ran: .git exists, git cannot open it;
     * resuming completes it */
    char half[] = "/tmp/grove-journal-half-XXXXXX";
    CHECK(mkdtemp(half) != NULL);
    char *objs = xasprintf("%s/.git/objects", half);
    CHECK(mkdir_p(objs, 0755) == 0);
    free(objs);
    CHECK(journal_open(&j, half, 0) == 0);
    CHECK(!journal_has_task(j));
    CHECK(journal_commit_task(j, "task", "preview", "{}", 1.0) == 0);
    seen none = {0}; /* killed before the first node: nothing to load (UBSan: qsort) */
    CHECK(journal_load(j, on_node, &none) == 0 && none.n == 0);
    journal_free(j);
    CHECK(sh("git -C %s symbolic-ref HEAD | grep -q '^refs/heads/best$'", half) == 0);
    CHECK(sh("git -C %s fsck --no-progress --strict 2>&1 | grep -v ^notice: | (! grep .)", half) == 0);
    CHECK(sh("git -C %s rev-parse -q --verify task >/dev/null", half) == 0);
    rm_rf(half);
    CHECK(journal_open(&j, "/nonexistent/grove-run", 0) < 0);
    CHECK(strstr(err_last(), "/nonexistent/grove-run") != NULL);

    /* readers (grove tree, show, diff, report) write nothing: a grove run's
     * HEAD stays where a user put it, and a repository that is not a grove
     * run is refused untouched (journal_open pointed its HEAD at best and
     * wrote its info/exclude) */
    CHECK(sh("git -C %s symbolic-ref HEAD refs/heads/task", tmpl) == 0);
    CHECK(journal_open_read(&j, tmpl) == 0);
    CHECK(journal_has_task(j));
    journal_free(j);
    CHECK(sh("git -C %s symbolic-ref HEAD | grep -q '^refs/heads/task$'", tmpl) == 0);
    char plain[] = "/tmp/grove-journal-plain-XXXXXX";
    CHECK(mkdtemp(plain) != NULL);
    CHECK(sh("git init -q %s", plain) == 0);
    CHECK(sh("git -C %s symbolic-ref HEAD refs/heads/main", plain) == 0);
    CHECK(journal_open_read(&j, plain) < 0);
    CHECK(strstr(err_last(), "not a grove run") != NULL);
    CHECK(sh("git -C %s symbolic-ref HEAD | grep -q '^refs/heads/main$'", plain) == 0);
    CHECK(sh("! grep -qs grove %s/.git/info/exclude", plain) == 0);
    rm_rf(plain);
    rm_rf(tmpl);
    return check_done("journal");
}
