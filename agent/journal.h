/*
 * journal.h: the run's git repository is its journal.
 *
 * Commits are built with libgit2 directly from blobs and trees (never through
 * the index or a checkout). The root commit `task` holds description.md,
 * preview.md and config.json; every node is one commit whose parent is its
 * parent node's commit (drafts hang off `task`), with solution.py, plan.md,
 * output.txt, review.md and node.json. Refs: refs/heads/task,
 * refs/heads/node/<id> for every node, refs/heads/best for the current best,
 * and HEAD points at best, so `git log` shows the best lineage and
 * `git log --graph --all` the whole tree. `grove run --resume` rebuilds the
 * tree from these refs alone.
 */
#ifndef GROVE_JOURNAL_H
#define GROVE_JOURNAL_H

#include <cjson/cJSON.h>

typedef struct journal journal;

/* Open the repository in run_dir for writing, creating it when `create` is
 * set (grove run). Points HEAD at best and keeps info/exclude. */
int journal_open(journal **out, const char *run_dir, int create);
/* Open a run's repository to read it (tree, show, diff, report): writes
 * nothing, and refuses a repository without grove's task commit ("not a
 * grove run"), so a reader pointed at another git repository leaves it as
 * it was. */
int journal_open_read(journal **out, const char *run_dir);
void journal_free(journal *j);

/* After a crash: remove the lock files a killed writer left in the
 * repository (refs/heads/best.lock would block every later update of best).
 * Only safe while this process holds the run's lock (run_setup). Returns
 * how many were removed. */
int journal_recover(const char *run_dir);

/* 1 when the task commit exists (the run was started before). */
int journal_has_task(journal *j);

/* Create the root commit `task` (refs/heads/task). */
int journal_commit_task(journal *j, const char *description, const char *preview,
                        const char *config_json, double when);

/* Files of a node commit; NULL contents are written as empty files. */
typedef struct journal_node_files {
    const char *solution;  /* solution.py */
    const char *plan;      /* plan.md */
    const char *output;    /* output.txt, as the LLM saw it */
    const char *review;    /* review.md */
    const char *node_json; /* node.json */
} journal_node_files;

/* Commit node `id` under its parent's commit (parent < 0: under task) and
 * point refs/heads/node/<id> at it. */
int journal_commit_node(journal *j, int id, int parent, const journal_node_files *files,
                        const char *subject, double when);

/* The same for an ensemble node, which has no script: recipe.json (how its
 * members' submissions blend) is committed in place of solution.py, whose
 * reader (journal_load) then sees NULL. */
int journal_commit_ensemble(journal *j, int id, int parent, const journal_node_files *f,
                            const char *recipe, const char *subject, double when);

/* Point refs/heads/best (and so HEAD) at node id's commit. */
int journal_set_best(journal *j, int id);

/* The node refs/heads/best points at; < 0 when the run has no best yet. */
int journal_best_id(journal *j, int *id);

/* A node named on the command line: a node id, `best` or `task` (-1). < 0
 * with err_last() naming the argument when the run has no such node. */
int journal_parse_node(journal *j, const char *arg, int *id);

/* Read back every node: calls fn(node_json, files, data) for each
 * refs/heads/node/<id>, in id order. node_json is parsed; files' strings are
 * valid during the call only. A non-zero return from fn stops the walk. */
typedef int (*journal_node_fn)(const cJSON *node_json, const journal_node_files *files,
                               void *data);
int journal_load(journal *j, journal_node_fn fn, void *data);

/* One file of a node commit ("solution.py"), or of the task commit when
 * id < 0. *out is owned by the caller. */
int journal_read_file(journal *j, int id, const char *name, char **out);

/* The commit id (hex) of node id (or task when id < 0) into buf (>= 41). */
int journal_commit_hex(journal *j, int id, char *buf);

/* Unified diff between nodes a and b (a < 0: the task commit), limited to
 * `path` when not NULL, appended to *out as text. */
struct sb;
int journal_diff(journal *j, int a, int b, const char *path, struct sb *out);

#endif
