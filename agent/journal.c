/*
 * journal.c: node commits with libgit2 (see journal.h for the layout).
 *
 * Each commit is assembled from in-memory buffers: blobs, then a tree with a
 * treebuilder, then the commit, then the ref. A crash between any two steps
 * leaves at most unreferenced objects behind (which `git fsck` reports as
 * dangling, not as corruption); the ref update is the step that makes a node
 * exist. libgit2 writes each ref through a lock file and rename, so a ref is
 * never half-written.
 */
#include "journal.h"
#include "journal_odb.h"
#include "util.h"

#include <dirent.h>
#include <git2.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

struct journal {
    git_repository *repo;
};

static int git_fail(const char *what)
{
    const git_error *e = git_error_last();
    return err_set("git: %s: %s", what, e && e->message ? e->message : "unknown error");
}

int journal_open(journal **out, const char *run_dir, int create)
{
    *out = NULL;
    git_libgit2_init();
    /* Node commits must survive a power cut as well as a SIGKILL. */
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
    journal *j = xcalloc(1, sizeof *j);
    int rc = create ? git_repository_init(&j->repo, run_dir, 0)
                    : git_repository_open(&j->repo, run_dir);
    char *gitdir = path_join(run_dir, ".git");
    int half_made = !create && rc < 0 && dir_exists(gitdir);
    free(gitdir);
    if (half_made) {
        /* A grove killed while creating the repository leaves a .git that
         * git cannot open yet; initialising again completes it and keeps
         * whatever is there. */
        log_warn("%s: %s; completing the repository", run_dir,
                 git_error_last() ? git_error_last()->message : "cannot open");
        rc = git_repository_init(&j->repo, run_dir, 0);
    }
    if (rc < 0) {
        git_fail(run_dir);
        free(j);
        git_libgit2_shutdown();
        return -1;
    }
    if (journal_odb_install(j->repo) < 0)
        log_warn("%s (the journal goes on with libgit2's default, slower)", err_last());
    /* HEAD follows the best node; the run folder's other files (workspaces,
     * llm.jsonl) are not part of the journal, so git status stays quiet. Both
     * set on every open, so a run killed before they were written has them. */
    git_reference *ref = NULL;
    if (git_reference_symbolic_create(&ref, j->repo, "HEAD", "refs/heads/best", 1, NULL) < 0)
        log_warn("%s: cannot point HEAD at refs/heads/best", run_dir);
    git_reference_free(ref);
    char *excl = xasprintf("%s/.git/info/exclude", run_dir);
    char *cur = NULL;
    if (file_read(excl, &cur, NULL) < 0 || !strstr(cur, "\n*\n"))
        file_write_str(excl, "# grove: the journal is built from blobs, not the work tree\n*\n");
    free(cur);
    free(excl);
    *out = j;
    return 0;
}

int journal_open_read(journal **out, const char *run_dir)
{
    *out = NULL;
    git_libgit2_init();
    /* A reader (grove tree, show, diff, report and the live page's writer,
     * each a process of its own) goes through the nodes once, each node's
     * tree looked up once (journal_load): libgit2's object cache would only
     * keep every commit and tree of the run, 10,000 nodes' worth, to the
     * end (a third of the page writer's memory). */
    git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
    journal *j = xcalloc(1, sizeof *j);
    if (git_repository_open(&j->repo, run_dir) < 0) {
        git_fail(run_dir);
        free(j);
        git_libgit2_shutdown();
        return -1;
    }
    if (!journal_has_task(j)) {
        journal_free(j);
        return err_set("%s is not a grove run (its git repository has no task commit); "
                       "give a run folder made by grove run", run_dir);
    }
    *out = j;
    return 0;
}

void journal_free(journal *j)
{
    if (!j)
        return;
    git_repository_free(j->repo);
    free(j);
    git_libgit2_shutdown();
}

static void ref_name(char *buf, size_t n, int id)
{
    if (id < 0)
        snprintf(buf, n, "refs/heads/task");
    else
        snprintf(buf, n, "refs/heads/node/%d", id);
}

static int commit_of(journal *j, int id, git_oid *oid)
{
    char name[64];
    ref_name(name, sizeof name, id);
    if (git_reference_name_to_id(oid, j->repo, name) < 0)
        return err_set("git: no commit for %s (%s)", id < 0 ? "task" : "node", name);
    return 0;
}

