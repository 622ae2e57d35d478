/* The netsim command: `run` a scenario and print its trace, `check`
 * scenario files without running them. Exit status: 0 success, 1 an
 * expectation failed, 2 bad usage or a bad scenario file, 3 a resource
 * limit was hit. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "netsim-config.h"
#include "common.h"

static const char usage_text[] =
    "Usage:\n"
    "  netsim run FILE [--seed N] [--stop T] [-o FILE] [--quiet] [--max-events N]\n"
    "                  [--format text|json] [--explain] [--pcap FILE [--pcap-at NAME]]\n"
    "                  [--diagram FILE.mmd|FILE.svg] [--sockets-at T]... [--tables-at T]...\n"
    "                  [--color WHEN]\n"
    "                  [--stats] [--cc-samples] [--html FILE] [--student]\n"
    "  netsim check FILE...\n"
    "  netsim test PATH... [--update] [--seeds A..B] [-j N] [--shard K/N] [--junit FILE]\n"
    "                      [--quiet] [--max-events N]\n"
    "  netsim drill FILE.pkt... [--profile linux|minimal] [--tolerance-usecs N] [--trace]\n"
    "                      [--pcap FILE] [--junit FILE] [-j N] [--ip-version FLAVOUR]\n"
    "  netsim lab FILE [-o DIR]\n"
    "  netsim --help | --version\n"
    "\n"
    "Commands:\n"
    "  run     simulate a scenario and print its trace (text) and a summary\n"
    "  check   parse and validate scenario files without running them\n"
    "  test    run the *.scn files under PATHs as tests: expect lines and golden\n"
    "          traces (NAME.trace); ends with 'N passed, N failed' (docs/testing.md)\n"
    "  drill   run packetdrill scripts against netsim's TCP (docs/packetdrill.md)\n"
    "  lab     turn a scenario into an exercise sheet (NAME.md), its answer key\n"
    "          (NAME-key.md) and a student page to check answers (NAME.html)\n"
    "\n"
    "Exit status: 0 success, 1 an expectation failed, 2 bad usage or bad\n"
    "scenario file, 3 a resource limit was hit.\n"
    "Scenario language: scenarios/README.md\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return NS_EXIT_USAGE;
    }
#ifdef NETSIM_FULLY_STATIC
    /* A copy: the commands' option parsers take their options out of argv. */
    ns_command_argv = g_strdupv(argv);
    ns_json_lib_forbid("this netsim is linked statically; netsim-shared writes JSON and pages");
#endif
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("netsim %s\n", NETSIM_VERSION);
        return 0;
    }
    /* An interrupted run leaves no temporary output file behind. */
    ns_atomic_files_cleanup_on_signals();
    /* Each command parses its own options; argv[1] becomes its name. */
    int status;
    if (strcmp(cmd, "run") == 0)
        status = ns_cmd_run(argc - 1, argv + 1);
    else if (strcmp(cmd, "check") == 0)
        status = ns_cmd_check(argc - 1, argv + 1);
    else if (strcmp(cmd, "test") == 0)
        status = ns_cmd_test(argc - 1, argv + 1);
    else if (strcmp(cmd, "drill") == 0)
        status = ns_cmd_drill(argc - 1, argv + 1);
    else if (strcmp(cmd, "lab") == 0)
        status = ns_cmd_lab(argc - 1, argv + 1);
    else
        return ns_usage_error("unknown command '%s' (commands: run, check, test, drill, lab)", cmd);
    /* A lost write to standard output (a full disk, a closed pipe) is a
     * failure, never exit 0 with half a report. */
    if ((fflush(stdout) != 0 || ferror(stdout)) &&
        (status == NS_EXIT_OK || status == NS_EXIT_EXPECT)) {
        fprintf(stderr, "netsim: writing to standard output failed: %s\n",
                g_strerror(errno ? errno : EIO));
        return NS_EXIT_USAGE;
    }
    return status;
}
