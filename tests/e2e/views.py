#!/usr/bin/env python3
"""End-to-end tests of what people see of a run, through the netsim command:
socket-count expectations (`sockets`), the trace filters (`filters`).

usage: views.py NETSIM SRCROOT GROUP
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

NETSIM, ROOT, GROUP = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
failures = 0
count = 0


def netsim(*args, cwd=ROOT):
    return subprocess.run([NETSIM, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def check(name, cond, detail=""):
    global failures, count
    count += 1
    if cond:
        print(f"ok   {name}")
    else:
        failures += 1
        print(f"FAIL {name} {detail}")


def expect_lines(stdout):
    return [l.split(" expect ", 1)[1].strip() for l in stdout.splitlines() if " expect " in l]


SOCKETS = """network lan 10.0.0.0/24
host a 10.0.0.1
host b 10.0.0.2
service b echo 7 udp
service b echo 7
at 0s a socket udp as U
at 0s a socket tcp as T
at 0s a connect T b:7
expect b sockets at 1s udp 1 listen 1 established 1
expect a sockets at 1s UDP 1
expect b sockets at 1s udp 2 listen 1
expect a sockets at 1s listen 1
"""


def group_sockets(tmp):
    scn = tmp / "s.scn"
    scn.write_text(SOCKETS)
    p = netsim("run", str(scn))
    lines = expect_lines(p.stdout)
    check("sockets: exit 1 for the failed counts", p.returncode == 1, p.stderr)
    check("sockets: UDP sockets are counted beside TCP states",
          lines[0] == f"ok   sockets: LISTEN 1 ESTABLISHED 1 UDP 1 ({scn.name}:9)", lines)
    check("sockets: a host with only a UDP socket and a TCP client",
          lines[1] == f"ok   sockets: UDP 1 ({scn.name}:10)", lines)
    check("sockets: a failure lists every state found, not only those asked",
          lines[2] == f"FAIL sockets: LISTEN 1 UDP 2 (found: LISTEN 1 ESTABLISHED 1 UDP 1) "
                      f"({scn.name}:11)", lines)
    check("sockets: the found list of a client names its UDP socket and connection",
          lines[3] == f"FAIL sockets: LISTEN 1 (found: LISTEN 0 ESTABLISHED 1 UDP 1) ({scn.name}:12)",
          lines)


GROUPS = {"sockets": group_sockets}

with tempfile.TemporaryDirectory() as tmpdir:
    GROUPS[GROUP](pathlib.Path(tmpdir))
print(f"{count - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
