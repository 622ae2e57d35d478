/* Exact parsing of times, rates, sizes and ratios (see netsim/units.h).
 * A quantity is DIGITS[.DIGITS]UNIT; the decimal part is scaled by the unit
 * with integer arithmetic only, so a value either converts exactly or is
 * rejected with a message naming what is wrong. */
#include "netsim/units.h"

#include <glib.h>
#include <string.h>

typedef struct {
    const char *name;
    uint64_t mult; /* value of one unit, in the quantity's base unit */
} Unit;

typedef struct {
    const char *what;      /* "time", used in messages */
    const Unit *units;
    size_t n_units;
    const char *unit_list; /* shown in hints */
    const char *example;
    const char *inexact;   /* why a fraction of the base unit is refused */
    uint64_t max;          /* largest value accepted */
    const char *max_text;  /* the limit in words, or NULL for "too large" */
} Quantity;

static const Unit time_units[] = {
    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000},
};
static const Unit rate_units[] = {
    {"bps", 1}, {"kbps", 1000}, {"Mbps", 1000000}, {"Gbps", 1000000000},
};
static const Unit size_units[] = {
    {"B", 1},         {"KB", 1000},        {"MB", 1000000},        {"GB", 1000000000},
    {"KiB", 1024},    {"MiB", 1048576},    {"GiB", 1073741824},
};
/* One percent is 10,000 parts per million. */
static const Unit ratio_units[] = {{"%", 10000}};

static const Quantity q_time = {
    "time", time_units, G_N_ELEMENTS(time_units), "ns, us, ms, s, m", "5ms",
    "more precise than 1 ns", (uint64_t)NS_TIME_MAX_INPUT, "1000000000s (about 31 years)",
};
static const Quantity q_rate = {
    "rate", rate_units, G_N_ELEMENTS(rate_units), "bps, kbps, Mbps, Gbps", "10Mbps",
    "not a whole number of bits per second", UINT64_MAX, NULL,
};
static const Quantity q_size = {
    "size", size_units, G_N_ELEMENTS(size_units), "B, KB, MB, GB, KiB, MiB, GiB", "1500B",
    "not a whole number of bytes", UINT64_MAX, NULL,
};
static const Quantity q_ratio = {
    "ratio", ratio_units, G_N_ELEMENTS(ratio_units), "%", "0.5%",
    "more precise than 0.0001% (1 ppm)", UINT64_MAX, NULL, /* 100% is checked apart */
};

static bool fail(char **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool fail(char **err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        *err = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    return false;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static bool parse_quantity(const Quantity *q, const char *s, uint64_t *out, char **err)
{
    if (!s || !*s)
        return fail(err, "empty %s (expected a number with a unit, e.g. %s)", q->what,
                    q->example);
    if (s[0] == '-')
        return fail(err, "negative %s '%s'", q->what, s);
    if (!g_ascii_isdigit(s[0]))
        return fail(err, "'%s' is not a %s (expected a number with a unit, e.g. %s)", s,
                    q->what, q->example);

    const char *p = s;
    uint64_t whole = 0;
    bool too_big = false;
    for (; g_ascii_isdigit(*p); p++) {
        if (!g_uint64_checked_mul(&whole, whole, 10) ||
            !g_uint64_checked_add(&whole, whole, (uint64_t)(*p - '0')))
            too_big = true;
    }
    /* The fraction is kept as frac / 10^frac_digits, trailing zeros dropped,
     * so "1.500s" and "1.5s" take the same path. */
    uint64_t frac = 0, frac_scale = 1;
    bool too_precise = false;
    if (*p == '.') {
        p++;
        if (!g_ascii_isdigit(*p))
            return fail(err, "'%s' is not a %s (expected digits after '.')", s, q->what);
        const char *fs = p;
        while (g_ascii_isdigit(*p))
            p++;
        const char *fe = p;
        while (fe > fs && fe[-1] == '0')
            fe--;
        if (fe - fs > 19) {
            too_precise = true;
        } else {
            for (const char *d = fs; d < fe; d++) {
                frac = frac * 10 + (uint64_t)(*d - '0');
                frac_scale *= 10;
            }
        }
    }
    const char *unit = p;
    if (!*unit) {
        if (whole == 0 && frac == 0 && !too_precise && !too_big) {
            *out = 0;
            return true;
        }
        return fail(err, "missing unit in '%s' (%s needs one: %s)", s, q->what, q->unit_list);
    }
    const Unit *u = NULL;
    for (size_t i = 0; i < q->n_units; i++)
        if (strcmp(unit, q->units[i].name) == 0)
            u = &q->units[i];
    if (!u)
        return fail(err, "unknown %s unit '%s' in '%s' (use %s)", q->what, unit, s,
                    q->unit_list);
    if (too_precise)
        return fail(err, "%s '%s' is %s", q->what, s, q->inexact);

    /* frac / frac_scale * mult must be a whole number: reduce the ratio
     * mult / frac_scale first, so nothing overflows that would fit. */
    uint64_t g = gcd_u64(u->mult, frac_scale);
    uint64_t mult_r = u->mult / g, scale_r = frac_scale / g;
    if (frac % scale_r != 0)
        return fail(err, "%s '%s' is %s", q->what, s, q->inexact);
    uint64_t value, frac_value;
    if (too_big || !g_uint64_checked_mul(&value, whole, u->mult) ||
        !g_uint64_checked_mul(&frac_value, frac / scale_r, mult_r) ||
        !g_uint64_checked_add(&value, value, frac_value) || value > q->max) {
        if (q->max_text)
            return fail(err, "%s '%s' is over the limit of %s", q->what, s, q->max_text);
        return fail(err, "%s '%s' is too large", q->what, s);
    }
    *out = value;
    return true;
}

bool ns_parse_time(const char *s, NsTime *out, char **err)
{
    g_return_val_if_fail(out != NULL, false);
    uint64_t v;
    if (!parse_quantity(&q_time, s, &v, err))
        return false;
    *out = (NsTime)v;
    return true;
}

bool ns_parse_rate(const char *s, uint64_t *out, char **err)
{
    g_return_val_if_fail(out != NULL, false);
    uint64_t v;
    if (!parse_quantity(&q_rate, s, &v, err))
        return false;
    if (v == 0)
        return fail(err, "rate '%s' must be more than 0", s);
    *out = v;
    return true;
}

bool ns_parse_size(const char *s, uint64_t *out, char **err)
{
    g_return_val_if_fail(out != NULL, false);
    return parse_quantity(&q_size, s, out, err);
}

bool ns_parse_ratio(const char *s, uint32_t *out_ppm, char **err)
{
    g_return_val_if_fail(out_ppm != NULL, false);
    uint64_t v;
    if (!parse_quantity(&q_ratio, s, &v, err))
        return false;
    if (v > 1000000)
        return fail(err, "ratio '%s' is over 100%%", s);
    *out_ppm = (uint32_t)v;
    return true;
}
