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
        "libpcre2-8.a": "/usr/lib/x86_64-linux-gnu/libpcre2-8.a"}


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
            elif kind == "fn" and obj and os.path.realpath(obj) == os.path.realpath(netsim):
                names.append(fn_names[num])
        return names


def main():
    netsim, scns = sys.argv[1], sys.argv[2:]
    where = {}
    for lib, path in LIBS.items():
        nm = subprocess.run(["nm", "-A", "--defined-only", path], capture_output=True, text=True)
        for line in nm.stdout.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "tT":
                where[p[2]] = (lib, p[0].split(":")[1])
    fns, objs = [], []
    for scn in scns:
        for name in executed(netsim, scn):
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]*", name):
                continue
            if name in where:
                if where[name] not in objs:
                    objs.append(where[name])
                continue
            base = re.sub(r"\.(lto_priv|part|constprop|isra|cold)\..*", "", name)
            if base not in fns:
                fns.append(base)
    print("/* The code a --quiet run executes, first in the netsim command's text")
    print(" * (tools/meson.build). Written by tools/hot-text.py from: "
          + " ".join(os.path.basename(s) for s in scns) + ". */")
    print("SECTIONS\n{\n  .text.hot_run :\n  {")
    for f in fns:
        print(f"    *(.text.{f} .text.{f}.*)")
    for lib, o in objs:
        print(f"    *{lib}:{o}(.text .text.*)")
    print("  }\n}\nINSERT BEFORE .text;")


main()
