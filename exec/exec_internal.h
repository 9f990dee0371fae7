/*
 * exec_internal.h: what the files of exec/ share and nothing outside uses.
 *
 *   run.c        the life of one run on the loop: start, SIGCHLD, timers, finish
 *   spawn.c      fork/exec of one command line with an explicit environment,
 *                its own session, rlimits and merged stdout+stderr
 *   sandbox.c    the bubblewrap command line and the one-time probe
 *   cgroup.c     a cgroup per run: process and memory limits, kill-all
 *   capture.c    output capture: output.log with a cap, head+tail in memory
 *   traceback.c  Python traceback parsing (PCRE2)
 *   quota.c      the disk and file count of a workspace, for its quota
 *   netguard.c   the loopback closed to runs that may use the network
 *   gpus.c       the machine's GPUs and their division (public: exec.h)
 *   python.c     interpreter discovery and workspace creation
 */
#ifndef GROVE_EXEC_INTERNAL_H
#define GROVE_EXEC_INTERNAL_H

#include "exec.h"
#include "util.h"

#include <sys/resource.h>
#include <sys/types.h>

/* ---- spawn.c ---- */

/* The unprivileged uid and gid a script runs as when grove is root. */
enum { SANDBOX_UID = 65534, SANDBOX_GID = 65534 };

/* Where a sandbox launched by root finds the folders and files it binds
 * (sandbox.c says why): the spawned child, still root, makes a private mount
 * namespace, opens each source (O_PATH), covers SANDBOX_STAGE_DIR with a
 * small tmpfs and binds each source, through /proc/self/fd, at dst[i]
 * there; bwrap, started as SANDBOX_UID, then binds dst[i], a path no closed
 * folder stands in front of. */
#define SANDBOX_STAGE_DIR "/tmp"
enum { SANDBOX_MAX_STAGE = 16 };
typedef struct sandbox_stage {
    int n;
    int is_dir[SANDBOX_MAX_STAGE];
    char *src[SANDBOX_MAX_STAGE];    /* the host path */
    char *dst[SANDBOX_MAX_STAGE];    /* SANDBOX_STAGE_DIR "/grove-bind-I" */
} sandbox_stage;

typedef struct spawn_req {
    char *const *argv;  /* argv[0] is an absolute path, exec'd as is */
    char *const *envp;  /* the child's whole environment */
    const char *cwd;    /* NULL: inherit */
    int out_fd;         /* becomes the child's fd 1 and 2; < 0: /dev/null */
    int stats_fd;       /* becomes the child's fd 3; < 0: none */
    size_t mem_limit;   /* RLIMIT_AS in bytes; 0: none */
    size_t file_limit;  /* RLIMIT_FSIZE in bytes; 0: none */
    const int *join_fds; /* cgroup.procs files the child writes itself into */
    int n_join;
    int drop_root;      /* become SANDBOX_UID/GID, no groups, before exec */
    const sandbox_stage *stage; /* staged binds (sandbox.c); NULL: none */
} spawn_req;

/* Fork and exec req in a new session (so its process group id is its pid),
 * stdin from /dev/null, core dumps off, every other fd closed. Returns only
 * after the exec succeeded or failed: < 0 with err_last() naming argv[0] and
 * errno when the child could not exec. */
int spawn_process(pid_t *pid, const spawn_req *req);

/* Run argv to completion with output discarded, blocking; for the one-time
 * probes (bwrap, interpreter). Returns its wait status, or < 0. */
int spawn_wait_quiet(char *const *argv, char *const *envp, int drop_root);

/* Send sig (0: none) to every live process of group pgid except `except`
 * (0: none) and return how many live (not zombie) ones there are. Used to
 * give the processes inside a sandbox SIGTERM without killing bwrap itself,
 * whose death would SIGKILL the whole sandbox at once, and to wait until a
 * finished run's group is really gone. */
int signal_group_except(pid_t pgid, pid_t except, int sig);

/* The allowlisted environment of a run as a NULL-terminated array; free with
 * strv_free(). `cwd` (NULL: no PWD), `home` and `tmpdir` are the values for
 * PWD, HOME and TMPDIR. */
char **env_build(const exec_opts *opts, const char *python, const char *cwd,
                 const char *home, const char *tmpdir);
void strv_free(char **v);

/* ---- sandbox.c ---- */

/* The full command line of a run: bwrap's flags then python and the script
 * when sandboxed, else just python and the script. NULL-terminated; free
 * with strv_free(). workdir is absolute; input_src is the host folder bound
 * read-only at input_dst (NULL: none). */
char **sandbox_argv(const exec_opts *opts, int sandboxed, const char *python,
                    const char *workdir, const char *script, const char *input_src,
                    const char *input_dst, sandbox_stage *stage);
/* Whether a sandboxed script runs as SANDBOX_UID on the host (grove is
 * root), through staged binds; otherwise bwrap maps it to grove's own uid. */
