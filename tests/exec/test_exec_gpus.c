/*
 * test_exec_gpus.c: GPU detection, selection and division (exec/gpus.c),
 * and what a sandboxed script sees of the GPUs it is given.
 *   - detection from a fake /dev folder (files named like the device
 *     files) and from a fake nvidia-smi (a shell script printing its CSV);
 *   - --gpus lists: known indices, "none", unknown or repeated ones refused
 *     with a message naming them;
 *   - division among parts: even contiguous blocks, one GPU each when there
 *     are more parts than GPUs only when sharing is asked for;
 *   - under the sandbox, as root: device nodes made with mknod (/dev/nvidia0,
 *     /dev/nvidia1, /dev/nvidiactl: there is no GPU on the test machine,
 *     and they are removed at the end, also when a check fails or a signal
 *     ends the test); a script given GPU 1 sees exactly /dev/nvidia1 and
 *     /dev/nvidiactl and CUDA_VISIBLE_DEVICES=1; two runs at once given
 *     the halves of the GPUs see different ones; a run given none sees no
 *     device and CUDA_VISIBLE_DEVICES="".
 */
#include "fixture.h"

#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void test_detect(void)
{
    char *dev = path_join(fx_base, "dev");
    CHECK(mkdir_p(dev, 0755) == 0);
    const char *names[] = {"nvidia2", "nvidia0", "nvidiactl", "nvidia-uvm", "nvidia-caps", "null"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *p = path_join(dev, names[i]);
        CHECK(file_write_str(p, "") == 0);
        free(p);
    }
    exec_gpu *g = NULL;
    int n = -1;
    CHECK(exec_gpus_detect(&g, &n, dev, "/nonexistent/nvidia-smi") == 0);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(g[0].index == 0 && g[0].minor == 0);
        CHECK(g[1].index == 1 && g[1].minor == 2);
        CHECK_STR(g[1].name, "NVIDIA GPU");
    }
    free(g);
    /* nvidia-smi wins where it runs */
    char *smi = path_join(fx_base, "nvidia-smi");
    CHECK(file_write_str(smi, "#!/bin/sh\n"
                              "echo '0, NVIDIA H100 80GB HBM3, 81559, 00000000:3B:00.0'\n"
                              "echo '1, NVIDIA H100 80GB HBM3, 81559, 00000000:5E:00.0'\n") == 0);
    CHECK(chmod(smi, 0755) == 0);
    CHECK(exec_gpus_detect(&g, &n, dev, smi) == 0);
    CHECK(n == 2);
    if (n == 2) {
        CHECK_STR(g[0].name, "NVIDIA H100 80GB HBM3");
        CHECK(g[1].index == 1 && g[1].mem_mb == 81559);
    }
    /* a failing nvidia-smi falls back to the device files */
    exec_gpu *h = NULL;
    int m = -1;
    CHECK(file_write_str(smi, "#!/bin/sh\necho 'NVIDIA-SMI has failed'\nexit 9\n") == 0);
    CHECK(exec_gpus_detect(&h, &m, dev, smi) == 0 && m == 2 && !strcmp(h[0].name, "NVIDIA GPU"));
    free(h);
    char *empty = path_join(fx_base, "nodev");
    CHECK(mkdir_p(empty, 0755) == 0);
    CHECK(exec_gpus_detect(&h, &m, empty, "/nonexistent") == 0 && m == 0 && h == NULL);

    /* selection */
    exec_gpu *s = NULL;
    int k = -1;
    CHECK(exec_gpus_select(&s, &k, g, n, "1") == 0 && k == 1 && s[0].index == 1);
    free(s);
    CHECK(exec_gpus_select(&s, &k, g, n, "all") == 0 && k == 2);
    char *list = exec_gpus_list(s, k);
    CHECK_STR(list, "0,1");
    free(list);
    free(s);
    CHECK(exec_gpus_select(&s, &k, g, n, "none") == 0 && k == 0 && s == NULL);
    CHECK(exec_gpus_select(&s, &k, g, n, "0,5") < 0 && k == 0);
    CHECK_MSG(strstr(err_last(), "no GPU '5'") && strstr(err_last(), "GPUs 0,1"), "%s", err_last());
    CHECK(exec_gpus_select(&s, &k, g, n, "1,1") < 0);
    CHECK_MSG(strstr(err_last(), "twice"), "%s", err_last());
    CHECK(exec_gpus_select(&s, &k, NULL, 0, "0") < 0);
    CHECK_MSG(strstr(err_last(), "has no GPU;") != NULL, "%s",
              err_last());
    free(g);
    free(smi);
    free(empty);
    free(dev);
}

