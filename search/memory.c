/*
 * memory.c: a bounded summary of earlier attempts, for the prompts.
 *
 * AIDE pastes every good node into every prompt, so prompts grow with the
 * run. Here the summary has a hard size limit and chooses what to keep:
 * entries are taken alternately from the good nodes ranked best first and
 * from the good nodes newest first (so both the strongest ideas and the
 * latest direction survive), then, space allowing, short notes on the most
 * recent failures (exception type and reason), so the LLM does not repeat
 * them. An entry is added whole or not at all. The chosen good nodes are
 * printed best first, each with its id and score; failures follow.
 *
 * A prompt costs the same at 10,000 nodes as at 100: only the best and the
 * newest max_chars / MIN_ENTRY good nodes can be candidates (no more could
 * fit), the best found in one pass, and the look for a candidate that still
 * fits ends after MAX_MISSES in a row that did not (so does the look for
 * failures: with the good ones filling the room, it would format every
 * failure of the run, only to find none fits).
 *
 * A debug step gets its own, narrower memory (search_memory_failures): the
 * failures along the node's line, its parent first and then up the
 * ancestors, so the model sees what the earlier fixes of this same script
 * already tried. It is bounded the same way: whole entries, nearest first,
 * until the next one would not fit.
 */
#include "search.h"
#include "util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_CHARS 240   /* one plan summary line */
#define NOTE_CHARS 160   /* a review summary or a failure reason */
#define MAX_FAILURES 5   /* failure notes are a hint, not a history */

static void good_entry(sb *out, const search_node *n)
{
    char *plan = search_plan_summary(n->plan, PLAN_CHARS);
    sb_printf(out, "- node %d (%s", n->id, search_stage_name(n->stage));
    if (n->parent >= 0)
        sb_printf(out, " of %d", n->parent);
    sb_printf(out, "), score %.6g: %s\n", n->score, *plan ? plan : "(no plan)");
    if (n->summary && *n->summary) {
        char *note = search_plan_summary(n->summary, NOTE_CHARS);
        sb_printf(out, "  outcome: %s\n", note);
        free(note);
    }
    free(plan);
}

static void failure_entry(sb *out, const search_node *n)
{
    char *plan = search_plan_summary(n->plan, NOTE_CHARS);
    char *why = search_plan_summary(n->bug_reason, NOTE_CHARS);
    sb_printf(out, "- node %d (%s): failed", n->id, search_stage_name(n->stage));
    if (n->exc_type && *n->exc_type)
        sb_printf(out, " with %s", n->exc_type);
    if (*why)
        sb_printf(out, " (%s)", why);
    sb_printf(out, "; tried: %s\n", *plan ? plan : "(no plan)");
    free(plan);
    free(why);
}

/* A done node's entry: good_entry's for a good node, failure_entry's for a
 * buggy one. Made once and kept on the node (n->memo): a large tree's
 * prompts list the same nodes again and again, and formatting them was most
 * of a prompt's cost. */
static const char *entry_of(const search_tree *t, int id)
{
    search_node *n = search_tree_node(t, id);
    assert(n && n->state == NODE_DONE);
    if (!n->memo) {
        sb e = {0};
        if (n->is_buggy)
            failure_entry(&e, n);
        else
            good_entry(&e, n);
        n->memo = sb_steal(&e);
    }
    return n->memo;
}

/* The smallest a good entry can be ("- node 0 (draft), score 0: x\n" is
 * 29 bytes): no summary of max_chars holds more than max_chars / MIN_ENTRY
 * of them, so no more candidates than that are ever needed. */
#define MIN_ENTRY 24
/* Candidates in a row that did not fit, after which the summary is full:
 * without this stop, every good node of a large tree would be formatted
 * for every prompt, only to be found too long. */
#define MAX_MISSES 32

/* The good nodes in the order they are considered for the summary:
 * alternately the next best and the next newest not yet taken, from the
 * `cap` best (search_tree_ranked: one pass, ties to the earlier node) and
 * the `cap` newest. Fills ids[] (room for 2 * cap) and returns the count. */
