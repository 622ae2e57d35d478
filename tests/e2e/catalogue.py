#!/usr/bin/env python3
"""Every malformed scenario of the catalogue (tests/scenario/bad/NAME.scn)
run through `netsim check` and `netsim run` must print exactly NAME.err on
stderr, nothing on stdout, and exit 2.

usage: catalogue.py NETSIM CATALOGUE_DIR
"""
import os
import pathlib
import subprocess
import sys

netsim = os.path.abspath(sys.argv[1])
root = pathlib.Path(sys.argv[2])  # tests/scenario: files are named bad/NAME.scn
bad = sorted((root / "bad").glob("*.scn"))
failures = 0
for scn in bad:
    rel = f"bad/{scn.name}"
    want = scn.with_suffix(".err").read_text().rstrip("\n")
    for cmd in (["check", rel], ["run", rel]):
        p = subprocess.run([netsim, *cmd], cwd=root, capture_output=True, text=True, timeout=60)
        got = p.stderr.rstrip("\n")
        if p.returncode != 2 or got != want or p.stdout:
            failures += 1
            print(f"FAIL netsim {' '.join(cmd)}: exit {p.returncode}")
            print("  expected:\n    " + want.replace("\n", "\n    "))
            print("  got:\n    " + got.replace("\n", "\n    "))
if len(bad) < 20:
    failures += 1
    print(f"FAIL the catalogue has only {len(bad)} files (at least 20 expected)")
print(f"{2 * len(bad) - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
