/* json-glib loaded on demand (see netsim/json-lib.h): dlopen of its soname,
 * then each function of the table looked up in it and in the libraries it
 * brings (GObject, GIO). The library stays loaded until the process ends:
 * GObject's types cannot be unloaded. */
#define NS_JSON_LIB_TABLE
#include "netsim/json-lib.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

#include "trace-private.h"

NsJsonLib ns_json_lib;

G_DEFINE_QUARK(ns-json-lib-error-quark, ns_json_lib_error)

static const struct {
    const char *name;
    size_t offset;
} slots[] = {
#define SLOT(f) {#f, offsetof(NsJsonLib, f)},
    NS_JSON_LIB_FUNCTIONS(SLOT)
    NS_JSON_LIB_OWNED(SLOT)
#undef SLOT
};

bool ns_json_lib_open(const char *soname, NsJsonLib *lib, GError **error)
{
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        g_set_error(error, NS_JSON_LIB_ERROR, NS_JSON_LIB_ERROR_MISSING,
                    "cannot load json-glib: %s", dlerror());
        return false;
    }
    NsJsonLib found;
    for (size_t i = 0; i < G_N_ELEMENTS(slots); i++) {
        void *fn = dlsym(handle, slots[i].name);
        if (!fn) {
            g_set_error(error, NS_JSON_LIB_ERROR, NS_JSON_LIB_ERROR_MISSING,
                        "cannot load json-glib: %s has no function %s", soname,
                        slots[i].name);
            dlclose(handle);
            return false;
        }
        /* A data pointer becomes a function pointer by its bytes (POSIX
         * guarantees they are the same; ISO C has no cast for it). */
        memcpy((char *)&found + slots[i].offset, &fn, sizeof fn);
    }
    *lib = found;
    return true;
}

static bool loaded;
static const char *forbidden;

void ns_json_lib_forbid(const char *reason)
{
    forbidden = reason;
}

bool ns_json_lib_load(GError **error)
{
    if (forbidden) {
        g_set_error(error, NS_JSON_LIB_ERROR, NS_JSON_LIB_ERROR_MISSING,
                    "cannot load json-glib: %s", forbidden);
        return false;
    }
    if (!loaded)
        loaded = ns_json_lib_open(NS_JSON_LIB_SONAME, &ns_json_lib, error);
    return loaded;
}

bool ns_json_lib_loaded(void)
{
    return loaded;
}

void ns_json_lib_generate(JsonGenerator *gen, GString *out)
{
    gsize len = 0;
    char *text = ns_json_lib.json_generator_to_data(gen, &len);
    g_string_append_len(out, text, (gssize)len);
    ns_json_lib.g_free(text);
}

char *ns_json_lib_to_string(JsonNode *node)
{
    char *text = ns_json_lib.json_to_string(node, FALSE);
    char *copy = g_strdup(text);
    ns_json_lib.g_free(text);
    return copy;
}

void ns_json_lib_error_free(GError *error)
{
    if (error)
        ns_json_lib.g_error_free(error);
}
