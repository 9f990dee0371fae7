/*
 * exec.h: run one candidate script, sandboxed, on the caller's libuv loop.
 *
 * A run executes `<python> solution.py` in a node's workspace:
 *
 *   WORKDIR/input/       the competition's public data, read-only to the script
 *   WORKDIR/working/     scratch space
 *   WORKDIR/submission/  where the script writes submission.csv
 *   WORKDIR/solution.py  the script (the caller writes it)
 *   WORKDIR/output.log   merged stdout+stderr, capped (written by exec)
 *
 * The child gets its own process group, stdin from /dev/null and an
 * environment built from an allowlist only (no API key of the parent ever
 * reaches a script). Under bubblewrap (when it works on this machine) the
 * system is read-only, input/ read-only, only the workspace writable, /tmp
 * private, no network unless allowed, and the sandbox dies with grove.
 * A wall-clock timeout sends SIGTERM to the whole group, then SIGKILL after a
 * grace period; no process outlives its run: each run also gets its own
 * cgroup where the machine allows (a process that leaves the group is still
 * found and killed; processes and memory are capped there).
 *
 * Several runs may be in flight on one loop; each can be cancelled.
 */
#ifndef GROVE_EXEC_H
#define GROVE_EXEC_H

#include <stddef.h>
#include <uv.h>

enum exec_sandbox_mode {
    EXEC_SANDBOX_AUTO = 0, /* bubblewrap if it works here, else warn once and run bare */
    EXEC_SANDBOX_ON,       /* bubblewrap or fail */
    EXEC_SANDBOX_OFF,      /* never */
};

/* One NVIDIA GPU of the machine (gpus.c). */
typedef struct exec_gpu {
    int index;      /* nvidia-smi's index (PCI bus order); the number a script
                       sees in CUDA_VISIBLE_DEVICES (exec sets
                       CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA counts alike) */
    int minor;      /* N of its device file /dev/nvidiaN */
    char name[96];  /* "NVIDIA H100 80GB HBM3"; "NVIDIA GPU" when only the
                       device file is known */
    long mem_mb;    /* total memory in MiB; 0 when unknown */
} exec_gpu;

typedef struct exec_opts {
    const char *python;     /* absolute interpreter path; NULL: exec_find_python() */
    const char *workdir;    /* the workspace (must exist) */
    const char *script;     /* relative to workdir; NULL: "solution.py" */
    const char *input_dir;  /* host folder shown read-only as WORKDIR/input;
                               NULL: WORKDIR/input as it is */
    double timeout_s;       /* wall-clock limit; <= 0: none */
    double kill_grace_s;    /* SIGTERM -> SIGKILL delay; 0: default 5 s */
    size_t log_cap;         /* output.log cap in bytes; 0: default 64 MiB */
    size_t head_chars;      /* in-memory head kept; 0: default 2500 */
    size_t tail_chars;      /* in-memory tail kept; 0: default 2500 */
    size_t mem_limit;       /* memory cap in bytes; 0: none. Enforced by a memory
                               cgroup where grove can make one (an overrun is an
                               OOM kill, reported in limit_note), else by
                               RLIMIT_AS (an overrun is a MemoryError) */
    int allow_network;      /* 0: no network inside the sandbox */
    int allow_loopback;     /* with allow_network: 0 keeps the host's loopback
                               (127.0.0.0/8, ::1) closed to the script, by a
                               socket filter on the run's cgroup; where that
                               cannot be made, the run does not start */
    int sandbox;            /* enum exec_sandbox_mode */
    int threads;            /* OMP/MKL/OPENBLAS thread counts; 0: leave unset */
    const exec_gpu *gpus;   /* the GPUs the script may use: CUDA_VISIBLE_DEVICES
                               lists them and the sandbox shows exactly their
                               /dev/nvidiaN (plus nvidiactl, nvidia-uvm,
                               nvidia-modeset); NULL: none, CUDA_VISIBLE_DEVICES="" */
    int n_gpus;
    const char *const *hide_paths;    /* NULL-terminated host folders made invisible
                                         inside the sandbox (answers, run data) */
    int max_procs;          /* processes + threads of the run (pids cgroup), so a
                               fork bomb gets EAGAIN; 0: default 1024; < 0: none */
    size_t file_limit;      /* largest file the script may write (RLIMIT_FSIZE),
                               in bytes; 0: none */
    size_t disk_limit;      /* bytes the workspace (input/ aside) may hold, and the
                               size of the sandbox's private /tmp; checked while
                               the script runs, which is killed when it is over
                               (limit_note says so); 0: none */
    long files_limit;       /* files and folders the workspace may hold, checked
                               alike; 0: none */
    int seed;               /* > 0: GROVE_SEED=seed in the script's environment
                               (the final selection's extra runs of a script,
                               which measure its noise); 0: unset */
} exec_opts;