int journal_has_task(journal *j)
{
    git_oid oid;
    return git_reference_name_to_id(&oid, j->repo, "refs/heads/task") == 0;
}

typedef struct entry {
    const char *name;
    const char *data;
} entry;

static int build_tree(journal *j, const entry *entries, size_t n, git_tree **tree)
{
    git_treebuilder *bld = NULL;
    git_oid oid;
    if (git_treebuilder_new(&bld, j->repo, NULL) < 0)
        return git_fail("treebuilder");
    for (size_t i = 0; i < n; i++) {
        const char *d = entries[i].data ? entries[i].data : "";
        if (git_blob_create_from_buffer(&oid, j->repo, d, strlen(d)) < 0 ||
            git_treebuilder_insert(NULL, bld, entries[i].name, &oid, GIT_FILEMODE_BLOB) < 0) {
            git_treebuilder_free(bld);
            return git_fail(entries[i].name);
        }
    }
    int rc = git_treebuilder_write(&oid, bld);
    git_treebuilder_free(bld);
    if (rc < 0 || git_tree_lookup(tree, j->repo, &oid) < 0)
        return git_fail("write tree");
    return 0;
}

/* Commit `entries` with `parent_id`'s commit as parent (none when
 * parent_id == -2), and point ref `ref` at it. */
static int commit(journal *j, const entry *entries, size_t n, int parent_id,
                  const char *ref, const char *message, double when)
{
    git_tree *tree = NULL;
    git_commit *parent = NULL;
    git_signature *sig = NULL;
    git_reference *r = NULL;
    git_oid oid;
    int rc = -1;
    if (build_tree(j, entries, n, &tree) < 0)
        goto fail;
    if (parent_id != -2) {
        if (commit_of(j, parent_id, &oid) < 0)
            goto fail;
        if (git_commit_lookup(&parent, j->repo, &oid) < 0) {
            git_fail("parent commit");
            goto fail;
        }
    }
    if (git_signature_new(&sig, "grove", "grove@localhost", (git_time_t)when, 0) < 0) {
        git_fail("signature");
        goto fail;
    }
    const git_commit *parents[1] = {parent};
    if (git_commit_create(&oid, j->repo, NULL, sig, sig, NULL, message, tree,
                          parent ? 1 : 0, parents) < 0) {
        git_fail("commit");
        goto fail;
    }
    if (git_reference_create(&r, j->repo, ref, &oid, 1, message) < 0) {
        git_fail(ref);
        goto fail;
    }
    rc = 0;
fail:
    git_reference_free(r);
    git_signature_free(sig);
    git_commit_free(parent);
    git_tree_free(tree);
    return rc;
}

int journal_commit_task(journal *j, const char *description, const char *preview,
                        const char *config_json, double when)
{
    const entry e[] = {
        {"config.json", config_json},
        {"description.md", description},
        {"preview.md", preview},
    };
    return commit(j, e, 3, -2, "refs/heads/task", "task\n", when);
}

/* A node's commit; recipe non-NULL: an ensemble's, recipe.json in place
 * of solution.py. */
static int commit_node(journal *j, int id, int parent, const journal_node_files *f,
                       const char *recipe, const char *subject, double when)
{
    entry e[] = {
        {"node.json", f->node_json},
        {"output.txt", f->output},
        {"plan.md", f->plan},
        {"review.md", f->review},
        {"solution.py", f->solution},
    };
    if (recipe)
        e[4] = (entry){"recipe.json", recipe};
    char ref[64];
    ref_name(ref, sizeof ref, id);
    sb msg = {0};
    utf8_sanitize(&msg, subject, strlen(subject)); /* git log readers expect UTF-8 */
    sb_putc(&msg, '\n');
    int rc = commit(j, e, 5, parent < 0 ? -1 : parent, ref, sb_str(&msg), when);
    sb_free(&msg);
    return rc;
}

int journal_commit_node(journal *j, int id, int parent, const journal_node_files *f,
                        const char *subject, double when)
{
    return commit_node(j, id, parent, f, NULL, subject, when);
}

int journal_commit_ensemble(journal *j, int id, int parent, const journal_node_files *f,
                            const char *recipe, const char *subject, double when)
{
    return commit_node(j, id, parent, f, recipe, subject, when);
}

