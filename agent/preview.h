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

/* What kind of data a competition holds, for coders that choose a model
 * family by it: "image" (a folder of image files), "text" (a CSV column of
 * long free text in train_file), else "tabular". Static string. */
const char *preview_modality(const char *dir, const char *train_file);

#endif
