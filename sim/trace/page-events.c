/* The page's events in binary form (see page.c): the objects the JSON
 * trace writes, each as the number of its shape and its values, shapes and
 * strings defined where they first appear. A browser rebuilds 100,000 of
 * them many times faster than it parses the same JSON text, and the
 * repeated strings (addresses, flags, explanations) are written once.
 *
 *   record  := varint 0, shape           (defines the next shape number, from 1)
 *            | varint S, value...        (an event of shape S: a value per field)
 *   shape   := varint N, N x (varint length, name bytes, type byte)
 *   types   'i' an integer: zigzag LEB128 varint
 *           's' a string, 'j' JSON text (an array, a fraction, a null)
 *           't' true, 'f' false (no value: the shape says it)
 *   string  := varint 0, varint length, UTF-8   (a new string, numbered from 0)
 *            | varint 1, varint length, UTF-8   (not kept in the table)
 *            | varint K >= 2                    (the table's string K - 2)
 *
 * A member of a nested object is one field named "outer.inner" (JSON
 * names have no dots). Strings enter the table until it holds
 * NS_PAGE_STRINGS_MAX bytes; later new strings are written in full each
 * time. */
#include "trace-private.h"

#include <string.h>

#include "netsim/json-lib.h"
#include "netsim/trace-page.h"

struct NsPageEncoder {
    GHashTable *shapes;  /* signature -> shape number */
    GHashTable *strings; /* string -> its number */
    size_t string_bytes; /* in the table */
    GString *sig;        /* the event's shape, as names and types */
    GString *vals;       /* its values */
    uint32_t n_fields;
};

NsPageEncoder *ns_page_encoder_new(void)
{
    NsPageEncoder *e = g_new0(NsPageEncoder, 1);
    e->shapes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    e->strings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    e->sig = g_string_new(NULL);
    e->vals = g_string_new(NULL);
    return e;
}

void ns_page_encoder_free(NsPageEncoder *e)
{
    if (!e)
        return;
    g_hash_table_destroy(e->shapes);
    g_hash_table_destroy(e->strings);
    g_string_free(e->sig, TRUE);
    g_string_free(e->vals, TRUE);
    g_free(e);
}

static void put_varint(GString *out, uint64_t v)
{
    while (v >= 0x80) {
        g_string_append_c(out, (char)(0x80 | (v & 0x7f)));
        v >>= 7;
    }
    g_string_append_c(out, (char)v);
}

static void put_bytes(GString *out, const char *s, size_t len)
{
    put_varint(out, len);
    g_string_append_len(out, s, (gssize)len);
}

void ns_page_encoder_begin(NsPageEncoder *e)
{
    g_string_truncate(e->sig, 0);
    g_string_truncate(e->vals, 0);
    e->n_fields = 0;
}

/* The field's name and type into the shape's signature: the name, \x01
 * and the type (the trace's names are words). */
static void field(NsPageEncoder *e, const char *prefix, const char *name, char type)
{
    if (prefix) {
        g_string_append(e->sig, prefix);
        g_string_append_c(e->sig, '.');
    }
    g_string_append(e->sig, name);
    g_string_append_c(e->sig, '\x01');
    g_string_append_c(e->sig, type);
    e->n_fields++;
}

static void put_string(NsPageEncoder *e, const char *s, size_t len)
{
    gpointer id;
    if (g_hash_table_lookup_extended(e->strings, s, NULL, &id)) {
        put_varint(e->vals, 2 + (uint64_t)GPOINTER_TO_UINT(id));
        return;
    }
    if (e->string_bytes + len > NS_PAGE_STRINGS_MAX) {
        put_varint(e->vals, 1);
        put_bytes(e->vals, s, len);
        return;
    }
    g_hash_table_insert(e->strings, g_strndup(s, len),
                        GUINT_TO_POINTER(g_hash_table_size(e->strings)));
    e->string_bytes += len;
    put_varint(e->vals, 0);
    put_bytes(e->vals, s, len);
}

void ns_page_encoder_int(NsPageEncoder *e, const char *prefix, const char *name, int64_t v)
{
    field(e, prefix, name, 'i');
    put_varint(e->vals, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void ns_page_encoder_string(NsPageEncoder *e, const char *prefix, const char *name,
                            const char *s)
{
    field(e, prefix, name, 's');
    put_string(e, s, strlen(s));
}

void ns_page_encoder_json(NsPageEncoder *e, const char *prefix, const char *name,
                          const char *json, size_t len)
{
    field(e, prefix, name, 'j');
    put_string(e, json, len);
}

void ns_page_encoder_bool(NsPageEncoder *e, const char *prefix, const char *name, bool v)
{
    field(e, prefix, name, v ? 't' : 'f');
}

/* The members of `o` in their order; an object's members as
 * "name.member" (one level is all the JSON trace nests). */
static void put_object(NsPageEncoder *e, const char *prefix, JsonObject *o)
{
    JsonObjectIter it;
    const char *name;
    JsonNode *node;
    json_object_iter_init_ordered(&it, o);
    while (json_object_iter_next_ordered(&it, &name, &node)) {
        GType t = json_node_get_value_type(node);
        if (JSON_NODE_HOLDS_OBJECT(node) && !prefix) {
            put_object(e, name, json_node_get_object(node));
        } else if (JSON_NODE_HOLDS_VALUE(node) && t == G_TYPE_INT64) {
            ns_page_encoder_int(e, prefix, name, json_node_get_int(node));
        } else if (JSON_NODE_HOLDS_VALUE(node) && t == G_TYPE_STRING) {
            ns_page_encoder_string(e, prefix, name, json_node_get_string(node));
        } else if (JSON_NODE_HOLDS_VALUE(node) && t == G_TYPE_BOOLEAN) {
            ns_page_encoder_bool(e, prefix, name, json_node_get_boolean(node));
        } else {
            g_autofree char *json = ns_json_lib_to_string(node);
            ns_page_encoder_json(e, prefix, name, json, strlen(json));
        }
    }
}

void ns_page_encoder_object(NsPageEncoder *e, JsonObject *o)
{
    put_object(e, NULL, o);
}

void ns_page_encoder_end(NsPageEncoder *e, GString *out)
{
    gpointer id;
    if (!g_hash_table_lookup_extended(e->shapes, e->sig->str, NULL, &id)) {
        id = GUINT_TO_POINTER(g_hash_table_size(e->shapes) + 1);
        put_varint(out, 0);
        put_varint(out, e->n_fields);
        for (const char *p = e->sig->str; *p;) {
            const char *sep = strchr(p, '\x01');
            put_bytes(out, p, (size_t)(sep - p));
            g_string_append_c(out, sep[1]);
            p = sep + 2;
        }
        g_hash_table_insert(e->shapes, g_strdup(e->sig->str), id);
    }
    put_varint(out, GPOINTER_TO_UINT(id));
    g_string_append_len(out, e->vals->str, (gssize)e->vals->len);
}
