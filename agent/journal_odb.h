/*
 * journal_odb.h: the journal's object database (journal_odb.c), for
 * journal.c only.
 */
#ifndef GROVE_JOURNAL_ODB_H
#define GROVE_JOURNAL_ODB_H

#include <git2.h>

/* Give repo an odb whose pack backend rescans objects/pack only when that
 * folder changed (see journal_odb.c). 0, or < 0 with err_last(); on error
 * the repository keeps libgit2's default odb, which works, only slower. */
int journal_odb_install(git_repository *repo);

#endif
