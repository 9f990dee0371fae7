/*
 * preview.h: a bounded text preview of a competition's data folder for the
 * prompts: the file tree with sizes, and per CSV its shape, columns, types,
 * missing counts and sample values; heads of text and JSON files.
 */
#ifndef GROVE_PREVIEW_H
#define GROVE_PREVIEW_H

#include <stddef.h>

/* Preview of folder `dir`, at most max_chars long (0: 6000). Caller frees.
 * Never fails: an unreadable file is described as such. */
char *preview_dir(const char *dir, size_t max_chars);

#endif
