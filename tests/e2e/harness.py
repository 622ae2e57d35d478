"""What the end-to-end scripts share: the netsim under test and the source
root, from their command line (NETSIM SRCROOT ...); running netsim; and
counting checks, each printed as "ok   NAME" or "FAIL NAME DETAIL", with a
summary line and the exit status at the end.

    from harness import ROOT, netsim, check, finish
"""
import os
import subprocess
import sys

NETSIM = os.path.abspath(sys.argv[1])
ROOT = sys.argv[2]
TIMEOUT = 60  # seconds a netsim run may take; a script may set its own

_count = 0
_failures = 0


def netsim(*args, cwd=None, timeout=None):
    """Run netsim with `args` in `cwd` (the source root unless given), its
    output captured as text."""
    return subprocess.run([NETSIM, *args], cwd=ROOT if cwd is None else cwd,
                          capture_output=True, text=True,
                          timeout=TIMEOUT if timeout is None else timeout)


def check(name, cond, detail=""):
    """One check: `cond` holds, or the check fails with `detail`."""
    global _count, _failures
    _count += 1
    if cond:
        print(f"ok   {name}")
    else:
        _failures += 1
        print(f"FAIL {name} {detail}")


def finish():
    """The summary line; exit 1 if a check failed."""
    print(f"{_count - _failures} passed, {_failures} failed")
    sys.exit(1 if _failures else 0)
