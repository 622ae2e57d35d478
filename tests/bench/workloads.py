#!/usr/bin/env python3
"""Run the benchmark workloads (W1, W2, W3 scenario files) and print, for
each: wall time, peak memory (RSS), simulated events, events per second and
the figures per host and per connection, with --quiet and with the full
text trace written to a file.

    workloads.py NETSIM [--runs N] [--no-trace] FILE.scn...

Each file is run N times (default 1) in each mode; the median is printed.
A run must exit 0 (every `expect` line held), or the script fails: a
benchmark that did not do its work measures nothing.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

STATS = re.compile(r"netsim: stats: (\d+) events, ([0-9.]+) s simulated, (\d+) expectations")
CHECK = re.compile(r"ok \((\d+) hosts, (\d+) steps, (\d+) expectations\)")


def run_once(cmd):
    """Run cmd; return (wall seconds, peak RSS in KiB, stderr text)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode(errors="replace")
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}\n{err}")
    return wall, ru.ru_maxrss, err


def measure(netsim, scn, runs, trace):
    walls, rss, events = [], [], None
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "trace.txt")
        for _ in range(runs):
            cmd = [netsim, "run", scn, "--stats"]
            cmd += ["-o", out] if trace else ["--quiet"]
            wall, peak, err = run_once(cmd)
            m = STATS.search(err)
            if not m:
                sys.exit(f"{scn}: no stats line in:\n{err}")
            events = int(m.group(1))
            walls.append(wall)
            rss.append(peak)
        size = os.path.getsize(out) if trace else 0
    return statistics.median(walls), statistics.median(rss), events, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("netsim")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-trace", action="store_true")
    a = ap.parse_args()
    uname = os.uname()
    print(f"# {uname.sysname} {uname.release} {uname.machine}, {os.cpu_count()} cpus; "
          f"median of {a.runs} run(s) each")
    for scn in a.files:
        chk = subprocess.run([a.netsim, "check", scn], capture_output=True, text=True)
        m = CHECK.search(chk.stdout)
        if chk.returncode != 0 or not m:
            sys.exit(f"{scn}: check failed\n{chk.stderr}")
        hosts, steps, expects = (int(x) for x in m.groups())
        name = os.path.basename(scn)
        wall, rss, events, _ = measure(a.netsim, scn, a.runs, False)
        print(f"{name}: {hosts} hosts, {steps} steps, {expects} expectations held")
        print(f"  quiet: {wall:.3f} s wall, {rss / 1024:.1f} MiB peak RSS, {events} events, "
              f"{events / wall / 1e6:.2f} M events/s")
        print(f"         per host {wall / hosts * 1e6:.1f} us, {rss / hosts:.2f} KiB; "
              f"per step {wall / steps * 1e6:.1f} us, {rss / steps:.2f} KiB")
        if not a.no_trace:
            twall, trss, _, size = measure(a.netsim, scn, a.runs, True)
            print(f"  trace: {twall:.3f} s wall, {trss / 1024:.1f} MiB peak RSS, "
                  f"{size / 1e6:.1f} MB of text trace, {twall / wall:.2f}x the quiet time")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
