/*
 * bench_slurm.c: a placeholder for the Slurm backend (issue 12 item 6),
 * which is built on its own branch against bench_backend.h and replaces
 * this file when merged. Until then --backend slurm is refused up front.
 */
#include "bench_backend.h"
#include "util.h"

static int slurm_check(const bench_backend_opts *o)
{
    (void)o;
    return err_set("--backend slurm: the slurm backend is not built in this grove "
                   "(use --backend local)");
}

const bench_backend_ops bench_backend_slurm = {
    .name = "slurm",
    .check = slurm_check,
};