int sandbox_drops_root(void);
/* Free the stage's strings. */
void sandbox_stage_release(sandbox_stage *st);
/* Parse the wrapper's stats line ("utime_us stime_us maxrss_kb status")
 * into ru and *status, the script's own wait status (bwrap can only pass on
 * 128 + N for a signal, which a script's sys.exit(137) would look like).
 * Returns 0, or -1 if the line is not there (the wrapper was killed). */
int sandbox_parse_stats(const char *line, struct rusage *ru, int *status);

/* ---- cgroup.c ---- */

enum { CGROUP_MAX_DIRS = 3 };

typedef struct cgroup_run {
    char *dirs[CGROUP_MAX_DIRS]; /* the run's cgroups (one per hierarchy), owned */
    int join_fds[CGROUP_MAX_DIRS]; /* their cgroup.procs, open for the child */
    int n;
    int list_dir;  /* index of the folder listing the members; -1: none */
    int kill_dir;  /* index of a v2 folder (cgroup.kill); -1: none */
    int pids_dir;  /* index of the folder holding pids.max; -1: no limit */
    int mem_dir;   /* index of the folder holding the memory limit; -1: none */
    int mem_v2;    /* mem_dir is v2 (memory.events, not memory.oom_control) */
    long pids_max;
    size_t mem_limit;
} cgroup_run;

/* Create the run's cgroups, named `name`, under grove's own and set the
 * limits (pids_max <= 0 or mem_limit 0: none). Never fails: what cannot be
 * made is left out with one warning per process; check the *_dir fields.
 * Release with cgroup_destroy() (then cgroup_forget() if it stays busy). */
void cgroup_setup(cgroup_run *cg, const char *name, long pids_max, size_t mem_limit);
/* Close the cgroup.procs fds once the child has started. */
void cgroup_close_join(cgroup_run *cg);
/* Send sig (0: none) to every member except `except` (0: none); returns the
 * number of members, or -1 when there is no member list. */
int cgroup_signal(const cgroup_run *cg, int sig, pid_t except);
/* SIGKILL every member: cgroup.kill where there is one, else member by member. */
void cgroup_kill(const cgroup_run *cg);
/* How many processes the memory limit's OOM killer ended (0 without a limit). */
int cgroup_oom_kills(const cgroup_run *cg);
/* How many forks the process limit refused. */
int cgroup_pids_refused(const cgroup_run *cg);
/* Remove the run's folders; -1 while one still has members (try again). */
int cgroup_destroy(cgroup_run *cg);
/* Give up on folders that stay busy: warn, free, leave them. */
void cgroup_forget(cgroup_run *cg);

/* ---- python.c ---- */

/* An interpreter named by path (made absolute, not resolved through links) or
 * by bare name (looked up on PATH). *out is the caller's. < 0 with a message
 * saying how to name one when it does not exist or cannot be executed. */
int python_resolve(const char *name, char **out);

/* ---- quota.c ---- */

typedef struct quota_use {
    size_t bytes; /* allocated blocks of everything in the workspace */
    long files;   /* files, folders and links in it */
} quota_use;

/* What the workspace holds, input/ left out; the walk stops early once a
 * limit (0: none) is passed. Returns 1 when one is, else 0. */
int quota_measure(quota_use *u, const char *workdir, size_t max_bytes, long max_files);

/* ---- netguard.c ---- */

/* Refuse connect() and UDP sendmsg() to the loopback (127.0.0.0/8, 0.0.0.0/8,
 * ::1, ::, their IPv4-mapped forms) for every process of the cgroup v2
 * folder cgroup_dir. < 0 with err_last() where the kernel or grove's
 * privileges do not allow it. */
int netguard_attach(const char *cgroup_dir);

/* ---- capture.c ---- */

typedef struct capture {
    int log_fd;          /* output.log, -1 once closed */
    size_t log_cap;      /* bytes output.log may hold */
    size_t log_written;  /* bytes written to output.log */
    int log_truncated;
    size_t total;        /* bytes seen */
    size_t total_chars;  /* UTF-8 characters seen (an invalid byte counts as one) */
    size_t head_chars;   /* characters to keep from the start */
    size_t tail_chars;   /* characters to keep from the end */
    sb head;             /* the first head_chars characters */
    size_t head_count;   /* characters in head */
    int head_full;       /* the head takes no more bytes */
    char *ring;          /* the last ring_cap bytes, circular */
    size_t ring_cap;     /* 4 * tail_chars + 4: room for tail_chars characters */
    size_t ring_len;     /* bytes held (<= ring_cap) */
    size_t ring_pos;     /* next write position */
} capture;

/* Open (truncate) log_path and set up the buffers. < 0 with err_last(). */
int capture_open(capture *c, const char *log_path, size_t log_cap,
                 size_t head_chars, size_t tail_chars);
/* Feed a chunk of output. Write errors end logging (noted in the log by
 * nothing: the disk is the problem) but never the run. */
void capture_feed(capture *c, const char *data, size_t n);
/* Close output.log (with a final note of what was cut) and return the
 * in-memory view: head, "[N characters truncated]", tail, as valid UTF-8.
 * Caller frees. The capture is released. */
char *capture_finish(capture *c);


#endif
