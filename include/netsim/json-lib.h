/* json-glib, loaded when a JSON output or the page is asked for. netsim is
 * not linked with json-glib, GObject or GIO: their functions that netsim
 * calls are looked up in libjson-glib-1.0.so.0 (which brings GObject and
 * GIO, whose zlib compressor the page uses) by ns_json_lib_load(), into a
 * table typed by the libraries' own headers. A run that writes no JSON and
 * no page never maps them and what GIO brings (libmount, libblkid, SELinux,
 * zlib, libffi): about 1.8 MiB of a small run's 5.4 MiB (measured).
 *
 * netsim's own code that calls json-glib includes this header (instead of
 * json-glib.h): below, each function in the table is a macro naming its
 * slot, so a call reads as the library's call and is type-checked against
 * its prototype. Those calls may run only after ns_json_lib_load()
 * returned true; the JSON and page sinks load it when they are made.
 *
 * What the library allocates, the library frees. The netsim command may
 * carry GLib inside it (README, "How netsim is linked"): the json-glib it
 * loads then brings a GLib of its own, whose heap is not netsim's. (Fully
 * static, netsim loads nothing: netsim-shared, linked with the shared
 * libraries, writes its JSON and pages.) So no GLib structure of netsim's crosses to the library to be
 * grown there (no GString to append to), and nothing the library
 * allocated is freed by netsim's g_free: its text comes back through
 * ns_json_lib_generate() and ns_json_lib_to_string(), which copy it and
 * free the library's copy with the library's own g_free, and a GError that
 * one of its functions set is freed by ns_json_lib_error_free(). The
 * library's functions that return memory to free have slots in the table
 * (NS_JSON_LIB_OWNED) but no call macros below. */
#pragma once

#include <stdbool.h>

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* The soname looked up: json-glib 1.x's ABI. */
#define NS_JSON_LIB_SONAME "libjson-glib-1.0.so.0"

/* Every function netsim calls from json-glib, GObject and GIO. A call to
 * one not listed here fails to link (netsim does not link them). */
#define NS_JSON_LIB_FUNCTIONS(X)                                                                \
    X(json_builder_new)                                                                         \
    X(json_builder_begin_object)                                                                \
    X(json_builder_end_object)                                                                  \
    X(json_builder_begin_array)                                                                 \
    X(json_builder_end_array)                                                                   \
    X(json_builder_set_member_name)                                                             \
    X(json_builder_add_string_value)                                                            \
    X(json_builder_add_int_value)                                                               \
    X(json_builder_add_boolean_value)                                                           \
    X(json_builder_get_root)                                                                    \
    X(json_generator_new)                                                                       \
    X(json_generator_set_root)                                                                  \
    X(json_node_alloc)                                                                          \
    X(json_node_init_object)                                                                    \
    X(json_node_unref)                                                                          \
    X(json_node_get_node_type)                                                                  \
    X(json_node_get_object)                                                                     \
    X(json_node_get_value_type)                                                                 \
    X(json_node_get_string)                                                                     \
    X(json_node_get_int)                                                                        \
    X(json_node_get_boolean)                                                                    \
    X(json_object_new)                                                                          \
    X(json_object_set_int_member)                                                               \
    X(json_object_set_string_member)                                                            \
    X(json_object_set_array_member)                                                             \
    X(json_object_iter_init_ordered)                                                            \
    X(json_object_iter_next_ordered)                                                            \
    X(json_array_new)                                                                           \
    X(json_array_add_string_element)                                                            \
    X(json_array_add_object_element)                                                            \
    X(g_object_unref)                                                                           \
    X(g_zlib_compressor_new)                                                                    \
    X(g_converter_convert)                                                                      \
    X(g_io_error_quark)

/* The functions whose results the library's own GLib must free, and that
 * GLib's: called only through the functions below (no call macros). */
#define NS_JSON_LIB_OWNED(X)                                                                    \
    X(json_generator_to_data)                                                                   \
    X(json_to_string)                                                                           \
    X(g_free)                                                                                   \
    X(g_error_free)

struct NsJsonLib {
#define NS_JSON_LIB_SLOT(f) __typeof__(f) *f;
    NS_JSON_LIB_FUNCTIONS(NS_JSON_LIB_SLOT)
    NS_JSON_LIB_OWNED(NS_JSON_LIB_SLOT)
#undef NS_JSON_LIB_SLOT
};
typedef struct NsJsonLib NsJsonLib;

