/* Output files written in full or not at all (see atomic-file.c). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

typedef struct {
    char *path, *tmp;
    FILE *f; /* write here between open and commit */
} NsAtomicFile;

/* Create a temporary file beside `path` (with the mode a plain fopen would
 * give it). False with an error naming `path` when that fails. */
bool ns_atomic_file_open(NsAtomicFile *f, const char *path, GError **error);

/* Flush and close (unless `closed`: the caller closed f->f already) and
 * rename the file over `path`. On failure the temporary file is removed. */
bool ns_atomic_file_commit(NsAtomicFile *f, bool closed, GError **error);

/* Remove the temporary file; `path` is left as it was. */
void ns_atomic_file_abort(NsAtomicFile *f);
