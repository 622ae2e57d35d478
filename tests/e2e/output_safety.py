#!/usr/bin/env python3
"""What `netsim run` does to the paths it is asked to write (-o, --pcap,
--diagram; and `drill --junit`, `test --junit`): it never replaces something that is not a regular file, follows
symbolic links, refuses two outputs in one file, commits all outputs together
or none, removes its temporary files when interrupted, and never exits 0
after losing a write to standard output.

usage: output_safety.py NETSIM SRCROOT
"""
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

netsim, root = os.path.abspath(sys.argv[1]), sys.argv[2]
SCN = "scenarios/udp-echo.scn"
failures = []


def run(*args, **kw):
    return subprocess.run([netsim, "run", *args], cwd=root, capture_output=True, timeout=300, **kw)


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


with tempfile.TemporaryDirectory() as tmp:
    j = lambda *p: os.path.join(tmp, *p)

    # A FIFO is written to, not replaced.
    fifo = j("fifo")
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    r = run(SCN, "-o", fifo)
    reader.join(timeout=60)
    check(r.returncode == 0 and stat.S_ISFIFO(os.lstat(fifo).st_mode) and got
          and got[0].startswith(b"# netsim"), "-o FIFO: the trace goes through it, it stays a FIFO")

    # /dev/stdout (a pipe here) is written to.
    r = run(SCN, "-o", "/dev/stdout")
    check(r.returncode == 0 and r.stdout.startswith(b"# netsim"), "-o /dev/stdout writes the trace to the pipe")

    # The other commands' report files follow the same rules: a FIFO named
    # by `drill --junit` or `test --junit` is written through, not replaced
    # (drill's report was once renamed over its path: as root, over /dev/null).
    for cmd in (["drill", "tests/drill/nagle.pkt"], ["test", "scenarios/ping.scn"]):
        fifo = j(cmd[0] + "-junit")
        os.mkfifo(fifo)
        got = []
        # daemon: a reader left waiting on a FIFO that was replaced must not
        # keep the test from ending
        reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
        reader.start()
        r = subprocess.run([netsim, cmd[0], "--junit", fifo, cmd[1]], cwd=root,
                           capture_output=True, timeout=300)
        reader.join(timeout=20)
        check(r.returncode == 0 and stat.S_ISFIFO(os.lstat(fifo).st_mode) and got
              and got[0].startswith(b"<?xml"),
              f"{cmd[0]} --junit FIFO: the report goes through it, it stays a FIFO")

    # A symbolic link is followed: its target gets the trace, the link stays.
    with open(j("real.txt"), "w") as f:
        f.write("old\n")
    os.symlink("real.txt", j("link.txt"))
    r = run(SCN, "-o", j("link.txt"))
    check(r.returncode == 0 and os.path.islink(j("link.txt"))
          and open(j("real.txt"), "rb").read().startswith(b"# netsim"),
          "-o LINK: the file it names gets the trace, the link stays a link")

    # A directory is refused.
    os.mkdir(j("dir"))
    r = run(SCN, "-o", j("dir"))
    check(r.returncode == 2 and b"Is a directory" in r.stderr and os.path.isdir(j("dir")),
          "-o DIRECTORY: exit 2, 'Is a directory'")

    # Two outputs naming one file: refused before anything is written.
    r = run(SCN, "-o", j("same"), "--pcap", j(".", "same"))
    check(r.returncode == 2 and b"name the same file" in r.stderr and not os.path.exists(j("same")),
          "-o and --pcap naming one file: exit 2, nothing written")
    os.symlink("real.txt", j("link.svg"))
    r = run(SCN, "--pcap", j("real.txt"), "--diagram", j("link.svg"))
    check(r.returncode == 2 and b"name the same file" in r.stderr,
          "--pcap FILE and --diagram LINK-TO-FILE: exit 2")

    # A run that fails keeps the old outputs; one that succeeds replaces all.
    for name in ("t.txt", "c.pcap", "d.svg"):
        with open(j(name), "w") as f:
            f.write("old\n")
    outs = ["-o", j("t.txt"), "--pcap", j("c.pcap"), "--diagram", j("d.svg")]
    r = run(SCN, "--max-events", "3", *outs)
    check(r.returncode == 3 and all(open(j(n)).read() == "old\n" for n in ("t.txt", "c.pcap", "d.svg"))
          and not [n for n in os.listdir(tmp) if n.startswith(".")],
          "a run ending with exit 3 leaves every old output as it was and no temporary file")
    r = run(SCN, *outs)
    check(r.returncode == 0 and all(open(j(n), "rb").read() != b"old\n" for n in ("t.txt", "c.pcap", "d.svg")),
          "a good run replaces all three outputs")

    # --quiet -o FILE: nothing on stdout, the trace in the file.
    r = run(SCN, "--quiet", "-o", j("q.txt"))
    check(r.returncode == 0 and not r.stdout and open(j("q.txt"), "rb").read().startswith(b"# netsim"),
          "--quiet -o FILE writes the trace to FILE and nothing to stdout")

    # SIGINT and SIGTERM remove the temporary files of a long run.
    long = j("long.scn")
    with open(long, "w") as f:
        f.write("network lan 10.0.0.0/24 rate 1Gbps\nhost a 10.0.0.1\nhost b 10.0.0.2\n"
                "service b discard 9\nat 0s a socket tcp as S\nat 0s a connect S b:9\n"
                "at 0s a send S 500MB\nat 0s a close S\n")
    for sig in (signal.SIGINT, signal.SIGTERM):
        d = j(f"sig{int(sig)}")
        os.mkdir(d)
        p = subprocess.Popen([netsim, "run", long, "-o", os.path.join(d, "t.txt"), "--pcap",
                              os.path.join(d, "c.pcap")], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while len(os.listdir(d)) < 2 and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        p.send_signal(sig)
        p.wait(timeout=60)
        check(p.returncode == -sig and os.listdir(d) == [],
              f"{signal.Signals(sig).name} ends the run by the signal and removes its temporary files")

    # A file the user may not write is refused, and left as it was.
    if os.geteuid() != 0:
        ro = j("ro.txt")
        with open(ro, "w") as f:
            f.write("keep\n")
        os.chmod(ro, 0o444)
        r = run(SCN, "-o", ro)
        check(r.returncode == 2 and open(ro).read() == "keep\n", "-o READ-ONLY-FILE: exit 2, unchanged")

# Scenario files that are not regular files: refused at once, saying what they are.
with tempfile.TemporaryDirectory() as tmp:
    fifo = os.path.join(tmp, "x.scn")
    os.mkfifo(fifo)
    for cmd in (["check", fifo], ["run", fifo], ["test", fifo]):
        try:
            r = subprocess.run([netsim, *cmd], capture_output=True, timeout=60)
            ok = r.returncode == 2 and b"is a FIFO, not a regular file" in (r.stderr + r.stdout)
        except subprocess.TimeoutExpired:
            ok = False
        check(ok, f"netsim {cmd[0]} FIFO: exit 2 at once, 'is a FIFO'")
for dev in ("/dev/zero", "/dev/null"):
    if os.path.exists(dev):
        r = subprocess.run([netsim, "check", dev], capture_output=True, timeout=60)
        check(r.returncode == 2 and r.stderr.decode().strip() ==
              f"{dev}: error: cannot read: is a character device, not a regular file",
              f"netsim check {dev}: exit 2, 'is a character device'")

# JSON Lines stay UTF-8 whatever bytes the packets carry.
with tempfile.TemporaryDirectory() as tmp:
    scn = os.path.join(tmp, "bytes.scn")
    with open(scn, "w") as f:
        f.write('network lan 10.0.0.0/24\nhost a 10.0.0.1\nhost b 10.0.0.2\n'
                'service b http 80 page /x 10B\nat 0s a socket tcp as S\n'
                'at 0s a connect S b:80\nat 0s a send S "GET /\\xff\\xfe HTTP/1.1\\r\\n\\r\\n"\n'
                'at 0s a recv S\nat 1s a close S\n')
    r = subprocess.run([netsim, "run", scn, "--format", "json"], capture_output=True, timeout=60)
    ok = r.returncode == 0
    try:
        for line in r.stdout.decode("utf-8").splitlines():
            json.loads(line)
    except (UnicodeDecodeError, ValueError):
        ok = False
    check(ok,
          "--format json: a request with invalid bytes, every line valid UTF-8 JSON")

# A write error on standard output is an error.
if os.path.exists("/dev/full"):
    with open("/dev/full", "wb") as full:
        r = subprocess.run([netsim, "run", SCN], cwd=root, stdout=full, stderr=subprocess.PIPE, timeout=300)
    check(r.returncode == 2 and b"standard output failed" in r.stderr,
          "run > /dev/full: exit 2 with a message")
    with open("/dev/full", "wb") as full:
        r = subprocess.run([netsim, "check", SCN], cwd=root, stdout=full, stderr=subprocess.PIPE, timeout=300)
    check(r.returncode == 2 and b"standard output failed" in r.stderr,
          "check > /dev/full: exit 2 with a message")

print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
