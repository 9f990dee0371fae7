/*
 * run_hardware.c: what of the machine a run's scripts get, and what the
 * model is told of it.
 *
 * GPUs (--gpus all|none|LIST, default all): the run's GPUs are shared out
 * in slots, one per script that may run at once. A script holds its slot,
 * and with it its GPUs, from its start to its end: CUDA_VISIBLE_DEVICES
 * names them and the sandbox shows exactly their device files. With W
 * workers and G GPUs there are W slots of G/W GPUs each when W <= G; with
 * more workers than GPUs there are G slots of one GPU, and a script whose
 * worker finds every slot taken waits for one (its time limit starts when
 * it starts), unless --gpu-share gives every worker a slot, two of them on
 * one GPU. exec_gpus_divide() is the arithmetic, the same a bench uses to
 * give each of its runs a --gpus LIST.
 *
 * Memory: each script is capped (exec.memory_limit_mb, --memory SIZE); by
 * default at (MemTotal - reserve) / workers, the reserve being an eighth of
 * the machine's memory and at least 1 GiB, for grove, the system and the
 * page cache. A script over its cap is killed and its node says "out of
 * memory (limit N MB)" instead of thrashing the machine until the kernel's
 * OOM killer picks something.
 *
 * Holdout scoring without a sandbox is refused unless the user turned the
 * sandbox off explicitly (--no-sandbox), and then said to be worth little.
 *
 * The prompt's {{hardware}} says all of this in a sentence, as MLE-bench's
 * instructions state the hardware: cores, memory, GPU model and memory.
 */
#include "config.h"
#include "run.h"
#include "util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* MemTotal of /proc/meminfo in bytes; 0 if unknown. */
static size_t mem_total(void)
{
    char *text = NULL;
    size_t kb = 0;
    if (file_read("/proc/meminfo", &text, NULL) == 0) {
        const char *m = strstr(text, "MemTotal:");
        if (m)
            kb = (size_t)strtoull(m + strlen("MemTotal:"), NULL, 10);
    }
    free(text);
    return kb << 10;
}

static size_t default_mem_limit(int workers)
{
    size_t total = mem_total();
    size_t reserve = total / 8 > ((size_t)1 << 30) ? total / 8 : (size_t)1 << 30;
    if (total <= reserve || workers < 1)
        return 0;
    return (total - reserve) / (size_t)workers;
}

static char *describe(const run_ctx *r)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long per = cores > 0 ? cores / r->workers : 1;
    int threads = (int)r->cfg.exec.threads;
    sb s = {0};
    sb_printf(&s, "each script may use %ld CPU core%s", per > 0 ? per : 1, per > 1 ? "s" : "");
    if (r->workers > 1)
        sb_printf(&s, " (the machine has %ld, shared by %d scripts running at once)", cores,
                  r->workers);
    if (threads > 0)
        sb_printf(&s, ", with OMP/MKL/OpenBLAS threads set to %d", threads);
    if (r->mem_limit)
        sb_printf(&s, "; %.1f GB of memory (a script that uses more is killed)",
                  (double)r->mem_limit / (1 << 30));
    /* what every script can count on: the smallest share (3 GPUs, 2 slots: 1) */
    int first = 0, count = r->gpu_slots ? r->n_gpus : 0;
    for (int i = 0; i < r->gpu_slots; i++) {
        int f, c;
        if (exec_gpus_divide(r->n_gpus, r->gpu_slots, i, 1, &f, &c) < count)
            first = f, count = c;
    }
    if (count == 0) {
        sb_puts(&s, "; no GPU: train on the CPU");
    } else {
        const exec_gpu *g = &r->gpus[first];
        sb_printf(&s, "; %d GPU%s (%s", count, count > 1 ? "s" : "", g->name);
        if (g->mem_mb)
            sb_printf(&s, ", %.0f GB of memory%s", (double)g->mem_mb / 1024, count > 1 ? " each" : "");
        sb_printf(&s, "), seen by the script as cuda:0%s", count > 1 ? " and up" : "");
        if (r->cfg.gpu_share && r->workers > r->n_gpus)
            sb_puts(&s, ", possibly shared with another script running at once");
    }
    return sb_steal(&s);
}

/* Holdout scores mean something only if no script can read the held-out
 * answers, which only the sandbox ensures: without one, holdout scoring
 * needs the user's explicit --no-sandbox (sandbox "off"). */
static int check_sandbox(const run_ctx *r)
{
    if (!r->holdout)
        return 0;
    if (r->cfg.sandbox == CONFIG_SANDBOX_OFF) {
        log_warn("--no-sandbox: scripts can read the held-out answers, so a holdout score is "
                 "only as honest as the script that earned it; use it to debug, not to compare");
        return 0;
    }
    if (r->cfg.sandbox == CONFIG_SANDBOX_AUTO && !exec_sandbox_available())
        return err_set("holdout scoring needs the sandbox, and bubblewrap cannot run here (%s): "
                       "any script could read the held-out answers and grade itself perfect, so "
                       "its scores would be worth nothing. Make bubblewrap work (scripts/setup), "
                       "use --scoring self-report, or pass --no-sandbox to run anyway with "
                       "scores that only mean something if no script cheats",
                       exec_sandbox_why());
    return 0;
}

int run_hardware_setup(run_ctx *r)
{
    if (check_sandbox(r) < 0)
        return -1;
    exec_gpu *all = NULL;
    int n_all = 0;
    exec_gpus_detect(&all, &n_all, NULL, NULL);
    int rc = exec_gpus_select(&r->gpus, &r->n_gpus, all, n_all, r->cfg.gpus);
    free(all);
    if (rc < 0)
        return -1;
    int share = r->cfg.gpu_share;
    r->gpu_slots = r->n_gpus == 0 ? 0 : share || r->workers <= r->n_gpus ? r->workers : r->n_gpus;
    r->gpu_busy = r->gpu_slots ? xcalloc((size_t)r->gpu_slots, sizeof *r->gpu_busy) : NULL;
    long mb = r->cfg.exec.memory_limit_mb;
    r->mem_limit = mb > 0 ? (size_t)mb << 20 : mb == 0 ? default_mem_limit(r->workers) : 0;
    r->hardware = describe(r);
    return 0;
}

int run_gpu_acquire(run_ctx *r)
{
    for (int i = 0; i < r->gpu_slots; i++)
        if (!r->gpu_busy[i]) {
            r->gpu_busy[i] = 1;
            return i;
        }
    return -1;
}

void run_gpu_release(run_ctx *r, int slot)
{
    /* -1 (no slot) or a slot held since run_gpu_acquire, released once */
    assert(slot < 0 || (slot < r->gpu_slots && r->gpu_busy[slot]));
    if (slot >= 0 && slot < r->gpu_slots)
        r->gpu_busy[slot] = 0;
}

void run_gpu_opts(const run_ctx *r, int slot, exec_opts *o)
{
    int first, count;
    exec_gpus_divide(r->n_gpus, r->gpu_slots, slot, 1, &first, &count);
    o->gpus = count ? &r->gpus[first] : NULL;
    o->n_gpus = count;
}

void run_hardware_free(run_ctx *r)
{
    free(r->gpus);
    free(r->gpu_busy);
    free(r->hardware);
}
