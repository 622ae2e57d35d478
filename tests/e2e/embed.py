#!/usr/bin/env python3
"""The embedding example (docs/examples/embed.c): a network built through
the public builder API runs, its fetch gets the whole page, the results it
reads are the ones expected, and two runs print the same bytes.

usage: embed.py EXAMPLE
"""
import subprocess
import sys


def run(exe):
    p = subprocess.run([exe], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode()


def main():
    exe = sys.argv[1]
    rc, out = run(exe)
    failures = []
    if rc != 0:
        failures.append(f"exit status {rc}, expected 0")
    summary = [line for line in out.splitlines() if line.startswith("# ")]
    want = [
        "# callback: fetch ok, status 200, 5000 body bytes",
        "# fetch: ok, status 200, 5000 body bytes",
        "# lan: 18 frames",
    ]
    for w in want:
        if w not in summary:
            failures.append(f"missing line: {w}")
    # The trace went to the text sink: the fetch's own lines are there.
    if "client app    fetch http://10.0.0.80/index.html: 200 OK, 5000B" not in out:
        failures.append("no traced fetch result in the output")
    if "server app    service http listening on tcp port 80 (1 page)" not in out:
        failures.append("no traced service start in the output")
    # Both hosts count the same datagrams each way (nothing lost on a LAN).
    sent = {l.split(":")[0][2:]: l for l in summary if "datagrams sent" in l}
    if set(sent) != {"client", "server"}:
        failures.append(f"host lines: {sorted(sent)}")
    rc2, out2 = run(exe)
    if out2 != out:
        failures.append("a second run printed different bytes")
    for f in failures:
        print("FAIL:", f)
    if failures:
        print(out)
        return 1
    print("ok: the embedding example ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
