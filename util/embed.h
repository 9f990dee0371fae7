/*
 * embed.h: files carried inside the binary (see tools/embed.c).
 */
#ifndef GROVE_EMBED_H
#define GROVE_EMBED_H

#include <stddef.h>

typedef struct embed_file {
    const char *name; /* path relative to the folder it was embedded from */
    const char *data; /* contents, NUL-terminated */
    size_t len;       /* length without the NUL */
} embed_file;

/* The entry named `name` in a table ending with a NULL name, or NULL. */
const embed_file *embed_find(const embed_file *table, const char *name);

#endif
