/* Helpers shared by the trace sinks: atomic output files and the small
 * renderings (endpoints, protocol and ICMP names) that sinks agree on. */
#include "trace-private.h"

#include <errno.h>

#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"

bool trace_file_open(TraceFile *tf, const char *path, GError **error)
{
    *tf = (TraceFile){0};
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

bool trace_file_commit(TraceFile *tf, bool closed, GError **error)
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

void trace_file_abort(TraceFile *tf)
{
    if (tf->f)
        fclose(tf->f);
    tf->f = NULL;
    if (tf->tmp)
        g_unlink(tf->tmp);
    g_clear_pointer(&tf->tmp, g_free);
    g_clear_pointer(&tf->path, g_free);
}

void trace_append_endpoint(GString *s, uint32_t addr, uint16_t port, bool with_port)
{
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(addr, a);
    if (with_port)
        g_string_append_printf(s, "%s:%u", a, port);
    else
        g_string_append(s, a);
}

bool trace_has_ports(uint8_t proto)
{
    return proto == NS_IPPROTO_UDP || proto == NS_IPPROTO_TCP;
}

const char *trace_proto_name(uint8_t proto)
{
    switch (proto) {
    case NS_IPPROTO_UDP:
        return "udp";
    case NS_IPPROTO_TCP:
        return "tcp";
    case NS_IPPROTO_ICMP:
        return "icmp";
    default:
        return NULL;
    }
}

const char *trace_icmp_name(uint8_t type, uint8_t code)
{
    switch (type) {
    case NS_ICMP_ECHO_REQUEST:
        return "echo request";
    case NS_ICMP_ECHO_REPLY:
        return "echo reply";
    case NS_ICMP_TIME_EXCEEDED:
        return "time exceeded";
    case NS_ICMP_DEST_UNREACH:
        switch (code) {
        case NS_ICMP_UNREACH_NET:
            return "net unreachable";
        case NS_ICMP_UNREACH_HOST:
            return "host unreachable";
        case NS_ICMP_UNREACH_PROTOCOL:
            return "protocol unreachable";
        case NS_ICMP_UNREACH_PORT:
            return "port unreachable";
        case NS_ICMP_UNREACH_FRAG_NEEDED:
            return "fragmentation needed";
        default:
            return "destination unreachable";
        }
    default:
        return "message";
    }
}

const char *trace_errno_text(int err, char buf[24])
{
    const char *n = ns_errno_name(err);
    if (n)
        return n;
    g_snprintf(buf, 24, "errno %d", err);
    return buf;
}
