/*
 * builtin.h (private to llm/): the offline builtin coder.
 *
 * Not an LLM: it writes real Python solution scripts from grove's own
 * templates and the competition's structured description carried in the
 * request's context ({"action": "draft|improve|debug|review", "competition":
 * {...}, "parent_code": ..., "exception": ..., ...}). Its reply is text shaped
 * like an LLM's (a plan, then one fenced python block; for "review", one JSON
 * object), so it goes through the same parsing, execution and scoring path.
 */
#ifndef GROVE_LLM_BUILTIN_H
#define GROVE_LLM_BUILTIN_H

#include "llm.h"

/* Produce the reply for req. *text is owned by the caller. < 0 with
 * err_last() when the context lacks what the coder needs. */
int builtin_reply(const llm_request *req, unsigned long seed, char **text);

#endif