static void test_divide(void)
{
    int f, c;
    CHECK(exec_gpus_divide(4, 2, 0, 0, &f, &c) == 2 && f == 0);
    CHECK(exec_gpus_divide(4, 2, 1, 0, &f, &c) == 2 && f == 2);
    CHECK(exec_gpus_divide(3, 2, 0, 0, &f, &c) == 1 && f == 0);
    CHECK(exec_gpus_divide(3, 2, 1, 0, &f, &c) == 2 && f == 1);
    CHECK(exec_gpus_divide(8, 3, 2, 0, &f, &c) == 3 && f == 5);
    /* more parts than GPUs: none for the extra parts, unless shared */
    CHECK(exec_gpus_divide(1, 2, 0, 0, &f, &c) == 1 && f == 0);
    CHECK(exec_gpus_divide(1, 2, 1, 0, &f, &c) == 0);
    CHECK(exec_gpus_divide(2, 3, 2, 1, &f, &c) == 1 && f == 0);
    CHECK(exec_gpus_divide(0, 2, 0, 1, &f, &c) == 0);
}

/* ---- the sandbox, with device nodes made for the test ---- */

static const char *const fake_nodes[] = {"/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl"};
static int made[3];

static void remove_nodes(void)
{
    for (int i = 0; i < 3; i++)
        if (made[i] && unlink(fake_nodes[i]) == 0)
            made[i] = 0;
}

static void on_signal(int sig)
{
    remove_nodes();
    signal(sig, SIG_DFL);
    raise(sig);
}

static const char gpu_script[] =
    "import os\n"
    "print('DEVS', ' '.join(sorted(d for d in os.listdir('/dev') if d.startswith('nvidia'))))\n"
    "print('CVD', repr(os.environ.get('CUDA_VISIBLE_DEVICES')))\n";

static exec_result *done[2];

static void on_done(exec_run *run, exec_result *res, void *data)
{
    (void)run;
    done[(int)(intptr_t)data] = res;
}

static void test_sandbox(void)
{
    int minors[3] = {0, 1, 255};
    for (int i = 0; i < 3; i++) {
        if (access(fake_nodes[i], F_OK) == 0) {
            printf("SKIP sandbox part: %s exists (a real GPU machine)\n", fake_nodes[i]);
            remove_nodes();
            return;
        }
        made[i] = mknod(fake_nodes[i], S_IFCHR | 0666, makedev(195, minors[i])) == 0;
        CHECK_MSG(made[i], "mknod %s (run as root)", fake_nodes[i]);
    }
    exec_gpu *all = NULL;
    int n = 0;
    CHECK(exec_gpus_detect(&all, &n, "/dev", "/nonexistent") == 0 && n == 2);
    if (n != 2) {
        free(all);
        return;
    }
    char *ws = fx_workspace("gpu1", gpu_script);
    exec_opts o = fx_opts(ws);
    o.gpus = &all[1];
    o.n_gpus = 1;
    exec_result *r = fx_run(&o);
    if (r) {
        CHECK_MSG(strstr(r->output, "DEVS nvidia1 nvidiactl\n") != NULL, "%s", r->output);
        CHECK_MSG(strstr(r->output, "CVD '1'") != NULL, "%s", r->output);
    }
    exec_result_free(r);
    o.gpus = NULL;
    o.n_gpus = 0;
    r = fx_run(&o);
    if (r) {
        CHECK_MSG(strstr(r->output, "DEVS \n") != NULL, "%s", r->output);
        CHECK_MSG(strstr(r->output, "CVD ''") != NULL, "%s", r->output);
    }
    exec_result_free(r);
    free(ws);

    /* two runs at once, each with its half of the GPUs */
    uv_loop_t loop;
    uv_loop_init(&loop);
    for (int i = 0; i < 2; i++) {
        char name[16];
        snprintf(name, sizeof name, "pair%d", i);
        char *w = fx_workspace(name, gpu_script);
        exec_opts p = fx_opts(w);
        int first, count;
        CHECK(exec_gpus_divide(n, 2, i, 0, &first, &count) == 1);
        p.gpus = &all[first];
        p.n_gpus = count;
        exec_run *run;
        CHECK_MSG(exec_start(&run, &loop, &p, on_done, (void *)(intptr_t)i) == 0, "%s", err_last());
        free(w);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    for (int i = 0; i < 2; i++) {
        CHECK(done[i] != NULL);
        if (!done[i])
            continue;
        char want[64];
        snprintf(want, sizeof want, "DEVS nvidia%d nvidiactl\nCVD '%d'", i, i);
        CHECK_MSG(strstr(done[i]->output, want) != NULL, "run %d:\n%s", i, done[i]->output);
        exec_result_free(done[i]);
    }
    free(all);
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    test_detect();
    test_divide();
    if (fx_mode == EXEC_SANDBOX_ON && geteuid() == 0) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        atexit(remove_nodes);
        test_sandbox();
        remove_nodes();
        for (int i = 0; i < 3; i++)
            CHECK_MSG(access(fake_nodes[i], F_OK) != 0 || !made[i], "%s removed", fake_nodes[i]);
    }
    fx_cleanup();
    return check_done("exec_gpus");
}
