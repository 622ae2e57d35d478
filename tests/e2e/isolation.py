#!/usr/bin/env python3
"""`netsim test` runs each scenario in a child process: a scenario that hangs
(--timeout) or hits a resource limit is that scenario's failure, and the
others still run, are reported, counted and written to the JUnit file.

usage: isolation.py NETSIM SRCROOT
"""
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

netsim, root = os.path.abspath(sys.argv[1]), sys.argv[2]
failures = []


def check(cond, what, detail=""):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("  " + detail.replace("\n", "\n  "))


with tempfile.TemporaryDirectory() as tmp:
    shutil.copy(os.path.join(root, "scenarios", "udp-echo.scn"), os.path.join(tmp, "a-good.scn"))
    with open(os.path.join(tmp, "b-slow.scn"), "w") as f:
        f.write("network lan 10.0.0.0/24 rate 1Gbps\nhost a 10.0.0.1\nhost b 10.0.0.2\n"
                "service b discard 9\nat 0s a socket tcp as S\nat 0s a connect S b:9\n"
                "at 0s a send S 500MB\nat 0s a close S\n")
    shutil.copy(os.path.join(root, "scenarios", "ping.scn"), os.path.join(tmp, "c-good.scn"))
    junit = os.path.join(tmp, "report.xml")
    p = subprocess.run([netsim, "test", ".", "--timeout", "2s", "-j", "2", "--junit", junit],
                       cwd=tmp, capture_output=True, text=True, timeout=300)
    out = p.stdout
    check(p.returncode == 1, f"exit 1 with one scenario hanging (got {p.returncode})", out + p.stderr)
    check("no result after 2s (--timeout): killed" in out, "the hang is reported as a timeout", out)
    check(out.rstrip().endswith("2 passed, 1 failed"), "the summary counts the others", out)
    try:
        suite = ET.parse(junit).getroot()
        names = sorted(tc.get("name") for tc in suite.iter("testcase"))
        failed = [tc.get("name") for tc in suite.iter("testcase") if tc.find("failure") is not None]
        check(len(names) == 3 and failed == ["b-slow.scn"], "the JUnit file lists all three, one failed",
              f"{names} {failed}")
    except (OSError, ET.ParseError) as e:
        check(False, "the JUnit file is written", str(e))

    p = subprocess.run([netsim, "test", ".", "--max-events", "20000", "-j", "1"], cwd=tmp,
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 1 and "resource limit" in p.stdout and "(--max-events)" in p.stdout
          and p.stdout.rstrip().endswith("2 passed, 1 failed"),
          "a resource limit fails that scenario alone", p.stdout + p.stderr)

print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
