#!/usr/bin/env python3
"""Run the benchmark workloads (W1, W2, W3 scenario files) and print, for
each: wall time, peak memory (RSS), simulated events, events per second and
the figures per host and per connection, with --quiet and with the full
text trace written to a file.

    workloads.py NETSIM [--runs N] [--no-trace] [--ns3 PROGRAM] [--rusage PROGRAM] FILE.scn...

Each file is run N times (default 1) in each mode; the median is printed.
A run must exit 0 (every `expect` line held), or the script fails: a
benchmark that did not do its work measures nothing.

With --ns3, a file with a line `# ns-3: ARGS` is also run as PROGRAM ARGS
(tests/bench/ns3/workloads.cc, the same work written for ns-3), N times,
and the ratios of the medians are printed: how many times faster netsim
is (CPU time, user + system) and how many times less memory it takes.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

NS3_LINE = re.compile(r"^# ns-3: (\S+ \d+)", re.M)
STATS = re.compile(r"netsim: stats: (\d+) events, ([0-9.]+) s simulated, (\d+) expectations")
CHECK = re.compile(r"ok \((\d+) hosts, (\d+) steps, (\d+) expectations\)")


RUSAGE = None  # the rusage program (--rusage), or None: measure from here


def run_once(cmd, out=subprocess.DEVNULL):
    """Run cmd; return (wall seconds, CPU seconds, peak RSS in KiB, stderr
    text)."""
    with tempfile.NamedTemporaryFile("r") as usage:
        argv = [RUSAGE, usage.name, *cmd] if RUSAGE else cmd
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE)
        err = p.stderr.read().decode(errors="replace")
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)}: exit {p.returncode}\n{err}")
        if not RUSAGE:
            return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, err
        user, system, peak = usage.read().split()
        return wall, float(user) + float(system), int(peak), err


def measure(netsim, scn, runs, trace):
    walls, cpus, rss, events = [], [], [], None
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "trace.txt")
        for _ in range(runs):
            cmd = [netsim, "run", scn, "--stats"]
            cmd += ["-o", out] if trace else ["--quiet"]
            wall, cpu, peak, err = run_once(cmd)
            m = STATS.search(err)
            if not m:
                sys.exit(f"{scn}: no stats line in:\n{err}")
            events = int(m.group(1))
            walls.append(wall)
            cpus.append(cpu)
            rss.append(peak)
        size = os.path.getsize(out) if trace else 0
    return (statistics.median(walls), statistics.median(cpus), statistics.median(rss), events,
            size)


def measure_ns3(program, args, runs):
    """Run the ns-3 program runs times; return the medians (wall, CPU, peak
    RSS in KiB) and its line saying the work was done."""
    walls, cpus, rss, said = [], [], [], ""
    with tempfile.TemporaryFile() as out:
        for _ in range(runs):
            wall, cpu, peak, _ = run_once([program, *args.split()], out)
            walls.append(wall)
            cpus.append(cpu)
            rss.append(peak)
        out.seek(0)
        said = out.read().decode(errors="replace").strip().splitlines()[-1]
    return statistics.median(walls), statistics.median(cpus), statistics.median(rss), said


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("netsim")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-trace", action="store_true")
    ap.add_argument("--ns3", metavar="PROGRAM")
    ap.add_argument("--rusage", metavar="PROGRAM",
                    help="tests/bench/rusage: measures each run's peak RSS from a small "
                    "process (a child of Python cannot measure below Python's own size)")
    a = ap.parse_args()
    global RUSAGE
    RUSAGE = a.rusage
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
        wall, cpu, rss, events, _ = measure(a.netsim, scn, a.runs, False)
        print(f"{name}: {hosts} hosts, {steps} steps, {expects} expectations held")
        print(f"  quiet: {wall:.3f} s wall, {cpu:.3f} s CPU, {rss / 1024:.1f} MiB peak RSS, "
              f"{events} events, {events / wall / 1e6:.2f} M events/s")
        print(f"         per host {wall / hosts * 1e6:.1f} us, {rss / hosts:.2f} KiB; "
              f"per step {wall / steps * 1e6:.1f} us, {rss / steps:.2f} KiB")
        if not a.no_trace:
            twall, tcpu, trss, _, size = measure(a.netsim, scn, a.runs, True)
            print(f"  trace: {twall:.3f} s wall, {tcpu:.3f} s CPU, {trss / 1024:.1f} MiB peak RSS, "
                  f"{size / 1e6:.1f} MB of text trace, {tcpu / cpu:.2f}x the quiet CPU time")
        with open(scn, encoding="utf-8") as f:
            ns3 = NS3_LINE.search(f.read())
        if a.ns3 and ns3:
            nwall, ncpu, nrss, said = measure_ns3(a.ns3, ns3.group(1), a.runs)
            print(f"  ns-3:  {nwall:.3f} s wall, {ncpu:.3f} s CPU, {nrss / 1024:.1f} MiB peak RSS "
                  f"({said})")
            print(f"         netsim is {ncpu / cpu:.1f}x faster (CPU) and takes "
                  f"{nrss / rss:.1f}x less memory")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