/* The table; filled by the first successful ns_json_lib_load(). */
extern NsJsonLib ns_json_lib;

#define NS_JSON_LIB_ERROR (ns_json_lib_error_quark())
GQuark ns_json_lib_error_quark(void);
typedef enum {
    NS_JSON_LIB_ERROR_MISSING, /* the library, or a function of it, is not there */
} NsJsonLibError;

/* Load json-glib (once; later calls return at once). False, with an error
 * naming the library and the reason (not installed, or a function missing),
 * when it cannot be loaded; the library is then not used. */
bool ns_json_lib_load(GError **error);

/* From now on, ns_json_lib_load() fails with REASON and loads nothing. The
 * fully static netsim command calls it first (tools/meson.build): a static
 * process's dlopen would bring a second C library into it. */
void ns_json_lib_forbid(const char *reason);

/* Has ns_json_lib_load() succeeded? */
bool ns_json_lib_loaded(void);

/* Append the JSON text of the generator's root to `out` (the library's
 * json_generator_to_data, copied). */
void ns_json_lib_generate(JsonGenerator *gen, GString *out);

/* The node as compact JSON text, in memory of netsim's: free with g_free
 * (the library's json_to_string, copied). */
char *ns_json_lib_to_string(JsonNode *node);

/* Free a GError that a function of the table set (NULL: nothing). Never
 * g_error_free or g_autoptr(GError) for those: under a static netsim the
 * error was allocated by the library's own GLib. */
void ns_json_lib_error_free(GError *error);

/* Each call below goes through the table. (A macro's own name is not
 * expanded again in its replacement, so `ns_json_lib.f` names the slot.)
 * The file defining the table sets NS_JSON_LIB_TABLE to name the slots. */
#ifndef NS_JSON_LIB_TABLE
#define json_builder_new (ns_json_lib.json_builder_new)
#define json_builder_begin_object (ns_json_lib.json_builder_begin_object)
#define json_builder_end_object (ns_json_lib.json_builder_end_object)
#define json_builder_begin_array (ns_json_lib.json_builder_begin_array)
#define json_builder_end_array (ns_json_lib.json_builder_end_array)
#define json_builder_set_member_name (ns_json_lib.json_builder_set_member_name)
#define json_builder_add_string_value (ns_json_lib.json_builder_add_string_value)
#define json_builder_add_int_value (ns_json_lib.json_builder_add_int_value)
#define json_builder_add_boolean_value (ns_json_lib.json_builder_add_boolean_value)
#define json_builder_get_root (ns_json_lib.json_builder_get_root)
#define json_generator_new (ns_json_lib.json_generator_new)
#define json_generator_set_root (ns_json_lib.json_generator_set_root)
#define json_node_alloc (ns_json_lib.json_node_alloc)
#define json_node_init_object (ns_json_lib.json_node_init_object)
#define json_node_unref (ns_json_lib.json_node_unref)
#define json_node_get_node_type (ns_json_lib.json_node_get_node_type)
#define json_node_get_object (ns_json_lib.json_node_get_object)
#define json_node_get_value_type (ns_json_lib.json_node_get_value_type)
#define json_node_get_string (ns_json_lib.json_node_get_string)
#define json_node_get_int (ns_json_lib.json_node_get_int)
#define json_node_get_boolean (ns_json_lib.json_node_get_boolean)
#define json_object_new (ns_json_lib.json_object_new)
#define json_object_set_int_member (ns_json_lib.json_object_set_int_member)
#define json_object_set_string_member (ns_json_lib.json_object_set_string_member)
#define json_object_set_array_member (ns_json_lib.json_object_set_array_member)
#define json_object_iter_init_ordered (ns_json_lib.json_object_iter_init_ordered)
#define json_object_iter_next_ordered (ns_json_lib.json_object_iter_next_ordered)
#define json_array_new (ns_json_lib.json_array_new)
#define json_array_add_string_element (ns_json_lib.json_array_add_string_element)
#define json_array_add_object_element (ns_json_lib.json_array_add_object_element)
#define g_object_unref (ns_json_lib.g_object_unref)
#define g_zlib_compressor_new (ns_json_lib.g_zlib_compressor_new)
#define g_converter_convert (ns_json_lib.g_converter_convert)
#define g_io_error_quark (ns_json_lib.g_io_error_quark)
#endif
