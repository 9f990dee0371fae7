/*
 * holdout_infer.h (private to agent/): derive what grove needs to split a
 * registry competition whose entry does not describe its training data.
 */
#ifndef GROVE_HOLDOUT_INFER_H
#define GROVE_HOLDOUT_INFER_H

#include "bench.h"

typedef struct holdout_inferred {
    bench_competition comp;       /* the entry plus train/test file, label, task */
    bench_competition split_comp; /* the same, shaped for bench_holdout_split */
    char *label_col;              /* owned */
} holdout_inferred;

/* 0 with *out filled when the public folder makes the split unambiguous;
 * < 0 with err_last() saying why not (then the run stays in self-report). */
int holdout_infer(holdout_inferred *out, const bench_competition *comp, const char *public_dir);
void holdout_inferred_free(holdout_inferred *h);

#endif