/* The index as `git status` needs it: HEAD is refs/heads/best, so an empty
 * index reads as the best node's five files staged for deletion. It holds
 * best's tree, each entry marked skip-worktree because the files live in
 * commits, not in the run folder (best/ has the copies a user opens); with
 * info/exclude's `*`, git status says the tree is clean. A failure here costs
 * only that, so it is a warning. */
static void index_follow(journal *j, const git_oid *commit_oid)
{
    git_commit *c = NULL;
    git_tree *t = NULL;
    git_index *ix = NULL;
    int ok = git_commit_lookup(&c, j->repo, commit_oid) == 0 && git_commit_tree(&t, c) == 0 &&
             git_repository_index(&ix, j->repo) == 0 && git_index_read_tree(ix, t) == 0;
    for (size_t i = 0; ok && i < git_index_entrycount(ix); i++) {
        git_index_entry e = *git_index_get_byindex(ix, i);
        e.flags |= GIT_INDEX_ENTRY_EXTENDED;
        e.flags_extended |= GIT_INDEX_ENTRY_SKIP_WORKTREE;
        ok = git_index_add(ix, &e) == 0;
    }
    if (!ok || git_index_write(ix) < 0) {
        git_fail("the index (git status in the run folder may list changes)");
        log_warn("%s", err_last());
    }
    git_index_free(ix);
    git_tree_free(t);
    git_commit_free(c);
}

int journal_set_best(journal *j, int id)
{
    git_oid oid;
    git_reference *r = NULL;
    if (commit_of(j, id, &oid) < 0)
        return -1;
    char msg[64];
    snprintf(msg, sizeof msg, "best: node %d", id);
    if (git_reference_create(&r, j->repo, "refs/heads/best", &oid, 1, msg) < 0)
        return git_fail("refs/heads/best");
    git_reference_free(r);
    index_follow(j, &oid);
    return 0;
}

/* Contents of `name` in commit `oid`'s tree, or NULL when absent. */
/* File `name` of tree t as text (caller frees), or NULL. */
static char *tree_blob(journal *j, const git_tree *t, const char *name)
{
    git_blob *b = NULL;
    const git_tree_entry *e = git_tree_entry_byname(t, name);
    if (!e || git_blob_lookup(&b, j->repo, git_tree_entry_id(e)) < 0)
        return NULL;
    char *out = xstrndup(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
    git_blob_free(b);
    return out;
}

/* The tree of commit oid (caller frees), or NULL. */
static git_tree *commit_tree(journal *j, const git_oid *oid)
{
    git_commit *c = NULL;
    git_tree *t = NULL;
    if (git_commit_lookup(&c, j->repo, oid) == 0)
        git_commit_tree(&t, c);
    git_commit_free(c);
    return t;
}

static char *tree_file(journal *j, const git_oid *oid, const char *name)
{
    git_tree *t = commit_tree(j, oid);
    char *out = t ? tree_blob(j, t, name) : NULL;
    git_tree_free(t);
    return out;
}

int journal_read_file(journal *j, int id, const char *name, char **out)
{
    git_oid oid;
    *out = NULL;
    if (commit_of(j, id, &oid) < 0)
        return -1;
    *out = tree_file(j, &oid, name);
    if (!*out)
        return err_set("git: %s has no %s", id < 0 ? "task" : "node", name);
    return 0;
}

int journal_commit_hex(journal *j, int id, char *buf)
{
    git_oid oid;
    if (commit_of(j, id, &oid) < 0)
        return -1;
    git_oid_tostr(buf, 41, &oid);
    return 0;
}

typedef struct id_list {
    int *ids;
    size_t n, cap;
} id_list;

static int collect_id(const char *name, void *data)
{
    id_list *l = data;
    const char *p = name + strlen("refs/heads/node/");
    char *end;
    long id = strtol(p, &end, 10);
    if (*end || id < 0 || id > 1000000000L)
        return 0; /* not one of ours */
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->ids = xrealloc(l->ids, l->cap * sizeof *l->ids);
    }
    l->ids[l->n++] = (int)id;
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int journal_load(journal *j, journal_node_fn fn, void *data)
{
    id_list l = {0};
    if (git_reference_foreach_glob(j->repo, "refs/heads/node/*", collect_id, &l) < 0) {
        free(l.ids);
        return git_fail("list node refs");
    }
    if (l.n)
        xqsort(l.ids, l.n, sizeof *l.ids, cmp_int);
    int rc = 0;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        git_oid oid;
        if (commit_of(j, l.ids[i], &oid) < 0) {
            rc = -1;
            break;
        }
        git_tree *t = commit_tree(j, &oid); /* once for the node's five files */
        char *names[5] = {0};
        static const char *const files[5] = {"node.json", "solution.py", "plan.md",
                                             "output.txt", "review.md"};
        for (int k = 0; t && k < 5; k++)
            names[k] = tree_blob(j, t, files[k]);
        git_tree_free(t);
        cJSON *nj = names[0] ? cJSON_Parse(names[0]) : NULL;
        if (!nj) {
            rc = err_set("git: node %d: node.json is missing or not JSON", l.ids[i]);
        } else {
            journal_node_files f = {names[1], names[2], names[3], names[4], names[0]};
            rc = fn(nj, &f, data);
        }
        cJSON_Delete(nj);
        for (int k = 0; k < 5; k++)
            free(names[k]);
    }
    free(l.ids);
    return rc;
}

