/*
 * sources.h (private to bench/offline): where each bundled competition's
 * data comes from and the loader that reads it (sources.c).
 */
#ifndef GROVE_BENCH_OFFLINE_SOURCES_H
#define GROVE_BENCH_OFFLINE_SOURCES_H

#include "offline.h"

/* Read the source into one labelled table (features + label, no id), an
 * otab the caller frees. *ctx may be set to state for finish (freed with
 * the source's ctx_free). */
typedef int (*offline_load_fn)(bench_csv **out, void **ctx, const char *file);

typedef struct offline_source {
    const char *id;
    const char *packages;   /* the Debian packages holding the data */
    const char *file;       /* the data file as those packages install it */
    const char *tool;       /* a program also needed at prepare time, or NULL */
    offline_load_fn load;
    /* after ids are assigned: write extra public files (images); may be NULL */
    int (*finish)(void *ctx, bench_csv *full, const char *public_dir);
    void (*ctx_free)(void *ctx);
    double test_frac;       /* share of rows that become the test set */
    size_t max_rows;        /* subsample to this many rows (0: keep all) */
} offline_source;

/* The source of a bundled competition, or NULL. */
const offline_source *offline_source_find(const char *id);

bench_csv *otab_select(const bench_csv *src, const char *const *cols, size_t n);

int load_titanic(bench_csv **out, void **ctx, const char *file);
int load_spambase(bench_csv **out, void **ctx, const char *file);
int load_letters(bench_csv **out, void **ctx, const char *file);
int load_diamonds(bench_csv **out, void **ctx, const char *file);
int load_churn(bench_csv **out, void **ctx, const char *file);
int load_austen(bench_csv **out, void **ctx, const char *file);
int load_fashion(bench_csv **out, void **ctx, const char *file);
int finish_fashion(void *ctx, bench_csv *full, const char *public_dir);
void free_fashion(void *ctx);

#endif
