/*
 * fuzz_slurm.c: the squeue and jobcomp parsers on arbitrary bytes (not
 * NUL-terminated: they read spans), then the state mapping on whatever they
 * accepted. A record that parses has a known shape; nothing reads past len.
 */
#include "slurm_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const slurm_rec *r)
{
    if (r->array_id < 0 || r->task < -1 || !memchr(r->state, '\0', sizeof r->state) ||
        !r->state[0] || !memchr(r->name, '\0', sizeof r->name))
        abort();
    bench_job_status st;
    int rc = slurm_rec_status(&st, r);
    if (rc == 1 && st.state != BENCH_JOB_DONE && st.state != BENCH_JOB_LOST)
        abort();
    if (rc == 1 && st.state == BENCH_JOB_LOST && st.exit_code != -1)
        abort();
    if (rc == 1 && !memchr(st.why, '\0', sizeof st.why))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so a read past the end is caught by ASan */
    char *s = malloc(size ? size : 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    slurm_rec r;
    if (slurm_parse_squeue(&r, s, size) == 0)
        check(&r);
    if (slurm_parse_jobcomp(&r, s, size) == 0)
        check(&r);
    free(s);
    return 0;
}
