#!/usr/bin/env python3
"""The hostile catalogue: scenarios that `netsim check` accepts but that once
crashed, hung or gave a wrong answer (tests/scenario/hostile/NAME.scn). Each
file says what must happen in comment lines that start with `#!`:

    #! args --stop 20ms          extra arguments after `netsim run FILE`
    #! exit 0                    the exit status (required)
    #! stderr TEXT               one line of stderr, exactly, in order; without
                                 any `#! stderr` line, stderr must be empty
    #! stdout TEXT               a line stdout must hold (anywhere)
    #! no-stdout TEXT            text stdout must not hold

A run that takes longer than 120 s is a failure (a hang).

usage: hostile.py NETSIM CATALOGUE_DIR
"""
import os
import pathlib
import shlex
import subprocess
import sys

netsim = os.path.abspath(sys.argv[1])
root = pathlib.Path(sys.argv[2])  # tests/scenario: files are named hostile/NAME.scn
files = sorted((root / "hostile").glob("*.scn"))
failures = 0
for scn in files:
    rel = f"hostile/{scn.name}"
    args, want_exit, want_err, want_out, not_out = [], None, [], [], []
    for line in scn.read_text(errors="replace").splitlines():
        if not line.startswith("#! "):
            continue
        key, _, val = line[3:].partition(" ")
        if key == "args":
            args += shlex.split(val)
        elif key == "exit":
            want_exit = int(val)
        elif key == "stderr":
            want_err.append(val)
        elif key == "stdout":
            want_out.append(val)
        elif key == "no-stdout":
            not_out.append(val)
        else:
            print(f"FAIL {rel}: unknown directive '#! {key}'")
            failures += 1
    if want_exit is None:
        print(f"FAIL {rel}: no '#! exit N' line")
        failures += 1
        continue
    cmd = [netsim, "run", rel, *args]
    try:
        p = subprocess.run(cmd, cwd=root, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        print(f"FAIL {' '.join(cmd[1:])}: still running after 120 s")
        failures += 1
        continue
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace").rstrip("\n")
    problems = []
    if p.returncode != want_exit:
        problems.append(f"exit {p.returncode}, expected {want_exit}")
    if err != "\n".join(want_err):
        problems.append("stderr:\n    " + err.replace("\n", "\n    ") +
                        "\n  expected:\n    " + "\n    ".join(want_err))
    for w in want_out:
        if w not in out:
            problems.append(f"stdout lacks: {w}")
    for w in not_out:
        if w in out:
            problems.append(f"stdout holds: {w}")
    if problems:
        failures += 1
        print(f"FAIL netsim {' '.join(cmd[1:])}\n  " + "\n  ".join(problems))
print(f"{len(files) - failures} passed, {failures} failed")
sys.exit(1 if failures or not files else 0)
