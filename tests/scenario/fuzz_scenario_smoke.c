/* fuzz-scenario-smoke: feeds the fuzz entry point (fuzz_scenario.c) with
 * the example scenarios and the malformed catalogue, and with thousands of
 * seeded mutations of them: lines dropped, duplicated or swapped, words
 * replaced by other words or by numbers at the edges, bytes flipped, files
 * cut short. Deterministic: the same inputs on every run.
 * usage: fuzz-scenario-smoke FILE...
 * NS_FUZZ_SEED and NS_FUZZ_ROUNDS (mutations per file) pick another or a
 * longer campaign than the test suite's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The smoke run is the suite's quick look (it runs under ASan+UBSan too);
 * the libFuzzer campaign of tests/fuzz/run.sh is the long search. */
#define MUTATIONS_PER_FILE 60

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static guint below(uint64_t *s, guint n)
{
    return n ? (guint)(next_u64(s) % n) : 0;
}

static const char *const words[] = {
    "0", "-1", "4294967296", "99999999999999999999", "1e9", "0s", "1.5s", "2m", "0.0000000001s",
    "100%", "101%", "0.5%", "1Gbps", "0bps", "65535", "65536", "10.0.0.1", "10.0.0.256",
    "10.0.0.0/33", ":0", ":80", "\"", "\"\\x\"", "{i}", "{1/0}", "repeat", "end", "at", "host",
    "router", "network", "link", "expect", "drop", "tcp", "udp", "any#0", "data#1", "syn#9",
    "as", "backlog", "count", "1000000", "mtu", "queue", "loss", "delay",
};

static GString *mutate(uint64_t *st, const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    GString *out = g_string_new(NULL);
    guint victim = below(st, n ? n : 1);
    guint kind = below(st, 6);
    for (guint i = 0; i < n; i++) {
        if (i == victim) {
            switch (kind) {
            case 0: /* drop the line */
                continue;
            case 1: /* say it twice */
                g_string_append_printf(out, "%s\n", lines[i]);
                break;
            case 2: { /* replace a word */
                g_auto(GStrv) w = g_strsplit(lines[i], " ", -1);
                guint nw = g_strv_length(w);
                if (nw) {
                    guint k = below(st, nw);
                    g_free(w[k]);
                    w[k] = g_strdup(words[below(st, G_N_ELEMENTS(words))]);
                    g_autofree char *j = g_strjoinv(" ", w);
                    g_string_append_printf(out, "%s\n", j);
                    continue;
                }
                break;
            }
            case 3: /* insert a word */
                g_string_append_printf(out, "%s %s\n", lines[i],
                                       words[below(st, G_N_ELEMENTS(words))]);
                continue;
            case 4: /* flip a byte */
                if (lines[i][0]) {
                    char *l = g_strdup(lines[i]);
                    l[below(st, (guint)strlen(l))] ^= (char)(1u << below(st, 8));
                    g_string_append_printf(out, "%s\n", l);
                    g_free(l);
                    continue;
                }
                break;
            case 5: /* cut the file here */
                return out;
            }
        }
        g_string_append_printf(out, "%s\n", lines[i]);
    }
    return out;
}

int main(int argc, char **argv)
{
    const char *seed_env = g_getenv("NS_FUZZ_SEED");
    const char *rounds_env = g_getenv("NS_FUZZ_ROUNDS");
    uint64_t st = seed_env ? g_ascii_strtoull(seed_env, NULL, 10) : 12345;
    int rounds = rounds_env ? atoi(rounds_env) : MUTATIONS_PER_FILE;
    unsigned runs = 0;
    for (int f = 1; f < argc; f++) {
        g_autofree char *text = NULL;
        gsize len;
        if (!g_file_get_contents(argv[f], &text, &len, NULL)) {
            fprintf(stderr, "cannot read %s\n", argv[f]);
            return 2;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)text, len);
        runs++;
        for (int m = 0; m < rounds; m++) {
            GString *x = mutate(&st, text);
            LLVMFuzzerTestOneInput((const uint8_t *)x->str, x->len);
            g_string_free(x, TRUE);
            runs++;
        }
    }
    printf("fuzz-scenario-smoke: %u inputs, no crash\n", runs);
    return 0;
}
