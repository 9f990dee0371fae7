/*
 * cmd_competitions.c: `grove competitions`: the registry, one line per
 * competition: id, metric, direction, and whether grove grades it (with the
 * reason when not yet). Bundled competitions have no public leaderboard:
 * their medal thresholds are grove's own measured reference scores, and the
 * listing says so (thresholds_kind) so nobody reads a medal there as a
 * Kaggle placing.
 */
#include "bench.h"
#include "commands.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char summary_competitions[] = "list the competitions grove knows and grades";
const char usage_competitions[] =
    "usage: grove competitions [--split lite|medium|hard|split75|dev|bundled] [--json]\n\n"
    "Lists every competition of the registry (MLE-bench's 75, its dev set and\n"
    "grove's bundled offline ones): id, metric, direction (max or min), and\n"
    "'graded' or 'not yet' with the reason. split75 is lite + medium + hard.\n"
    "The thresholds of bundled competitions are reference scores grove measured\n"
    "(simple baselines), not a leaderboard: --json gives thresholds_kind.\n";

static int wanted(const bench_competition *c, const char *split)
{
    if (!split)
        return 1;
    if (!strcmp(split, "split75"))
        return !strcmp(c->split, "lite") || !strcmp(c->split, "medium") ||
               !strcmp(c->split, "hard");
    return !strcmp(c->split, split);
}

/* An unknown --split is named, with the splits there are. */
static int check_split(const char *split, const bench_competition *all, size_t n)
{
    sb known = {0};
    sb_puts(&known, "split75");
    suggest sg = {.typed = split};
    suggest_add(&sg, "split75");
    int found = !strcmp(split, "split75");
    for (size_t i = 0; i < n; i++) {
        const char *s = all[i].split;
        size_t j = 0;
        while (j < i && (!all[j].split || !s || strcmp(all[j].split, s)))
            j++;
        if (!s || !*s || j < i)
            continue; /* none, or listed already */
        found |= !strcmp(s, split);
        sb_printf(&known, ", %s", s);
        suggest_add(&sg, s);
    }
    int rc = 0;
    if (!found)
        rc = err_set("unknown split '%s'%s%s%s (the splits: %s)", split,
                     sg.best ? "; did you mean '" : "", sg.best ? sg.best : "",
                     sg.best ? "'?" : "", sb_str(&known));
    sb_free(&known);
    return rc;
}

static int is_reference(const bench_competition *c)
{
    return c->thresholds_kind && !strcmp(c->thresholds_kind, "reference");
}

int cmd_competitions(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv))
        return cmd_usage("competitions", 0);
    const char *split = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--split") && i + 1 < argc)
            split = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else
            return cmd_bad_arg("competitions", argv[i]);
    }
    size_t n;
    const bench_competition *all = bench_registry_all(&n);
    if (split && check_split(split, all, n) < 0) {
        fprintf(stderr, "grove competitions: %s\n", err_last());
        return 2;
    }
    cJSON *list = cJSON_CreateArray();
    size_t shown = 0, width = 2;
    for (size_t i = 0; i < n; i++)
        if (wanted(&all[i], split) && strlen(all[i].id) > width)
            width = strlen(all[i].id);
    for (size_t i = 0; i < n; i++) {
        const bench_competition *c = &all[i];
        if (!wanted(c, split))
            continue;
        shown++;
        const char *dir = c->lower_is_better ? "min" : "max";
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", c->id);
            cJSON_AddStringToObject(o, "metric", c->metric);
            cJSON_AddStringToObject(o, "direction", dir);
            cJSON_AddStringToObject(o, "split", c->split ? c->split : "");
            cJSON_AddBoolToObject(o, "graded", c->graded);
            cJSON_AddStringToObject(o, "thresholds_kind",
                                    c->thresholds_kind ? c->thresholds_kind : "leaderboard");
            if (c->graded)
                cJSON_AddNullToObject(o, "reason");
            else
                cJSON_AddStringToObject(o, "reason", c->not_yet_reason ? c->not_yet_reason : "");
            cJSON_AddItemToArray(list, o);
        } else {
            printf("%-*s  %-22s %-4s %-7s %s%s%s%s\n", (int)width, c->id,
                   bench_metric_label(c->metric), dir,
                   c->split ? c->split : "", c->graded ? "graded" : "not yet",
                   c->graded ? "" : ": ", c->graded ? "" : c->not_yet_reason,
                   is_reference(c)      ? " (thresholds: reference scores, not a leaderboard)"
                   : c->n_teams == 0 && c->graded ? " (no leaderboard: the score only, no medals)"
                                                  : "");
        }
    }
    if (json) {
        char *text = cJSON_Print(list);
        printf("%s\n", text);
        free(text);
    }
    cJSON_Delete(list);
    if (!shown && split) {
        fprintf(stderr, "grove competitions: no competition in split '%s'\n", split);
        return 1;
    }
    return 0;
}
