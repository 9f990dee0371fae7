/*
 * fuzz_libfuzzer.c: the driver of every fuzz target in a libFuzzer build
 * (meson setup build-fuzz -Dfuzzer=true with CC=clang; see
 * tests/meson.build). It takes the place of fuzz_main.c, so each target's
 * meson test runs coverage-guided fuzzing for a bounded time instead of the
 * fixed mutations:
 *
 *   fuzz_x CORPUS_DIR...        (as meson test calls it)
 *
 * becomes libFuzzer's
 *
 *   fuzz_x -max_total_time=S -timeout=10 -rss_limit_mb=2048
 *          -artifact_prefix=OUT/fuzz_x- OUT/fuzz_x.corpus CORPUS_DIR...
 *
 * S is GROVE_FUZZ_SECONDS (default 10); OUT is GROVE_FUZZ_OUT (default
 * ./fuzz-out, relative to the test's working folder, the build folder). New
 * inputs libFuzzer finds go into OUT/fuzz_x.corpus, never into the committed
 * corpus; a crash leaves OUT/fuzz_x-crash-<sha1>, which becomes a corpus entry
 * (and so a test of the ordinary build) once its bug is fixed. Arguments that
 * start with '-' are passed through, so libFuzzer's own flags still work by
 * hand (fuzz_x -help=1, fuzz_x -runs=0 CRASHFILE).
 *
 * libFuzzer's main is not linked (libclang_rt.fuzzer_no_main): this file
 * calls LLVMFuzzerRunDriver, libFuzzer's entry for programs with their own
 * main (LLVM 11 and later).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*cb)(const uint8_t *data, size_t size));

static char *fmt(const char *f, const char *a, const char *b)
{
    size_t n = strlen(f) + strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (!s)
        abort();
    snprintf(s, n, f, a, b);
    return s;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "fuzz: cannot create %s: %s\n", path, strerror(errno));
    return -1;
}

int main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    const char *secs = getenv("GROVE_FUZZ_SECONDS");
    const char *out = getenv("GROVE_FUZZ_OUT");
    if (!secs || !*secs)
        secs = "10";
    if (!out || !*out)
        out = "fuzz-out";
    char *corpus = fmt("%s/%s.corpus", out, name);
    if (make_dir(out) || make_dir(corpus))
        return 2;

    /* argv[0], six flags, the output corpus, then the caller's arguments
     * (flags first is what libFuzzer expects; it reads folders in order and
     * writes new inputs into the first). */
    char **av = calloc((size_t)argc + 8, sizeof *av);
    int ac = 0;
    av[ac++] = argv[0];
    av[ac++] = fmt("-max_total_time=%s%s", secs, "");
    av[ac++] = "-timeout=10";
    av[ac++] = "-error_exitcode=1"; /* libFuzzer says 77, which meson counts as a skip */
    av[ac++] = "-rss_limit_mb=2048";
    av[ac++] = "-print_final_stats=1";
    av[ac++] = fmt("-artifact_prefix=%s/%s-", out, name);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-')
            av[ac++] = argv[i];
    av[ac++] = corpus;
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-')
            av[ac++] = argv[i];
    av[ac] = NULL;
    fprintf(stderr, "fuzz: %s for %s s, new inputs in %s\n", name, secs, corpus);
    return LLVMFuzzerRunDriver(&ac, &av, LLVMFuzzerTestOneInput);
}
