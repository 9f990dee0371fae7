/*
 * test_numparse.c: the grader's number parser gives strtod's double, bit for
 * bit, on the number shapes models write (%.17g probabilities, fixed and
 * exponent forms, long digit strings, exact ties between two doubles) and
 * rejects what the strtod rule rejects.
 */
#include "check.h"
#include "numparse.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
    rng_state ^= rng_state << 13; /* xorshift64 */
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int mismatches;

/* One text: num_parse agrees with strtod (no blanks in these texts). */
static void same(const char *s)
{
    char *end;
    double want = strtod(s, &end), got = 0;
    int ok = num_parse(s, &got) == 0;
    /* in place, as the fast row parser reads it: followed by a comma, no NUL */
    size_t len = strlen(s);
    char *field = malloc(len + 2);
    memcpy(field, s, len);
    memcpy(field + len, ",9", 2);
    double n_got = 0, scan_got = 0;
    int n_ok = num_parse_n(field, len, &n_got) == 0;
    const char *stop = num_scan(field, field + len + 2, &scan_got);
    if (n_ok != ok || (ok && memcmp(&got, &n_got, sizeof got) != 0) ||
        (stop == field + len && (!ok || memcmp(&got, &scan_got, sizeof got) != 0)))
        ok = -1; /* the three entry points disagree */
    free(field);
    if (ok != (*s && !*end) || (ok && memcmp(&got, &want, sizeof got) != 0)) {
        if (mismatches++ < 10)
            fprintf(stderr, "'%s': num_parse %s %.17g, strtod %.17g\n", s,
                    ok ? "gives" : "rejects", got, want);
    }
}

static double random_double(void)
{
    double mag[] = {1, 1e-3, 1e-8, 1e-15, 1e3, 1e8, 1e17, 1e-30};
    double u = (double)(next() >> 11) / 9007199254740992.0;
    return u * mag[next() % 8] * (next() & 1 ? 1 : -1);
}

static void random_formats(int n)
{
    char buf[128];
    for (int i = 0; i < n; i++) {
        double x = random_double();
        int prec = 1 + (int)(next() % 20);
        switch (next() % 3) {
        case 0: snprintf(buf, sizeof buf, "%.*g", prec, x); break;
        case 1: snprintf(buf, sizeof buf, "%.*f", prec, x); break;
        default: snprintf(buf, sizeof buf, "%.*e", prec, x); break;
        }
        same(buf);
    }
}

/* Random digit strings with a random point and exponent: hits every branch,
 * including more than 19 digits and exponents beyond the fast paths. */
static void random_digits(int n)
{
    char buf[64];
    for (int i = 0; i < n; i++) {
        size_t len = 1 + next() % 22, at = next() % (len + 1), o = 0;
        for (size_t j = 0; j < len; j++) {
            if (j == at)
                buf[o++] = '.';
            buf[o++] = (char)('0' + next() % 10);
        }
        if (next() % 3 == 0)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "e%d", (int)(next() % 80) - 40);
        buf[o] = 0;
        same(buf);
    }
}

/* num_scan_frac on "0." + zeros + digits, padded to its 34-byte minimum:
 * within 2 ulp of strtod when it takes the text, and it takes exactly the
 * shape it promises (up to 18 digits after 0 to 7 zeros). */
static void frac_case(int zeros, int digits)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "0.%.*s", zeros, "00000000");
    for (int i = 0; i < digits; i++)
        buf[n++] = (char)(i ? '0' + next() % 10 : '1' + next() % 9); /* zeros: as told */
    buf[n] = 0;
    double want = strtod(buf, NULL), got = -1;
    memset(buf + n, ',', sizeof buf - (size_t)n); /* what follows a field */
    const char *stop = num_scan_frac(buf, buf + sizeof buf, &got);
    int takes = zeros < 8 && digits <= 18;
    if (!takes || digits == 0) {
        /* "0.0000 0000..." and longer digit runs are num_scan's */
        CHECK(stop == NULL || (digits == 0 && zeros < 8 && got == 0));
        return;
    }
    double ulp = nextafter(want, 2) - want;
    if (!stop || stop != buf + n || !(fabs(got - want) <= 2 * ulp) || !(got >= 0 && got < 1))
        CHECK_MSG(0, "num_scan_frac: %.*s gave %.17g, want %.17g", n, buf, got, want);
}

static void frac_cases(void)
{
    for (int zeros = 0; zeros <= 9; zeros++)
        for (int digits = 0; digits <= 20; digits++)
            for (int rep = 0; rep < 2000; rep++)
                frac_case(zeros, digits);
    double v;
    char shapes[][40] = {"1.5,", "-0.5,", " 0.5,", "0,5,", ".5,"};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        size_t n = strlen(shapes[i]);
        memset(shapes[i] + n, ',', sizeof shapes[i] - n);
        CHECK(num_scan_frac(shapes[i], shapes[i] + sizeof shapes[i], &v) == NULL);
    }
    const char *tail = "0.125,";
    CHECK(num_scan_frac(tail, tail + strlen(tail), &v) == NULL); /* too near the end */
    char e[40] = "0.5e-3";
    memset(e + 6, ',', sizeof e - 6);
    CHECK(num_scan_frac(e, e + sizeof e, &v) == e + 3); /* stops at the e */
}

int main(void)
{
    /* exact ties: 2^54 + 2 and 2^54 + 6 lie halfway between two doubles; the
     * first rounds down to the even mantissa, the second up */
    const char *fixed[] = {
        "18014398509481986.0", "18014398509481990.0", "18014398509481985.9",
        "18014398509481986.1", "0.13093175414540362", "0.9999999999999999",
        "1.0000000000000002", "9007199254740993", "9007199254740993.0",
        "1e-27", "1e-28", "9999999999999999999e-27", "9999999999999999999",
        "99999999999999999999", "0", "-0", "-0.0", "+.5", "5.", ".", "-", "",
        "1e", "1e+", "1.5x", "0x1p-3", "inf", "-nan", "1e400", "1e-400",
        "00000000000000000000000001.5", "0.000000000000000000000000000000123",
        "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        same(fixed[i]);
    double v = 1;
    CHECK(num_parse(" \t0.25\t ", &v) == 0 && v == 0.25);
    CHECK(num_parse("  ", &v) < 0);
    CHECK(num_parse("0.25 1", &v) < 0);
    CHECK(num_parse("-0", &v) == 0 && v == 0 && signbit(v));
    random_formats(300000);
    random_digits(300000);
    frac_cases();
    CHECK_MSG(mismatches == 0, "%d texts parsed unlike strtod", mismatches);
    return check_done("numparse");
}
