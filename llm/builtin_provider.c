/*
 * builtin_provider.c: the "builtin" provider -- grove's offline coder
 * (llm/builtin/), answering from templates with no network and no key.
 *
 * Its requests may carry only a context (the competition, the parent's
 * code): it reads structure, not prose. `--model builtin` needs no part
 * after the colon.
 */
#include "llm_int.h"
#include "builtin/builtin.h"

static int builtin_setup(llm_client *c, const llm_config *cfg)
{
    (void)c;
    (void)cfg;
    return 0;
}

static int builtin_answer(llm_client *c, const llm_request *req, const char *key,
                          const char *hash, llm_response *r)
{
    (void)key;
    (void)hash;
    char *text = NULL;
    int rc = builtin_reply(req, c->seed, &text);
    r->text = text;
    if (rc == 0 && !r->text)
        r->text = xstrdup("");
    if (rc == 0)
        r->finish_reason = xstrdup("stop");
    return rc;
}

const provider provider_builtin = {
    .name = "builtin",
    .context_only = 1,
    .setup = builtin_setup,
    .body = provider_local_body,
    .price = provider_free_price,
    .answer = builtin_answer,
};
