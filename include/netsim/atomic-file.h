/* Output files written in full or not at all (see atomic-file.c). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

typedef struct {
    char *path, *tmp; /* tmp is NULL when written in place */
    FILE *f;          /* write here between open and commit */
    bool direct;      /* a device, FIFO or terminal, written in place */
    char *buf;        /* f's buffer (a temporary file's), freed after f is closed */
} NsAtomicFile;

/* Prepare to write `path`: a temporary file beside it (with the mode a plain
 * fopen would give it) that replaces it on commit, or, when `path` is a
 * device, a FIFO or another file that is not a regular file, `path` itself
 * opened for writing (never replaced). A symbolic link is followed. False
 * with an error naming `path` for a directory, a file the user may not
 * write, or when the file cannot be created. */
bool ns_atomic_file_open(NsAtomicFile *f, const char *path, GError **error);

/* Flush and close (unless `closed`: the caller closed f->f already) and
 * rename the file over `path` (or, while commits are held, leave that to
 * ns_atomic_files_release). On failure the temporary file is removed. */
bool ns_atomic_file_commit(NsAtomicFile *f, bool closed, GError **error);

/* Write `len` bytes to `path` as one file, in full or not at all, by the
 * rules above (g_file_set_contents would rename a file over /dev/null). */
bool ns_atomic_file_set_contents(const char *path, const char *data, size_t len,
                                 GError **error);

/* Remove the temporary file; `path` is left as it was. */
void ns_atomic_file_abort(NsAtomicFile *f);

/* Hold every commit from now on: files are written and closed, and renamed
 * over their paths only by ns_atomic_files_release(true), all together, or
 * removed by ns_atomic_files_release(false). */
void ns_atomic_files_hold(void);
bool ns_atomic_files_release(bool commit, GError **error);

/* On SIGINT, SIGTERM and SIGHUP, remove every temporary file not yet
 * renamed, then die of the signal as if not caught. */
void ns_atomic_files_cleanup_on_signals(void);

/* Do two paths name the same regular file (or, not both existing yet, the
 * same name in the same directory)? */
bool ns_atomic_file_same(const char *a, const char *b);
