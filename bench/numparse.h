/*
 * numparse.h (private to bench/): decimal text to double, correctly rounded
 * like strtod, without strtod's cost on the numbers graders actually see.
 */
#ifndef GROVE_BENCH_NUMPARSE_H
#define GROVE_BENCH_NUMPARSE_H

#include <stddef.h>

/* Parse the NUL-terminated s. Blanks (space, tab) around the number are
 * allowed, anything else is not. Gives exactly strtod's double, -0.0
 * included; inf, nan and hex floats come from strtod itself. Returns 0, or -1
 * when the text is not one number. */
int num_parse(const char *s, double *out);

/* The same over s[0..len), which need not be NUL-terminated (the field
 * of a mapped file); an embedded NUL is not a number. */
int num_parse_n(const char *s, size_t len, double *out);
/* The fast cases only, for text in place: reads [blanks] number [blanks]
 * from s, no further than end, and returns where it stopped; NULL when the
 * text there is no number of the simple shapes, or one only strtod rounds
 * (then give the whole field to num_parse_n). */
const char *num_scan(const char *s, const char *end, double *out);
/* A quick reading of the one shape most probabilities are written in,
 * "0." and digits (at most 18 after any zeros that follow the point), for
 * values that only feed a sum: *out is within 2 ulp of the correctly
 * rounded value, not always equal to it. Returns where the digits stop
 * (the caller checks a delimiter follows); NULL for any other shape or
 * when fewer than 34 bytes remain before end (then use num_scan). Every
 * text it takes is a value in [0, 1) exactly, so range checks on *out
 * agree with those on the exact value. */
const char *num_scan_frac(const char *s, const char *end, double *out);

/* The canonical spelling of an integer literal as pandas' C parser takes it
 * (blanks around, a sign, digits) into out (at most strlen(s) + 1 bytes,
 * out may be s); 0, or -1 when s is no such literal. */
int num_int_canon(const char *s, char *out);

#endif
