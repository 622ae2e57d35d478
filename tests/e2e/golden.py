#!/usr/bin/env python3
"""End-to-end golden test: run one scenario through the netsim binary and
compare its trace, byte for byte, with the golden trace beside it
(NAME.trace next to NAME.scn). Also runs it a second time and requires
identical bytes (determinism).

usage: golden.py NETSIM SRCROOT scenarios/NAME.scn [--update]
"""
import difflib
import os
import pathlib
import subprocess
import sys


def run(netsim, root, scn):
    p = subprocess.run([netsim, "run", scn], cwd=root, capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    netsim, root, scn = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    update = "--update" in sys.argv[4:]
    golden = pathlib.Path(root) / scn.replace(".scn", ".trace")
    rc, out, err = run(netsim, root, scn)
    if rc != 0:
        sys.stderr.write(err.decode(errors="replace"))
        print(f"FAIL: netsim run {scn} exited {rc} (expected 0)")
        return 1
    rc2, out2, _ = run(netsim, root, scn)
    if rc2 != rc or out2 != out:
        print(f"FAIL: two runs of {scn} gave different output")
        return 1
    if update:
        golden.write_bytes(out)
        print(f"updated {golden}")
        return 0
    if not golden.exists():
        print(f"FAIL: no golden trace {golden} (run with --update to create it)")
        return 1
    want = golden.read_bytes()
    if want != out:
        diff = difflib.unified_diff(want.decode().splitlines(), out.decode().splitlines(),
                                    str(golden), "netsim run " + scn, lineterm="", n=3)
        print("\n".join(list(diff)[:200]))
        print(f"FAIL: {scn} differs from its golden trace")
        return 1
    print(f"ok: {scn} matches {golden.name} ({len(out)} bytes), deterministic")
    return 0


if __name__ == "__main__":
    sys.exit(main())
