/*
 * prompts_int.h: what prompts.c needs from template.c (private to prompts/).
 */
#ifndef GROVE_PROMPTS_INT_H
#define GROVE_PROMPTS_INT_H

#include "prompts.h"

/* Check a template's syntax only (tags well formed, sections balanced);
 * 0 or < 0 with err_last() naming `source` and the line. */
int template_validate(const char *tmpl, const char *source);

#endif