static int tree_of(journal *j, int id, git_tree **tree)
{
    git_oid oid;
    git_commit *c = NULL;
    if (commit_of(j, id, &oid) < 0)
        return -1;
    int rc = git_commit_lookup(&c, j->repo, &oid) < 0 || git_commit_tree(tree, c) < 0;
    git_commit_free(c);
    return rc ? git_fail("read tree") : 0;
}

static int print_line(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l,
                      void *payload)
{
    (void)d;
    (void)h;
    sb *out = payload;
    if (l->origin == GIT_DIFF_LINE_CONTEXT || l->origin == GIT_DIFF_LINE_ADDITION ||
        l->origin == GIT_DIFF_LINE_DELETION)
        sb_putc(out, l->origin);
    sb_append(out, l->content, l->content_len);
    return 0;
}

int journal_diff(journal *j, int a, int b, const char *path, sb *out)
{
    git_tree *ta = NULL, *tb = NULL;
    git_diff *diff = NULL;
    int rc = -1;
    if (tree_of(j, a, &ta) < 0 || tree_of(j, b, &tb) < 0)
        goto fail;
    git_diff_options opts;
    git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
    char *paths[1] = {(char *)path};
    if (path) {
        opts.pathspec.strings = paths;
        opts.pathspec.count = 1;
    }
    if (git_diff_tree_to_tree(&diff, j->repo, ta, tb, &opts) < 0 ||
        git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, print_line, out) < 0) {
        git_fail("diff");
        goto fail;
    }
    rc = 0;
fail:
    git_diff_free(diff);
    git_tree_free(ta);
    git_tree_free(tb);
    return rc;
}

int journal_best_id(journal *j, int *id)
{
    git_oid oid;
    if (git_reference_name_to_id(&oid, j->repo, "refs/heads/best") < 0)
        return err_set("the run has no best node yet (no node has a valid score)");
    char *text = tree_file(j, &oid, "node.json");
    cJSON *nj = text ? cJSON_Parse(text) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(nj, "id");
    int rc = cJSON_IsNumber(v) ? (*id = v->valueint, 0) : err_set("best: node.json has no id");
    cJSON_Delete(nj);
    free(text);
    return rc;
}

int journal_parse_node(journal *j, const char *arg, int *id)
{
    if (!strcmp(arg, "task")) {
        *id = -1;
        return 0;
    }
    if (!strcmp(arg, "best"))
        return journal_best_id(j, id);
    char *end;
    long v = strtol(arg, &end, 10);
    if (!*arg || *end || v < 0 || v > 1000000000L)
        return err_set("'%s' is not a node (a node id, `best` or `task`)", arg);
    *id = (int)v;
    git_oid oid;
    return commit_of(j, *id, &oid) < 0 ? err_set("the run has no node %ld", v) : 0;
}

static int remove_locks(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = path_join(dir, e->d_name);
        if (dir_exists(p)) {
            if (depth < 8 && strcmp(e->d_name, "objects"))
                n += remove_locks(p, depth + 1);
        } else if (str_ends(e->d_name, ".lock") && unlink(p) == 0) {
            log_warn("removed %s, left by a grove that was killed", p);
            n++;
        }
        free(p);
    }
    closedir(d);
    return n;
}

int journal_recover(const char *run_dir)
{
    char *git = path_join(run_dir, ".git");
    int n = remove_locks(git, 0);
    free(git);
    return n;
}
