#!/usr/bin/env python3
"""Quiet runs behave as traced ones: every example scenario (and the small
benchmark workloads) run with --quiet and with the full trace to a file must
end the same way: the same exit status, and the same count of events run and
simulated time (--stats). Without a trace that reads packets' bytes, a frame
whose payload is the payload pattern travels without its bytes, and every
place that reads them makes them first; a traced run makes them at once.
Any difference in behaviour between the two shows here.

usage: quiet.py NETSIM SRCROOT
"""
import os
import pathlib
import subprocess
import sys
import tempfile


def stats(netsim, root, scn, extra):
    p = subprocess.run([netsim, "run", scn, "--stats"] + extra, cwd=root,
                       capture_output=True, timeout=300)
    err = p.stderr.decode(errors="replace")
    line = [l for l in err.splitlines() if l.startswith("netsim: stats:")]
    return p.returncode, line[-1] if line else None, err


def main():
    netsim, root = os.path.abspath(sys.argv[1]), pathlib.Path(sys.argv[2])
    files = sorted(root.glob("scenarios/*.scn")) + sorted(root.glob("tests/bench/*-small.scn"))
    failed = 0
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "trace.txt")
        for scn in files:
            rel = str(scn.relative_to(root))
            q = stats(netsim, root, rel, ["--quiet"])
            t = stats(netsim, root, rel, ["-o", out])
            if q[:2] != t[:2] or q[1] is None:
                failed += 1
                print(f"FAIL: {rel}: quiet exit {q[0]}, {q[1]}; traced exit {t[0]}, {t[1]}")
                sys.stderr.write(q[2])
    print(f"{len(files) - failed} of {len(files)} scenarios run the same quiet and traced")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
