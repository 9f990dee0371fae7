/*
 * run_budget.c: what a run may still spend -- time, steps, money -- and
 * how that stops it.
 *
 * The time limit covers the search, the final selection's re-runs and the
 * final re-run of the chosen node on the full data (holdout mode). The
 * search keeps back a reserve for them: the best node's own run time scaled
 * to the full data, with a margin, plus the finalists' expected runs; never
 * more than a quarter of the limit, or 40% with a hidden selection. The
 * reserve moves as the best node changes, so the loop re-arms its deadline
 * on every tick.
 *
 * The cost cap stops new work gracefully (running nodes finish); a price
 * the table does not know cannot be capped, which is said once.
 */
#include "run.h"
#include "util.h"

#include <assert.h>
#include <math.h>

double run_total_left(const run_ctx *r)
{
    return r->started ? r->time_limit - (clock_mono() - r->started) : r->time_limit;
}

double run_final_estimate(const run_ctx *r, int id)
{
    const search_node *n = id >= 0 ? search_tree_node(r->tree, id) : NULL;
    if (n && n->stage == STAGE_ENSEMBLE) { /* its members re-run one after another */
        double sum = 0;
        for (int i = 0; i < n->n_members; i++)
            sum += run_final_estimate(r, n->members[i]);
        return sum;
    }
    if (!n || n->exec_time <= 0)
        return 30;
    double scale = r->split.n_train ? (double)(r->split.n_train + r->split.n_valid +
                                               r->select.n_valid) / (double)r->split.n_train
                                    : 1.25;
    return n->exec_time * scale * 1.5 + 10;
}

double run_final_reserve(const run_ctx *r)
{
    if (!r->holdout || r->cfg.final_top_k < 1)
        return 0;
    double select = run_select_reserve(r); /* the final selection's re-runs */
    double cap = r->time_limit * (select > 0 ? 0.4 : 0.25);
    double reserve = fmin(run_final_estimate(r, search_tree_best(r->tree)) + select, cap);
    assert(reserve >= 0 && reserve <= cap);
    return reserve;
}

double run_time_left(const run_ctx *r)
{
    return run_total_left(r) - run_final_reserve(r);
}

double run_budget_used(const run_ctx *r)
{
    double steps = (double)search_tree_steps(r->tree) / (r->steps > 0 ? r->steps : 1);
    double time = r->time_limit > 0 ? 1.0 - run_total_left(r) / r->time_limit : 0.0;
    return fmax(steps, time);
}

void run_check_cost(run_ctx *r)
{
    llm_usage u, f;
    long n, m = 0;
    llm_client_totals(r->coder, &u, &n);
    if (r->feedback != r->coder) {
        llm_client_totals(r->feedback, &f, &m);
        u.input_tokens += f.input_tokens;
        u.output_tokens += f.output_tokens;
        u.cached_tokens += f.cached_tokens;
        u.cache_write_tokens += f.cache_write_tokens;
        u.reasoning_tokens += f.reasoning_tokens;
        u.cost_usd += f.cost_usd;
        u.cost_known = u.cost_known && f.cost_known;
    }
    r->spent = u;
    r->n_requests = n + m;
    double cap = r->cfg.max_cost; /* 0: no cap */
    if (cap <= 0 || r->stopping != RUN_ON)
        return;
    if (!u.cost_known && !r->warned_cost) {
        r->warned_cost = 1;
        log_warn("--max-cost: the model's price is unknown (not in the price table), so the "
                 "cap cannot be enforced; add it with --prices FILE");
    }
    if (u.cost_usd >= cap) {
        run_stop_new(r, "the cost cap (--max-cost) was reached");
        printf("grove: cost $%.4f reached the cap of $%.4f: finishing running nodes\n",
               u.cost_usd, cap);
    }
}
