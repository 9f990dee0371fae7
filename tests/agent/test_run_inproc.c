/*
 * test_run_inproc.c: a short `grove run` in this process, through the same
 * calls cmd_run makes (run_parse_args, run_check, run_setup, run_loop,
 * run_finish, run_write_finished), driven by the builtin coder.
 *
 * The competition is written here: spooky-author-identification in
 * MLE-bench's prepared layout with 300 synthetic rows (its registry entry
 * does not describe the training data, so grove infers the label and
 * splits a holdout itself, as with the real data). Two steps, one worker.
 * Then, from the run's context and its folder: two finished nodes, one
 * scored, in the tree; journal.json listing them; one commit per node
 * under the task commit, with node.json and solution.py as the tree holds
 * them; the best ref on the best node; best/ with a graded submission;
 * finished.json.
 */
#include "check.h"
#include "journal.h"
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const authors[] = {"EAP", "HPL", "MWS"};
static const char *const words[] = {"raven dark chamber midnight dreary",
                                    "eldritch cosmic ancient ooze",
                                    "monster creator wretch frankenstein"};

static void write_file(const char *dir, const char *name, const char *text)
{
    char *p = path_join(dir, name);
    CHECK_MSG(file_write_str(p, text) == 0, "%s: %s", p, err_last());
    free(p);
}

/* A sentence of author a's words and filler, from a small LCG. */
static void sentence(sb *s, int a, unsigned *rng)
{
    static const char *const filler[] = {"the", "of", "and", "a", "to", "in", "was", "it"};
    char *mine = xstrdup(words[a]), *w[8], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(mine, " ", &save); t && n < 8; t = strtok_r(NULL, " ", &save))
        w[n++] = t;
    for (int k = 0; k < 12; k++) {
        *rng = *rng * 1103515245u + 12345u;
        unsigned x = (*rng >> 16) % (unsigned)(n + 8);
        sb_printf(s, "%s%s", k ? " " : "", x < (unsigned)n ? w[x] : filler[x - (unsigned)n]);
    }
    free(mine);
}

/* <tmp>/spooky-author-identification/prepared/{public,private}; returns the
 * competition's folder (caller frees). */
static char *make_competition(const char *tmp)
{
    char *top = path_join(tmp, "spooky-author-identification");
    char *prep = path_join(top, "prepared");
    char *pub = path_join(prep, "public"), *priv = path_join(prep, "private");
    CHECK(mkdir(top, 0755) == 0 && mkdir(prep, 0755) == 0);
    CHECK(mkdir(pub, 0755) == 0 && mkdir(priv, 0755) == 0);
    sb train = {0}, test = {0}, sample = {0}, answers = {0};
    sb_puts(&train, "id,text,author\n");
    sb_puts(&test, "id,text\n");
    sb_puts(&sample, "id,EAP,HPL,MWS\n");
    sb_puts(&answers, "id,EAP,HPL,MWS\n");
    unsigned rng = 7;
    for (int i = 0; i < 300; i++) {
        int a = (int)((rng >> 8) % 3);
        sb text = {0};
        sentence(&text, a, &rng);
        if (i < 225) {
            sb_printf(&train, "id%05d,\"%s\",%s\n", i, sb_str(&text), authors[a]);
        } else {
            sb_printf(&test, "id%05d,\"%s\"\n", i, sb_str(&text));
            sb_printf(&sample, "id%05d,0.4,0.3,0.3\n", i);
            sb_printf(&answers, "id%05d,%d,%d,%d\n", i, a == 0, a == 1, a == 2);
        }
        sb_free(&text);
    }
    write_file(pub, "train.csv", sb_str(&train));
    write_file(pub, "test.csv", sb_str(&test));
    write_file(pub, "sample_submission.csv", sb_str(&sample));
    write_file(pub, "description.md", "# Spooky author identification (synthetic rows)\n");
    write_file(priv, "test.csv", sb_str(&answers));
    sb_free(&train);
    sb_free(&test);
    sb_free(&sample);
    sb_free(&answers);
    free(prep);
    free(pub);
    free(priv);
    return top;
}

typedef struct walk {
    const search_tree *t;
    int seen;
} walk;

/* Each node commit holds the node the tree holds: same stage, same code. */
static int on_node(const cJSON *nj, const journal_node_files *f, void *data)
{
    walk *w = data;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(nj, "id");
    const search_node *n = cJSON_IsNumber(id) ? search_tree_node(w->t, id->valueint) : NULL;
    CHECK_MSG(n != NULL, "a committed node is in the tree");
    if (n) {
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(nj, "stage")),
                  search_stage_name(n->stage));
        CHECK_STR(f->solution, n->code);
        CHECK(f->node_json && strstr(f->node_json, "\"model\"") != NULL);
    }
    w->seen++;
    return 0;
}

