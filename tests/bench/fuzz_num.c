/*
 * fuzz_num.c: differential fuzz target for the grader's number parser. For
 * any text, num_parse must accept exactly what the strtod rule accepts
 * (blanks around one number) and give the same double, bit for bit.
 */
#include "numparse.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int reference(const char *s, double *out)
{
    char *end;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return -1;
    *out = strtod(s, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    return *end ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xstrndup((const char *)data, size); /* stops at an embedded NUL */
    double a = 0, b = 0;
    int ra = num_parse(s, &a), rb = reference(s, &b);
    if (ra != rb || (ra == 0 && memcmp(&a, &b, sizeof a) != 0 && !(isnan(a) && isnan(b))))
        abort();
    /* the same text in place (not NUL-terminated) and the fast in-place scan */
    double c = 0, d = 0;
    size_t len = strlen(s);
    int rc = num_parse_n((const char *)data, len, &c);
    const char *stop = num_scan((const char *)data, (const char *)data + len, &d);
    if (rc != ra || (rc == 0 && memcmp(&a, &c, sizeof a) != 0 && !(isnan(a) && isnan(c))))
        abort();
    if (stop == (const char *)data + len && (ra != 0 || memcmp(&a, &d, sizeof a) != 0))
        abort();
    free(s);
    return 0;
}
