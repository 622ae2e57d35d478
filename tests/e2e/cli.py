#!/usr/bin/env python3
"""End-to-end tests of the netsim command line: help, version, usage
errors (exit 2), expectation failures (exit 1), resource limits (exit 3)
and atomic output files.

usage: cli.py NETSIM SRCROOT
"""
import os
import pathlib
import subprocess
import tempfile

from harness import NETSIM, ROOT, check, finish, netsim


p = netsim("--help")
check("--help exits 0 and shows usage", p.returncode == 0 and "netsim run FILE" in p.stdout)
p = netsim("--version")
check("--version prints the version", p.returncode == 0 and p.stdout.startswith("netsim 0."))
p = netsim()
check("no command exits 2", p.returncode == 2)
p = netsim("frobnicate")
check("unknown command exits 2 and names it", p.returncode == 2 and "frobnicate" in p.stderr)
p = netsim("run")
check("run without a file exits 2", p.returncode == 2 and "no scenario file" in p.stderr)
p = netsim("run", "does/not/exist.scn")
check("missing file exits 2 and names it",
      p.returncode == 2 and "does/not/exist.scn" in p.stderr, p.stderr)
p = netsim("run", "scenarios/ping.scn", "--stop", "5")
check("--stop without a unit exits 2", p.returncode == 2 and "unit" in p.stderr, p.stderr)
p = netsim("run", "scenarios/ping.scn", "--seed", "-4")
check("negative --seed exits 2", p.returncode == 2)
p = netsim("run", "scenarios/ping.scn", "--bogus")
check("unknown option exits 2", p.returncode == 2)
p = netsim("run", "scenarios/ping.scn", "--stop", "1500ms")
check("--stop cuts the run short", p.returncode == 1 and "seq 3" not in p.stdout
      and "FAIL" in p.stdout, p.stdout[-400:])

with tempfile.TemporaryDirectory() as tmp:
    t = pathlib.Path(tmp)
    out = t / "trace.txt"
    p = netsim("run", "scenarios/ping.scn", "-o", str(out))
    check("-o writes the trace to the file", p.returncode == 0 and p.stdout == ""
          and out.read_text().startswith("# netsim"))
    check("-o leaves no temporary file", sorted(os.listdir(tmp)) == ["trace.txt"],
          str(os.listdir(tmp)))
    out2 = t / "limited.txt"
    p = netsim("run", "scenarios/ping.scn", "--max-events", "3", "-o", str(out2))
    check("--max-events exits 3 with a message naming the limit",
          p.returncode == 3 and "max-events" in p.stderr, p.stderr)
    check("a run cut by a limit leaves no output file",
          not out2.exists() and sorted(os.listdir(tmp)) == ["trace.txt"], str(os.listdir(tmp)))
    bad = t / "bad.scn"
    bad.write_text("host a 10.0.0.1\nhost a 10.0.0.2\n")
    out3 = t / "bad.txt"
    p = netsim("run", str(bad), "-o", str(out3))
    check("a bad scenario exits 2 and writes no output", p.returncode == 2
          and not out3.exists() and "error:" in p.stderr, p.stderr)
    fail = t / "fail.scn"
    fail.write_text("network lan 10.0.0.0/24\nhost a 10.0.0.1\nhost b 10.0.0.2\n"
                    "at 0s a ping 10.0.0.2 count 1\nexpect a ping 10.0.0.2 received 2\n")
    p = netsim("run", str(fail))
    check("a failed expectation exits 1 and says so",
          p.returncode == 1 and "FAIL" in p.stdout and "1 of 1 expectations failed" in p.stderr,
          p.stderr)
    p = netsim("run", str(fail), "--quiet")
    check("--quiet prints no trace", p.returncode == 1 and p.stdout == "", p.stdout[:200])

p = netsim("check", "scenarios/ping.scn", "scenarios/routed.scn")
check("check accepts good files", p.returncode == 0 and p.stdout.count(": ok") == 2)
p = netsim("run", "scenarios/ping.scn", "--seed", "99")
check("--seed overrides the file's seed", p.returncode == 0 and "seed 99" in p.stdout)


def libraries_loaded(*args):
    """The shared libraries a netsim run loaded (the dynamic loader's own
    account, LD_DEBUG=libs), by file name."""
    p = subprocess.run([NETSIM, *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "LD_DEBUG": "libs"})
    return {line.rsplit("/", 1)[-1] for line in p.stderr.splitlines() if "calling init:" in line}


# json-glib (and GObject, GIO and what GIO brings) are loaded only for the
# JSON output and the page. (A fully static netsim loads nothing, and has
# no loader to give an account: tests/e2e/linking.py. Otherwise the C
# library is loaded by every run: the loader's account is there. GLib's
# shared library is loaded only when netsim is built with
# -Dstatic_netsim=false.)
JSON_LIBS = {"libjson-glib-1.0.so.0", "libgobject-2.0.so.0", "libgio-2.0.so.0"}
libs = libraries_loaded("run", "scenarios/ping.scn", "--quiet")
check("a quiet run does not load json-glib, GObject or GIO",
      (not libs or "libc.so.6" in libs) and not libs & JSON_LIBS, str(sorted(libs)))
libs = libraries_loaded("run", "scenarios/ping.scn", "--pcap", os.devnull, "--explain")
check("a run with a capture and explanations does not load them either",
      (not libs or "libc.so.6" in libs) and not libs & JSON_LIBS, str(sorted(libs)))
libs = libraries_loaded("run", "scenarios/ping.scn", "--format", "json")
check("--format json loads json-glib", JSON_LIBS <= libs, str(sorted(libs)))

finish()