/* `git rev-parse REV` in dir, into out (41 bytes). */
static int rev_parse(const char *dir, const char *rev, char out[41])
{
    char *q = shell_quote(dir);
    char *cmd = xasprintf("git -C %s rev-parse %s 2>/dev/null", q, rev);
    FILE *p = popen(cmd, "r");
    free(q);
    free(cmd);
    out[0] = 0;
    int ok = p && fscanf(p, "%40s", out) == 1;
    if (p)
        pclose(p);
    return ok ? 0 : -1;
}

static void check_commits(run_ctx *r)
{
    journal *j = NULL;
    CHECK_MSG(journal_open_read(&j, r->run_dir) == 0, "%s", err_last());
    if (!j)
        return;
    walk w = {r->tree, 0};
    CHECK(journal_load(j, on_node, &w) == 0);
    CHECK_MSG(w.seen == 2, "%d node commits", w.seen);
    char task[41], best_hex[41], got[41];
    CHECK(journal_commit_hex(j, -1, task) == 0);
    for (size_t i = 0; i < search_tree_count(r->tree); i++) {
        const search_node *n = search_tree_at(r->tree, i);
        char ref[64], parent[41], want[41];
        snprintf(ref, sizeof ref, "node/%d^", n->id);
        CHECK(rev_parse(r->run_dir, ref, parent) == 0);
        if (n->parent >= 0)
            CHECK(journal_commit_hex(j, n->parent, want) == 0);
        else
            memcpy(want, task, sizeof want);
        CHECK_MSG(strcmp(parent, want) == 0, "node %d's commit hangs off its parent's", n->id);
    }
    int best = -1;
    CHECK(journal_best_id(j, &best) == 0);
    CHECK_MSG(best == search_tree_best(r->tree), "best ref %d, tree's best %d", best,
              search_tree_best(r->tree));
    CHECK(journal_commit_hex(j, best, best_hex) == 0);
    CHECK(rev_parse(r->run_dir, "HEAD", got) == 0 && strcmp(got, best_hex) == 0);
    journal_free(j);
}

static void check_files(const run_ctx *r)
{
    char *p = path_join(r->run_dir, "journal.json"), *text = NULL;
    CHECK_MSG(file_read(p, &text, NULL) == 0, "%s", p);
    cJSON *jj = cJSON_Parse(text ? text : "");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(jj, "nodes")) == 2);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(jj, "best")) == search_tree_best(r->tree));
    cJSON_Delete(jj);
    free(text);
    free(p);
    p = path_join(r->run_dir, "best/grade.json");
    text = NULL;
    CHECK_MSG(file_read(p, &text, NULL) == 0, "%s", p);
    cJSON *g = cJSON_Parse(text ? text : "");
    CHECK_MSG(cJSON_IsTrue(cJSON_GetObjectItem(g, "valid_submission")), "graded: %s",
              text ? text : "(none)");
    cJSON_Delete(g);
    free(text);
    free(p);
    p = path_join(r->run_dir, "finished.json");
    CHECK(access(p, R_OK) == 0);
    free(p);
}

int main(void)
{
    char tmp[] = "/tmp/grove-inproc-XXXXXX";
    CHECK(mkdtemp(tmp) != NULL);
    char *comp = make_competition(tmp);
    char *out = path_join(tmp, "runs");
    char *argv[] = {"run", comp, "--out", out, "--name", "inproc", "--model", "builtin:baseline",
                    "--steps", "2", "--workers", "1", "--exec-timeout", "120", "--set",
                    "search.num_drafts=2", NULL};
    run_ctx r;
    memset(&r, 0, sizeof r);
    char *resume = NULL;
    CHECK_MSG(run_parse_args(16, argv, &r.cfg, &resume) == 0, "%s", err_last());
    CHECK(resume == NULL);
    CHECK_MSG(run_check(&r, 0) == 0, "%s", err_last());
    CHECK_MSG(run_setup(&r, 0) == 0, "%s", err_last());
    CHECK(r.holdout); /* inferred from the registry entry and the files */
    CHECK(llm_client_is_builtin(r.coder));
    run_loop(&r);
    CHECK_MSG(r.exit_code == 0, "exit code %d (%s)", r.exit_code,
              r.stop_reason ? r.stop_reason : "");
    CHECK_MSG(run_finish(&r) == 0, "%s", err_last());
    CHECK(run_write_finished(&r, 0) == 0);

    CHECK(search_tree_count(r.tree) == 2);
    CHECK(search_tree_count_state(r.tree, NODE_DONE) == 2);
    CHECK_MSG(search_tree_good_count(r.tree) >= 1, "a scored node");
    int best = search_tree_best(r.tree);
    const search_node *bn = best >= 0 ? search_tree_node(r.tree, best) : NULL;
    /* a multi-class log loss better than the uniform guess's ln 3 */
    CHECK_MSG(bn && bn->score >= 0 && bn->score < 1.0986, "best score %g",
              bn ? bn->score : -1);
    check_commits(&r);
    check_files(&r);
    run_free(&r);

    char *q = shell_quote(tmp), *cmd = xasprintf("rm -rf %s", q);
    if (!check_failures && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    free(q);
    free(cmd);
    free(comp);
    free(out);
    return check_done("agent_run_inproc");
}
