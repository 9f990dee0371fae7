/*
 * report_int.h (private to the report_*.c files): the pieces the run page
 * and the bench page share.
 *
 * Text pool: a page carries the code, plan, output and review of every node.
 * Most lines repeat between nodes (a child keeps most of its parent's code),
 * so each text is stored as runs into one table of distinct lines: the text
 * "a\nb\nc" whose lines are table entries 7, 8 and 9 is [7, 3] (start,
 * count pairs), and a child that changed one line is a few pairs. report.js
 * joins them back. A 1,000-node run of the builtin coder (23 KB scripts)
 * fits in a few MiB this way.
 */
#ifndef GROVE_REPORT_INT_H
#define GROVE_REPORT_INT_H

#include <cjson/cJSON.h>

typedef struct report_pool report_pool;

report_pool *report_pool_new(void);
void report_pool_free(report_pool *p);
/* The runs of `text` as a JSON array (caller owns), or JSON null for NULL. */
cJSON *report_pool_text(report_pool *p, const char *text);
/* The table of distinct lines, in index order (caller owns), as one raw
 * JSON item: the text of an array of strings, not a tree of them. */
cJSON *report_pool_lines(const report_pool *p);

/* The last part of a path ("/runs/r1" -> "r1"), a pointer into it; the
 * whole path when it ends with '/'. Callers pass real paths. */
const char *report_base_name(const char *path);

/* A JSON file parsed, or NULL when it is missing or not JSON. */
cJSON *report_read_json(const char *path);

/* What the bench page needs of a run's nodes, without their texts. */
typedef struct report_node_fact {
    int id;
    double score; /* the search score; NAN when it has none */
    int is_buggy;
} report_node_fact;

typedef struct report_facts {
    report_node_fact *nodes; /* owned (report_facts_free), in id order */
    int n;
} report_facts;

void report_facts_free(report_facts *f);

/* The data of the run in run_dir (caller owns): config, status, nodes with
 * their texts in `pool`, best, final submission, totals. "nodes" is one raw
 * JSON item, printed node by node as the journal is read: a tree of 10,000
 * nodes' JSON objects held at once took most of the page writer's memory.
 * facts (may be NULL) gets what the bench page reads of each node. NULL
 * with err_last() when run_dir is not a run folder. */
cJSON *report_run_data(const char *run_dir, report_pool *pool, report_facts *facts);

/* Fill the page template with the data (kind "run" or "bench", consumed:
 * freed once printed) and write it to out_path atomically. Adds the line
 * table of `pool` to data. 0 or -1. */
int report_page_write(const char *out_path, const char *title, cJSON *data,
                      const report_pool *pool);

#endif
