/*
 * fuzz_main.c: a standalone driver for libFuzzer-style targets, so every fuzz
 * target also runs as an ordinary test under gcc and the sanitizers.
 *
 *   fuzz_x [FILE|DIR]...
 *
 * Feeds each file (folders are read one level deep) to LLVMFuzzerTestOneInput,
 * then 2000 pseudo-random mutations of them with a fixed seed (byte flips,
 * inserts, deletes, truncations, splices), so a regression shows up in CI
 * without a coverage-guided fuzzer. GROVE_FUZZ_ROUNDS and GROVE_FUZZ_SEED
 * (environment) run more mutations, or others, by hand. With clang, build the
 * same target with -fsanitize=fuzzer for real fuzzing.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct { uint8_t *data; size_t len; } input;

static input *inputs;
static size_t n_inputs;

static void add_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    input in = {NULL, 0};
    size_t cap = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (in.len + 1 > cap) {
            cap = cap ? cap * 2 : 256;
            in.data = realloc(in.data, cap);
        }
        in.data[in.len++] = (uint8_t)c;
    }
    fclose(f);
    inputs = realloc(inputs, (n_inputs + 1) * sizeof *inputs);
    inputs[n_inputs++] = in;
}

static void add_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        add_file(path);
        return;
    }
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char buf[4096];
        snprintf(buf, sizeof buf, "%s/%s", path, e->d_name);
        add_file(buf);
    }
    if (d)
        closedir(d);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        add_path(argv[i]);
    const char *env = getenv("GROVE_FUZZ_ROUNDS");
    long rounds = env ? strtol(env, NULL, 10) : 2000;
    if ((env = getenv("GROVE_FUZZ_SEED")) && strtoull(env, NULL, 10))
        rng = strtoull(env, NULL, 10);
    for (size_t i = 0; i < n_inputs; i++)
        LLVMFuzzerTestOneInput(inputs[i].data ? inputs[i].data : (const uint8_t *)"", inputs[i].len);
    static const char interesting[] = "\"\n\r,{}[]`\\\0\xff\xef\xbb\xbf" "0-.eE:";
    for (long round = 0; round < rounds; round++) {
        input base = n_inputs ? inputs[next() % n_inputs] : (input){NULL, 0};
        size_t len = base.len + 16;
        uint8_t *buf = malloc(len + 1);
        if (base.len)
            memcpy(buf, base.data, base.len);
        size_t n = base.len;
        int edits = 1 + (int)(next() % 8);
        for (int e = 0; e < edits; e++) {
            switch (next() % 5) {
            case 0: if (n) buf[next() % n] ^= (uint8_t)(1u << (next() % 8)); break;
            case 1: if (n) buf[next() % n] = (uint8_t)interesting[next() % (sizeof interesting - 1)]; break;
            case 2: if (n < len) { size_t at = n ? next() % n : 0; memmove(buf + at + 1, buf + at, n - at);
                        buf[at] = (uint8_t)interesting[next() % (sizeof interesting - 1)]; n++; } break;
            case 3: if (n) { size_t at = next() % n; memmove(buf + at, buf + at + 1, n - at - 1); n--; } break;
            case 4: if (n) n = next() % n; break;
            }
        }
        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
    }
    for (size_t i = 0; i < n_inputs; i++)
        free(inputs[i].data);
    free(inputs);
    printf("fuzz: %zu corpus inputs + %ld mutations, no crash\n", n_inputs, rounds);
    return 0;
}