static size_t priority_order(const search_tree *t, int *ids, size_t cap)
{
    size_t n = search_tree_count(t);
    int *ranked = xmalloc(cap * sizeof *ranked);
    size_t max_id = n ? (size_t)search_tree_at(t, n - 1)->id : 0; /* nodes are in id order */
    char *taken = xcalloc(max_id + 1, 1);
    size_t k = search_tree_ranked(t, ranked, cap), m = 0, bi = 0, ri = n, newest = 0;
    while (bi < k || (ri > 0 && newest < cap)) {
        while (bi < k && taken[ranked[bi]])
            bi++;
        if (bi < k) {
            taken[ranked[bi]] = 1;
            ids[m++] = ranked[bi];
        }
        const search_node *nn = NULL;
        while (ri > 0 && (nn = search_tree_at(t, ri - 1)) &&
               (taken[nn->id] || !search_node_has_script(nn)))
            ri--;
        if (ri > 0 && newest < cap) {
            taken[nn->id] = 1;
            ids[m++] = nn->id;
            newest++;
        }
    }
    free(taken);
    free(ranked);
    return m;
}

/* Append `entry` to `out` when the result stays within max; 1 if it did. */
static int fits(sb *out, const char *entry, size_t max)
{
    size_t len = strlen(entry);
    if (out->len + len > max)
        return 0;
    sb_append(out, entry, len);
    return 1;
}

static int by_score(const search_tree *t, const int *a, const int *b)
{
    const search_node *x = search_tree_node(t, *a), *y = search_tree_node(t, *b);
    if (search_score_better(t, x->score, y->score))
        return -1;
    if (search_score_better(t, y->score, x->score))
        return 1;
    return *a < *b ? -1 : *a > *b;
}

/* Choose which good nodes fit (in priority order), then print them best
 * first. Returns the number printed. */
static size_t add_good(sb *out, const search_tree *t, size_t max)
{
    size_t n = search_tree_count(t);
    size_t cap = max / MIN_ENTRY + 1;
    if (cap > n)
        cap = n ? n : 1;
    int *order = xmalloc(2 * cap * sizeof *order);
    size_t k = priority_order(t, order, cap), chosen = 0, misses = 0;
    size_t budget = out->len;
    for (size_t i = 0; i < k && budget + MIN_ENTRY <= max && misses < MAX_MISSES; i++) {
        size_t len = strlen(entry_of(t, order[i]));
        if (budget + len <= max) {
            budget += len;
            order[chosen++] = order[i];
            misses = 0;
        } else {
            misses++;
        }
    }
    /* Insertion sort of the chosen few into best-first order for printing. */
    for (size_t i = 1; i < chosen; i++)
        for (size_t j = i; j > 0 && by_score(t, &order[j], &order[j - 1]) < 0; j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    for (size_t i = 0; i < chosen; i++)
        fits(out, entry_of(t, order[i]), max);
    free(order);
    return chosen;
}

static size_t add_failures(sb *out, const search_tree *t, size_t max)
{
    size_t added = 0, misses = 0;
    for (size_t i = search_tree_count(t); i > 0 && added < MAX_FAILURES && misses < MAX_MISSES;
         i--) {
        const search_node *n = search_tree_at(t, i - 1);
        if (n->state != NODE_DONE || !n->is_buggy)
            continue;
        int fit = fits(out, entry_of(t, n->id), max);
        added += fit;
        misses = fit ? 0 : misses + 1;
    }
    return added;
}

char *search_memory(const search_tree *t, size_t max_chars)
{
    sb out = {0};
    const char *good_head = search_tree_lower_is_better(t)
        ? "Earlier working solutions (best first; lower score is better):\n"
        : "Earlier working solutions (best first; higher score is better):\n";
    static const char fail_head[] = "Earlier attempts that failed (most recent first):\n";

    sb_puts(&out, good_head);
    if (add_good(&out, t, max_chars) == 0)
        sb_reset(&out);
    size_t mark = out.len;
    sb_puts(&out, out.len ? "\n" : "");
    sb_puts(&out, fail_head);
    if (out.len > max_chars || add_failures(&out, t, max_chars) == 0) {
        out.len = mark;
        if (out.buf)
            out.buf[mark] = 0;
    }
    if (!out.buf)
        return xstrdup("");
    return sb_steal(&out);
}

char *search_memory_failures(const search_tree *t, int id, size_t max_chars)
{
    static const char head[] =
        "Earlier failures on this line (the parent first, then its ancestors):\n";
    const search_node *n = search_tree_node(t, id);
    sb out = {0};
    sb_puts(&out, head);
    size_t added = 0;
    for (int p = n ? n->parent : -1; p >= 0;) {
        const search_node *a = search_tree_node(t, p);
        if (!a)
            break;
        if (a->state == NODE_DONE && a->is_buggy) {
            if (!fits(&out, entry_of(t, a->id), max_chars))
                break;
            added++;
        }
        p = a->parent;
    }
    if (!added) {
        sb_free(&out);
        return xstrdup("");
    }
    return sb_steal(&out);
}
