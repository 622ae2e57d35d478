#!/usr/bin/env python3
"""Write tools/hot-text.ld: the linker script that puts the code a run
executes together at the front of the netsim command's text.

    tools/hot-text.py NETSIM SCENARIO... > tools/hot-text.ld

A run maps the pages of the command's code around each one it touches
(the kernel maps a block of neighbours with every page it faults in), so
code that runs scattered among code that does not costs memory. This runs
NETSIM (a static_netsim build, LTO) under valgrind's callgrind on each
scenario with --quiet, and lists every function it executed: netsim's own
by name (the build compiles with -ffunction-sections, so each is a section
.text.NAME), GLib's and PCRE2's by the object of their static library that
holds them. Names that a later build no longer has match nothing: the
script only orders, and a stale list costs memory, not correctness.
"""

import os
import re
import subprocess
import sys
import tempfile

LIBS = {"libglib-2.0.a": "/usr/lib/x86_64-linux-gnu/libglib-2.0.a",
        "libpcre2-8.a": "/usr/lib/x86_64-linux-gnu/libpcre2-8.a",
        "libc.a": "/usr/lib/x86_64-linux-gnu/libc.a"}


NATIVE_ONLY = [("libc.a", "dl-object.o"), ("libc.a", "dl-setup_hash.o"),
               ("libc.a", "dl-lookup.o"), ("libgcc_eh.a", "unwind-dw2-fde.o")]


def executed(netsim, scn):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                        netsim, "run", scn, "--quiet"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        names = []
        fn_names, ob_names = {}, {}
        obj = None
        for line in open(out):
            # Names are given once with their number, then by number only.
            m = re.match(r"(c?ob|c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if not m:
                continue
            kind, num, name = m.groups()
            table = ob_names if kind.endswith("ob") else fn_names
            if name:
                table[num] = name
            if kind == "ob":
                obj = ob_names.get(num)
            # (Of a fully static netsim, callgrind gives most functions
            # the object "???": there is no other object to be from.)
            elif kind == "fn" and obj and (obj == "???" or
                                           os.path.realpath(obj) == os.path.realpath(netsim)):
                names.append(fn_names[num])
        return names


def main():
    netsim, scns = sys.argv[1], sys.argv[2:]
    where = {}
    # The C library chooses among versions of its string functions (SSE2,
    # AVX2, EVEX, AVX-512...) by the CPU it starts on (an IFUNC), and
    # valgrind's simulated CPU is not the one netsim runs on: every version
    # of a function whose chooser ran is listed, beside each other.
    versions = {}
    ambiguous = set()
    for lib, path in LIBS.items():
        nm = subprocess.run(["nm", "-A", "--defined-only", path], capture_output=True, text=True)
        members = []
        for line in nm.stdout.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "tTWi":
                member = p[0].split(":")[1]
                # A static function's name may be in several objects: it
                # names none of them.
                if p[1] == "t" and where.get(p[2], (lib, member)) != (lib, member):
                    ambiguous.add(p[2])
                where[p[2]] = (lib, member)
                members.append(member)
        for line in nm.stdout.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] == "i":
                family = p[0].split(":")[1][:-len(".o")]
                versions[(lib, family + ".o")] = [
                    (lib, m) for m in dict.fromkeys(members) if m.startswith(family + "-")]
    for name in ambiguous:
        del where[name]
    # Each function (of netsim's) or object (of a library), with the number
    # of scenarios that ran it: those every run needs come first, so that a
    # run touches as few pages of the list as it can.
    runs = {}
    for scn in scns:
        seen = set()
        for name in executed(netsim, scn):
            if name in where:
                items = [("obj", o) for o in [where[name]] + versions.get(where[name], [])]
            elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]*", name):
                items = [("fn", re.sub(r"\.(lto_priv|part|constprop|isra|cold)\..*", "", name))]
            else:
                items = []
            for item in items:
                if item not in seen:
                    seen.add(item)
                    runs[item] = runs.get(item, 0) + 1
    order = sorted(runs, key=lambda item: -runs[item])  # stable: first run first
    # What every run executes before main() but not under valgrind, which
    # gives the program no vDSO: the static C library's start-up makes a
    # link map for the vDSO and looks up its clock functions in it
    # (found with gdb breakpoints on a native run).
    order = [("obj", o) for o in NATIVE_ONLY if ("obj", o) not in runs] + order
    print("/* The code a --quiet run executes, first in the netsim command's text")
    print(" * (tools/meson.build). Written by tools/hot-text.py from: "
          + " ".join(os.path.basename(s) for s in scns) + ". */")
    print("SECTIONS\n{\n  .text.hot_run :\n  {")
    print("    *(.text.startup .text.startup.*)")
    for kind, what in order:
        if kind == "fn":
            print(f"    *(.text.{what} .text.{what}.*)")
        else:
            print(f"    *{what[0]}:{what[1]}(.text .text.*)")
    print("  }\n}\nINSERT BEFORE .text;")


main()
