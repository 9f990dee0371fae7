/*
 * journal_odb.c: the object database a run's journal writes through.
 *
 * libgit2 looks an object up before it writes it (to freshen a copy that is
 * already there), and on a miss it refreshes every backend, which for the
 * pack backend means listing objects/pack, looking for a multi-pack-index
 * and loading any new pack: seven system calls for every blob, tree and
 * commit of every node, for a folder that in a run stays empty (grove
 * writes loose objects only). That was about a tenth of grove's own
 * system calls per node.
 *
 * So the journal's odb is libgit2's own two backends, loose and pack, with
 * the pack backend behind a thin wrapper whose refresh rescans only when
 * objects/pack has changed since the last scan (its inode and modification
 * time): a `git gc` or `git repack` run beside a live run adds packs, which
 * changes the folder, so they are still found. Everything else is passed
 * through unchanged. A repository with alternates keeps libgit2's default
 * odb, which knows how to read them; a run's never has any.
 */
#include "journal_odb.h"
#include "util.h"

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* libgit2's default priorities: loose objects are looked up first. */
#define LOOSE_PRIORITY 1
#define PACKED_PRIORITY 2

typedef struct lazy_pack {
    git_odb_backend parent; /* first: libgit2 hands this pointer back */
    git_odb_backend *inner; /* the pack backend, owned */
    char *folder;           /* objects/pack, owned */
    struct stat seen;       /* the folder as the last scan found it */
    int scanned;            /* whether `seen` is set */
} lazy_pack;

static git_odb_backend *inner(git_odb_backend *b)
{
    return ((lazy_pack *)b)->inner;
}

/* Whether objects/pack differs from the last scan (or cannot be read:
 * then the pack backend decides what that means). */
static int folder_changed(lazy_pack *p)
{
    struct stat st;
    if (stat(p->folder, &st) < 0)
        return 1;
    int same = p->scanned && st.st_ino == p->seen.st_ino &&
               st.st_mtim.tv_sec == p->seen.st_mtim.tv_sec &&
               st.st_mtim.tv_nsec == p->seen.st_mtim.tv_nsec;
    p->seen = st;
    p->scanned = 1;
    return !same;
}

static int lp_refresh(git_odb_backend *b)
{
    lazy_pack *p = (lazy_pack *)b;
    if (!folder_changed(p))
        return 0;
    return p->inner->refresh ? p->inner->refresh(p->inner) : 0;
}

static int lp_read(void **buf, size_t *len, git_object_t *type, git_odb_backend *b,
                   const git_oid *oid)
{
    return inner(b)->read(buf, len, type, inner(b), oid);
}

static int lp_read_prefix(git_oid *out, void **buf, size_t *len, git_object_t *type,
                          git_odb_backend *b, const git_oid *prefix, size_t n)
{
    return inner(b)->read_prefix(out, buf, len, type, inner(b), prefix, n);
}

static int lp_read_header(size_t *len, git_object_t *type, git_odb_backend *b,
                          const git_oid *oid)
{
    return inner(b)->read_header(len, type, inner(b), oid);
}

static int lp_exists(git_odb_backend *b, const git_oid *oid)
{
    return inner(b)->exists(inner(b), oid);
}

static int lp_exists_prefix(git_oid *out, git_odb_backend *b, const git_oid *prefix, size_t n)
{
    return inner(b)->exists_prefix(out, inner(b), prefix, n);
}

static int lp_foreach(git_odb_backend *b, git_odb_foreach_cb cb, void *payload)
{
    return inner(b)->foreach(inner(b), cb, payload);
}

static int lp_writepack(git_odb_writepack **out, git_odb_backend *b, git_odb *odb,
                        git_indexer_progress_cb cb, void *payload)
{
    return inner(b)->writepack(out, inner(b), odb, cb, payload);
}

static int lp_writemidx(git_odb_backend *b)
{
    return inner(b)->writemidx(inner(b));
}

static int lp_freshen(git_odb_backend *b, const git_oid *oid)
{
    return inner(b)->freshen(inner(b), oid);
}

static void lp_free(git_odb_backend *b)
{
    lazy_pack *p = (lazy_pack *)b;
    p->inner->free(p->inner);
    free(p->folder);
    free(p);
}

/* The pack backend of objects_dir behind the wrapper; NULL on error. */
static git_odb_backend *lazy_pack_new(const char *objects_dir)
{
    git_odb_backend *pack = NULL;
    if (git_odb_backend_pack(&pack, objects_dir) < 0)
        return NULL;
    lazy_pack *p = xcalloc(1, sizeof *p);
    git_odb_init_backend(&p->parent, GIT_ODB_BACKEND_VERSION);
    p->inner = pack;
    p->folder = path_join(objects_dir, "pack");
    folder_changed(p); /* git_odb_backend_pack has just scanned it */
    /* only what the pack backend offers; libgit2 checks for NULL */
    p->parent.read = pack->read ? lp_read : NULL;
    p->parent.read_prefix = pack->read_prefix ? lp_read_prefix : NULL;
    p->parent.read_header = pack->read_header ? lp_read_header : NULL;
    p->parent.exists = pack->exists ? lp_exists : NULL;
    p->parent.exists_prefix = pack->exists_prefix ? lp_exists_prefix : NULL;
    p->parent.refresh = lp_refresh;
    p->parent.foreach = pack->foreach ? lp_foreach : NULL;
    p->parent.writepack = pack->writepack ? lp_writepack : NULL;
    p->parent.writemidx = pack->writemidx ? lp_writemidx : NULL;
    p->parent.freshen = pack->freshen ? lp_freshen : NULL;
    p->parent.free = lp_free;
    return &p->parent;
}

int journal_odb_install(git_repository *repo)
{
    char *objects = path_join(git_repository_path(repo), "objects");
    char *alternates = path_join(objects, "info/alternates");
    int keep_default = file_exists(alternates);
    free(alternates);
    git_odb *odb = NULL;
    git_odb_backend *loose = NULL, *pack = NULL;
    int rc = 0;
    if (keep_default)
        goto done;
    if (git_odb_new(&odb) < 0 ||
        git_odb_backend_loose(&loose, objects, -1, 1 /* fsync */, 0, 0) < 0 ||
        git_odb_add_backend(odb, loose, LOOSE_PRIORITY) < 0) {
        rc = -1;
        goto done;
    }
    loose = NULL; /* the odb's now */
    if (!(pack = lazy_pack_new(objects)) || git_odb_add_backend(odb, pack, PACKED_PRIORITY) < 0) {
        rc = -1;
        goto done;
    }
    pack = NULL;
    rc = git_repository_set_odb(repo, odb) < 0 ? -1 : 0;
done:
    if (rc < 0) {
        const git_error *e = git_error_last();
        err_set("git: %s: cannot set up the object database: %s", objects,
                e && e->message ? e->message : "unknown error");
    }
    if (loose)
        loose->free(loose);
    if (pack)
        pack->free(pack);
    git_odb_free(odb); /* the repository holds its own reference */
    free(objects);
    return rc;
}
