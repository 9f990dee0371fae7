/*
 * bench_backends.c: the table of bench backends, looked up by --backend.
 */
#include "bench_backend.h"

#include <string.h>

static const bench_backend_ops *const backends[] = {
    &bench_backend_local,
    &bench_backend_slurm,
    NULL,
};

const bench_backend_ops *bench_backend_find(const char *name)
{
    for (int i = 0; backends[i]; i++)
        if (!strcmp(backends[i]->name, name))
            return backends[i];
    return NULL;
}
