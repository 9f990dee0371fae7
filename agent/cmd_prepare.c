/*
 * cmd_prepare.c: `grove prepare`: build the bundled offline competitions
 * (bench/offline) in MLE-bench's layout under the data folder, from datasets
 * that ship in Debian packages. All the work is bench_prepare's; this file
 * parses flags and reports per competition.
 */
#include "bench.h"
#include "commands.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char summary_prepare[] = "build the bundled offline competitions from Debian data";
const char usage_prepare[] =
    "usage: grove prepare ID... | --all [--data-dir DIR] [--seed N] [--force]\n"
    "\n"
    "Builds bundled competitions (ids grove-*, see `grove competitions`) in\n"
    "MLE-bench's layout: DATA/ID/prepared/public/ (train.csv, test.csv,\n"
    "sample_submission.csv, description.md) and DATA/ID/prepared/private/answers.csv.\n"
    "The data comes from Debian packages, so no network is needed; the same seed\n"
    "gives byte-identical files.\n"
    "\n"
    "  --all           every bundled competition whose Debian data is installed\n"
    "                  (the others are listed with the package they need)\n"
    "  --data-dir DIR  data folder (default: $GROVE_DATA, else ~/.cache/grove/data)\n"
    "  --seed N        seed of the split (default 42; the reference thresholds\n"
    "                  were measured with 42)\n"
    "  --force         rebuild even when already prepared\n"
    "\n"
    "Only grove-titanic's data is installed by plain `scripts/setup`;\n"
    "`scripts/setup --data` installs the packages of the others.\n";

typedef struct prep_opts {
    const char **ids; /* the IDs given, in order (points into argv) */
    int n_ids;
    const char *data_dir;
    unsigned long seed;
    int all, force;
} prep_opts;

static int parse(prep_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->seed = BENCH_PREPARE_SEED;
    o->ids = xcalloc((size_t)argc, sizeof *o->ids);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--all")) {
            o->all = 1;
        } else if (!strcmp(a, "--force")) {
            o->force = 1;
        } else if (!strcmp(a, "--data-dir") && i + 1 < argc) {
            o->data_dir = argv[++i];
        } else if (!strcmp(a, "--seed") && i + 1 < argc) {
            char *end = NULL;
            errno = 0;
            o->seed = strtoul(argv[++i], &end, 10);
            if (errno || !*argv[i] || *end || argv[i][0] == '-') {
                fprintf(stderr, "grove prepare: --seed wants a non-negative integer, "
                                "not '%s'\n", argv[i]);
                return -1;
            }
        } else if (a[0] != '-') {
            o->ids[o->n_ids++] = a;
        } else {
            fprintf(stderr, "grove prepare: unexpected argument '%s'\n", a);
            return -1;
        }
    }
    if (!o->all == !o->n_ids) {
        fprintf(stderr, "grove prepare: give one or more competition ids, or --all (not both)\n");
        return -1;
    }
    return 0;
}

/* Prepare one; returns 0 done, 1 skipped (source missing, --all), -1 failed. */
static int prepare_one(const char *id, const prep_opts *o)
{
    int already = 0;
    double t0 = clock_mono();
    int rc = bench_prepare(&already, id, o->data_dir, o->seed, o->force);
    if (rc == BENCH_ENOSRC && o->all) {
        printf("%-16s skipped: %s\n", id, err_last());
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "grove prepare: %s\n", err_last());
        return -1;
    }
    char *dd = bench_data_dir(o->data_dir);
    if (already)
        printf("%-16s already prepared in %s/%s/prepared (--force rebuilds it)\n", id, dd,
               id);
    else
        printf("%-16s prepared in %s/%s/prepared (seed %lu, %.1f s)\n", id, dd, id,
               o->seed, clock_mono() - t0);
    free(dd);
    return 0;
}

int cmd_prepare(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv))
        return cmd_usage("prepare", 0);
    prep_opts o;
    if (parse(&o, argc, argv) < 0) {
        free(o.ids);
        return 2;
    }
    if (!o.all) {
        int failed = 0;
        for (int i = 0; i < o.n_ids; i++)
            failed += prepare_one(o.ids[i], &o) < 0;
        free(o.ids);
        return failed ? 1 : 0;
    }
    free(o.ids);
    size_t n = 0;
    const bench_competition *all = bench_registry_all(&n);
    int failed = 0, done = 0;
    for (size_t i = 0; i < n; i++) {
        if (!all[i].split || strcmp(all[i].split, "bundled"))
            continue;
        int rc = prepare_one(all[i].id, &o);
        failed += rc < 0;
        done += rc == 0;
    }
    if (done == 0 && failed == 0)
        fprintf(stderr, "grove prepare: no bundled competition has its data installed "
                        "(run scripts/setup)\n");
    return failed || done == 0 ? 1 : 0;
}
