/*
 * test_exec_quota.c: the workspace's disk and file-count quota (quota.c,
 * checked by run.c while the script runs), bare and sandboxed:
 *   - a script that writes 40 MB into working/ under a 16 MB quota is killed
 *     within a second or two and the result says why, in limit_note and at
 *     the end of the output;
 *   - one that makes 3000 files under a 1000-file quota likewise;
 *   - one that stays under both runs to its end untouched;
 *   - sandboxed, the private /tmp is capped at the same size (ENOSPC).
 */
#include "fixture.h"

static exec_result *run(const char *name, const char *script, size_t disk, long files)
{
    char *ws = fx_workspace(name, script);
    exec_opts o = fx_opts(ws);
    o.disk_limit = disk;
    o.files_limit = files;
    exec_result *r = fx_run(&o);
    free(ws);
    return r;
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    exec_result *r = run("bytes",
                         "import time\n"
                         "for i in range(10):\n"
                         "    open('working/f%d' % i, 'wb').write(b'x' * (4 << 20))\n"
                         "print('wrote all', flush=True)\n"
                         "time.sleep(20)\n", 16u << 20, 0);
    if (r) {
        CHECK(r->disk_exceeded && r->term_signal == SIGKILL && !r->timed_out);
        CHECK_MSG(r->wall_s < 5, "%.1fs", r->wall_s);
        CHECK_MSG(r->limit_note && strstr(r->limit_note, "disk quota exceeded") &&
                      strstr(r->limit_note, "limit 16 MB"), "%s", r->limit_note);
        CHECK_MSG(strstr(r->output, "[grove: killed: disk quota exceeded"), "%s", r->output);
    }
    exec_result_free(r);

    r = run("files",
            "import os, time\n"
            "for i in range(3000):\n"
            "    open('working/f%d' % i, 'w').close()\n"
            "time.sleep(20)\n", 0, 1000);
    if (r) {
        CHECK(r->disk_exceeded && r->term_signal == SIGKILL);
        CHECK_MSG(r->limit_note && strstr(r->limit_note, "1000 files)"), "%s", r->limit_note);
    }
    exec_result_free(r);

    r = run("under",
            "import time\n"
            "open('working/f', 'wb').write(b'x' * (1 << 20))\n"
            "time.sleep(0.6)\n"
            "print('done')\n", 16u << 20, 1000);
    if (r) {
        CHECK(!r->disk_exceeded && r->exit_code == 0 && r->limit_note == NULL);
        CHECK(strstr(r->output, "done") != NULL);
    }
    exec_result_free(r);

    if (fx_mode == EXEC_SANDBOX_ON) {
        r = run("tmp",
                "try:\n"
                "    open('/tmp/big', 'wb').write(b'x' * (20 << 20)); print('WROTE')\n"
                "except OSError as e:\n"
                "    print('FULL', e.errno)\n", 8u << 20, 0);
        if (r)
            CHECK_MSG(strstr(r->output, "FULL 28"), "%s", r->output);
        exec_result_free(r);
    }
    fx_cleanup();
    return check_done(fx_mode == EXEC_SANDBOX_ON ? "exec_quota (sandbox)" : "exec_quota (bare)");
}
