/* Output files written in full or not at all: a temporary file beside the
 * target, renamed over it only on commit (rename is atomic on POSIX), so a
 * failed run never leaves a half-written trace, capture or diagram. */
#include "netsim/atomic-file.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

bool ns_atomic_file_open(NsAtomicFile *tf, const char *path, GError **error)
{
    *tf = (NsAtomicFile){0};
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    int fd = g_mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                    g_strerror(e));
        return false;
    }
    /* mkstemp creates the file 0600; give it the mode a plain fopen would. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        close(fd);
        g_unlink(tmp);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                    g_strerror(e));
        return false;
    }
    tf->path = g_strdup(path);
    tf->tmp = g_steal_pointer(&tmp);
    tf->f = f;
    return true;
}

bool ns_atomic_file_commit(NsAtomicFile *tf, bool closed, GError **error)
{
    bool ok = true;
    int e = 0;
    if (!closed && tf->f) {
        ok = fflush(tf->f) == 0 && !ferror(tf->f);
        e = errno;
        if (fclose(tf->f) != 0 && ok) {
            ok = false;
            e = errno;
        }
    }
    tf->f = NULL;
    if (ok && g_rename(tf->tmp, tf->path) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", tf->path,
                    g_strerror(e ? e : EIO));
        g_unlink(tf->tmp);
    }
    g_clear_pointer(&tf->tmp, g_free);
    g_clear_pointer(&tf->path, g_free);
    return ok;
}

void ns_atomic_file_abort(NsAtomicFile *tf)
{
    if (tf->f)
        fclose(tf->f);
    tf->f = NULL;
    if (tf->tmp)
        g_unlink(tf->tmp);
    g_clear_pointer(&tf->tmp, g_free);
    g_clear_pointer(&tf->path, g_free);
}

