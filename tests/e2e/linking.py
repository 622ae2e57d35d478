#!/usr/bin/env python3
"""End-to-end tests of how the netsim command is linked (README, "How netsim
is linked"): fully static, it leaves the outputs that need json-glib
(--format json, --html, lab) to netsim-shared beside it, which writes the
same bytes; without netsim-shared those stop before anything is read or
written, with exit 2 and a message naming it.

usage: linking.py NETSIM SRCROOT FULLY_STATIC(true|false)
Exits 77 (skipped) for a build that is not fully static.
"""
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile

from harness import NETSIM, ROOT, check, finish, netsim

if sys.argv[3] != "true":
    print("netsim is not fully static in this build (sanitizers, or -Dstatic_netsim=false)")
    sys.exit(77)


def interpreter(path):
    """Does the ELF file at `path` name a program interpreter (PT_INTERP),
    that is, is it dynamically linked?"""
    with open(path, "rb") as f:
        head = f.read(64)
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return any(struct.unpack_from("<I", table, i * phentsize)[0] == 3 for i in range(phnum))


SHARED = os.path.join(os.path.dirname(NETSIM), "netsim-shared")
check("netsim has no program interpreter (fully static)", not interpreter(NETSIM))
check("netsim-shared is beside it, dynamically linked",
      os.path.exists(SHARED) and interpreter(SHARED))

# tools/hot-text.ld names the functions a run executes, to link them
# together; a list left behind by renamed or removed functions costs
# memory. Nearly all of them must still be netsim's.
names = [n for n in re.findall(r"\*\(\.text\.([A-Za-z_]\w*) ",
                               (pathlib.Path(ROOT) / "tools" / "hot-text.ld").read_text())
         if n != "startup"]
nm = subprocess.run(["nm", NETSIM], capture_output=True, text=True).stdout
symbols = {line.split()[-1].split(".")[0] for line in nm.splitlines() if len(line.split()) == 3}
missing = [n for n in names if n not in symbols]
check("tools/hot-text.ld names functions netsim has (else run tools/hot-text.py)",
      len(names) > 100 and len(missing) <= len(names) // 10, f"{len(missing)} missing: {missing[:10]}")

args = ["run", "scenarios/browser.scn", "--format", "json"]
p = netsim(*args)
q = subprocess.run([SHARED, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
check("--format json through netsim writes what netsim-shared writes",
      p.returncode == 0 and p.stdout == q.stdout and p.stdout.startswith('{"t_ns":0,"kind":"run"'),
      p.stderr)
p = netsim("run", "scenarios/browser.scn", "--quiet")
check("a text run stays in the static netsim", p.returncode == 0 and p.stderr == "", p.stderr)

with tempfile.TemporaryDirectory() as tmp:
    t = pathlib.Path(tmp)
    alone = t / "bin" / "netsim"
    alone.parent.mkdir()
    shutil.copy(NETSIM, alone)
    out = t / "trace.json"
    p = subprocess.run([str(alone), "run", "scenarios/browser.scn", "--format", "json", "-o",
                        str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    # (Unless a netsim-shared is installed where `meson install` puts it.)
    installed = subprocess.run([str(alone), "run", "scenarios/ping.scn", "--html",
                                str(t / "x.html")], cwd=ROOT, capture_output=True,
                               text=True).returncode == 0
    if not installed:
        check("without netsim-shared, --format json exits 2 naming it",
              p.returncode == 2 and "netsim-shared" in p.stderr
              and str(alone.parent / "netsim-shared") in p.stderr, p.stderr)
        check("... and writes nothing", not out.exists() and sorted(os.listdir(t)) == ["bin"],
              str(os.listdir(t)))
        p = subprocess.run([str(alone), "lab", "scenarios/browser.scn", "-o", str(t)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
        check("without netsim-shared, lab exits 2 and writes nothing",
              p.returncode == 2 and "netsim-shared" in p.stderr
              and sorted(os.listdir(t)) == ["bin"], p.stderr + str(os.listdir(t)))

finish()