typedef struct exec_result {
    int exit_code;        /* exit status, or -1 when killed by a signal */
    int term_signal;      /* signal that ended it, 0 if none */
    int timed_out;        /* 1 when the wall-clock limit was hit */
    int cancelled;        /* 1 when exec_cancel() ended it */
    double wall_s;        /* wall-clock time */
    double cpu_s;         /* user + system CPU of the process tree */
    long peak_rss_kb;     /* peak resident set size (largest process) */
    char *output;         /* head + "[N characters truncated]" + tail, NUL-terminated */
    size_t output_bytes;  /* total bytes the script printed */
    int log_truncated;    /* output.log hit log_cap */
    char *log_path;       /* WORKDIR/output.log */
    int sandboxed;        /* ran under bubblewrap */
    char *exc_type;       /* last Python traceback: exception type, or NULL */
    char *exc_msg;        /* its message, or NULL */
    int exc_line;         /* its line in the script, 0 if unknown */
    char *error;          /* NULL, or why the script could not be started */
    int oom_killed;       /* the memory cgroup's OOM killer ended a process */
    int procs_refused;    /* forks/threads refused at max_procs */
    int disk_exceeded;    /* killed: the workspace passed disk_limit or files_limit */
    char *limit_note;     /* NULL, or what a limit did, e.g. "killed: out of memory
                             (limit 512 MB)"; also appended to output as
                             "[grove: ...]" so whoever reads the output sees it */
} exec_result;

typedef struct exec_run exec_run;

/* Called once per run, on the loop thread. The callback owns `res` and frees
 * it with exec_result_free(). The run handle is freed after it returns. */
typedef void (*exec_done_cb)(exec_run *run, exec_result *res, void *data);

/* Start a run. On success *out is the handle and cb will be called exactly
 * once. On failure (bad options, no interpreter, spawn failure) returns < 0
 * with err_last() set and cb is never called. */
int exec_start(exec_run **out, uv_loop_t *loop, const exec_opts *opts,
               exec_done_cb cb, void *data);

/* SIGTERM the run's group, then SIGKILL after the grace period. The callback
 * still fires, with cancelled = 1. Safe to call more than once. */
void exec_cancel(exec_run *run);

/* Run to completion on a private loop (CLI, tests). *out is owned by the
 * caller. Returns < 0 only when the run could not start. */
int exec_run_sync(exec_result **out, const exec_opts *opts);

void exec_result_free(exec_result *res);

/* Find the interpreter once: GROVE_PYTHON if set, else the first of
 * /usr/bin/python3, python3 on PATH that can `import numpy`. *out is an
 * absolute path the caller frees. < 0 with a clear err_last() if none. */
int exec_find_python(char **out);

/* Whether bubblewrap works on this machine (probed once, cached). */
int exec_sandbox_available(void);
/* Why it does not ("" when it does or before the probe). */
const char *exec_sandbox_why(void);

/* The machine's GPUs: nvidia-smi's list when `smi` (NULL: nvidia-smi on
 * PATH) runs, else the DEV_DIR/nvidia[0-9]* device files (dev_dir NULL:
 * "/dev"; a test points it at a folder of fake ones). *out (caller frees)
 * is NULL with *n = 0 when there is none. Returns 0. */
int exec_gpus_detect(exec_gpu **out, int *n, const char *dev_dir, const char *smi);
/* The GPUs `spec` names among all: "all" (or NULL), "none", or indices
 * "0,2". *out is the caller's. < 0 with err_last() naming the unknown one
 * and those there are. */
int exec_gpus_select(exec_gpu **out, int *n, const exec_gpu *all, int n_all, const char *spec);
/* Share n_gpus GPUs among `parts` users that run at once (a run's workers,
 * a bench's runs): part `part` gets the GPUs [*first, *first + *count) of
 * the list, contiguous blocks as even as possible. With more parts than
 * GPUs each part gets one GPU, part % n_gpus, when `share` is set, else
 * parts beyond the GPUs get none, so no two parts ever share one. Returns
 * *count. */
int exec_gpus_divide(int n_gpus, int parts, int part, int share, int *first, int *count);
/* "0,2": the indices of gpus as --gpus and CUDA_VISIBLE_DEVICES take them
 * ("" for none; caller frees). */
char *exec_gpus_list(const exec_gpu *gpus, int n);

/* Create WORKDIR with working/ and submission/ folders. */
int exec_workspace_prepare(const char *workdir);

/* Parse a Python traceback in `output` for the exception that ended the
 * script named `script` ("solution.py"). Sets the three out-params (owned by
 * the caller) and returns 1 when found, 0 when not. */
int exec_parse_traceback(const char *output, const char *script,
                         char **type, char **msg, int *line);

#endif
