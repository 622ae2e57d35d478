#!/usr/bin/env python3
"""Quiet runs behave as traced ones: every example scenario (and the small
benchmark workloads) run with --quiet and with the full trace to a file must
end the same way: the same exit status, and the same count of events run and
simulated time (--stats). Without a trace that reads packets' bytes, a frame
whose payload is the payload pattern travels without its bytes, and every
place that reads them makes them first; a traced run makes them at once.
Any difference in behaviour between the two shows here.

The text trace reads only packets' headers, so it lets senders leave such
payloads unmade too (its summaries decode the pattern's own run): the same
runs traced again with a capture beside the trace (a sink that reads every
payload, so every frame is made whole) must write the same trace, byte for
byte; and so must a jumbo-frame fetch, whose 8,960-byte segments are longer
than the pattern's run and are decoded from a copy made for them.

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


JUMBO = """scenario "jumbo frames: segments longer than the pattern's run"
seed 1
network lan 10.0.0.0/24 delay 1ms rate 1Gbps mtu 9000
host srv 10.0.0.2
host cli 10.0.0.3
service srv http 80 page /r 100000B
at 1ms cli fetch http://10.0.0.2/r
expect cli fetch http://10.0.0.2/r status 200 bytes 100000
"""


def same_trace(netsim, root, scn, d):
    """The text trace alone, and beside a capture: (same, exits)."""
    a, b = os.path.join(d, "alone.txt"), os.path.join(d, "beside.txt")
    for f in (a, b):
        if os.path.exists(f):
            os.remove(f)
    pa = subprocess.run([netsim, "run", scn, "-o", a], cwd=root, capture_output=True,
                        timeout=300)
    pb = subprocess.run([netsim, "run", scn, "-o", b, "--pcap", os.path.join(d, "c.pcap")],
                        cwd=root, capture_output=True, timeout=300)
    if pa.returncode != pb.returncode or os.path.exists(a) != os.path.exists(b):
        return False, (pa.returncode, pb.returncode)
    if not os.path.exists(a):
        return True, (pa.returncode, pb.returncode)  # neither written: the run failed alike
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read(), (pa.returncode, pb.returncode)


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
        jumbo = os.path.join(d, "jumbo.scn")
        with open(jumbo, "w") as f:
            f.write(JUMBO)
        differ = 0
        for scn in [str(f.relative_to(root)) for f in files] + [jumbo]:
            same, exits = same_trace(netsim, root, scn, d)
            if not same:
                differ += 1
                print(f"FAIL: {scn}: the trace alone and beside a capture differ (exits {exits})")
        total = len(files) + 1
        print(f"{total - differ} of {total} traces are the same beside a capture")
    return 1 if failed or differ else 0


if __name__ == "__main__":
    sys.exit(main())
