#!/usr/bin/env python3
"""The packetdrill scripts of tests/drill through `netsim drill`.

usage: check.py NETSIM DRILL_DIR

- DRILL_DIR/*.pkt must all pass (exit 0, "N passed, 0 failed");
- each DRILL_DIR/fail/*.pkt must fail (exit 1) with exactly the message of
  its last line, "// expect: LINE: MESSAGE";
- each DRILL_DIR/bad/*.pkt must be refused (exit 2) with exactly the
  error of its last line, "// expect: LINE:COL: error: MESSAGE";
- --junit writes a report that names every script.
"""
import pathlib
import re
import subprocess
import sys
import tempfile

netsim, root = str(pathlib.Path(sys.argv[1]).resolve()), pathlib.Path(sys.argv[2])
problems = []


def drill(*args):
    return subprocess.run([netsim, "drill", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def expected(path):
    last = path.read_text().rstrip("\n").splitlines()[-1]
    prefix = "// expect: "
    if not last.startswith(prefix):
        problems.append(f"{path}: last line must be '{prefix}...'")
        return None
    return last[len(prefix):]


passing = sorted(root.glob("*.pkt"))
with tempfile.TemporaryDirectory() as tmp:
    junit = pathlib.Path(tmp, "drill.xml")
    r = drill(*passing, "--junit", junit)
    if r.returncode != 0 or not r.stdout.endswith(f"{len(passing)} passed, 0 failed\n"):
        problems.append(f"passing scripts: exit {r.returncode}\n{r.stdout}{r.stderr}")
    report = junit.read_text() if junit.exists() else ""
    for p in passing:
        if f'name="{p.name}"' not in report:
            problems.append(f"--junit report does not name {p.name}")
    if f'tests="{len(passing)}" failures="0" errors="0"' not in report:
        problems.append(f"--junit counts wrong:\n{report}")

for p in sorted((root / "fail").glob("*.pkt")):
    want = expected(p)
    r = drill(p)
    got = r.stdout.splitlines()[0] if r.stdout else ""
    if r.returncode != 1 or got != f"FAIL {p}:{want}" or not r.stdout.endswith("0 passed, 1 failed\n"):
        problems.append(f"{p}: exit {r.returncode}, wanted 'FAIL {p}:{want}', got:\n{r.stdout}")

for p in sorted((root / "bad").glob("*.pkt")):
    want = expected(p)
    r = drill(p)
    got = r.stderr.splitlines()[0] if r.stderr else ""
    if r.returncode != 2 or got != f"{p}:{want}":
        problems.append(f"{p}: exit {r.returncode}, wanted '{p}:{want}', got:\n{r.stderr}")

# --ip-version: the IPv4 scripts (no --ip_version line of their own) all
# pass as ipv4-mapped-ipv6 (AF_INET6 sockets, IPv4 on the wire), as
# packetdrill's suites run them; over IPv6 those that write no MSS or window
# of IPv4's pass too, and one that does fails on the MSS, naming it.
v4_scripts = [p for p in passing if "--ip_version" not in p.read_text()]
r = drill("--ip-version", "ipv4-mapped-ipv6", *v4_scripts)
if r.returncode != 0 or not r.stdout.endswith(f"{len(v4_scripts)} passed, 0 failed\n"):
    problems.append(f"--ip-version ipv4-mapped-ipv6: exit {r.returncode}\n{r.stdout}")
agnostic = [root / n for n in ("nonblocking-connect.pkt", "sockopt-buffers.pkt",
                               "sockopt-user-timeout.pkt", "udp-connected-icmp.pkt",
                               "udp-inbound.pkt")]
r = drill("--ip-version", "ipv6", *agnostic, root / "nagle.pkt")
if r.returncode != 1 or not r.stdout.endswith("5 passed, 1 failed\n") or \
        f"FAIL {root / 'nagle.pkt'}:8: expected > S. 0:0(0) ack 1 <mss 1460>; netsim sent > S. " \
        "0:0(0) ack 1 win 64800 <mss 1440>" not in r.stdout:
    problems.append(f"--ip-version ipv6: exit {r.returncode}\n{r.stdout}")
r = drill("--ip-version", "ipv5", agnostic[0])
if r.returncode != 2 or "--ip-version must be ipv4, ipv6 or ipv4-mapped-ipv6, not 'ipv5'" \
        not in r.stderr:
    problems.append(f"--ip-version ipv5: exit {r.returncode}\n{r.stderr}")

# A mix: one failing script makes the exit status 1, and both are reported.
mix = drill(passing[0], root / "fail" / "wrong-fd.pkt")
if mix.returncode != 1 or "1 passed, 1 failed" not in mix.stdout:
    problems.append(f"pass + fail: exit {mix.returncode}\n{mix.stdout}")

# -j N: the same bytes whatever N, failures and traces included, in the
# order the files were given.
some = [*passing, *sorted((root / "fail").glob("*.pkt"))]
one = drill("--trace", "-j", "1", *some)
four = drill("--trace", "-j", "4", *some)
if one.returncode != 1 or (four.returncode, four.stdout) != (1, one.stdout):
    problems.append(f"-j 4 differs from -j 1: exit {four.returncode} / {one.returncode}")
verdicts = [ln.split()[1].split(":")[0] for ln in one.stdout.splitlines()
            if ln.startswith(("ok ", "FAIL "))]
if verdicts != [str(p) for p in some]:
    problems.append(f"-j: verdicts not in the files' order: {verdicts}")

# --trace: each script line, then what netsim did for it. nagle.pkt's
# second write is held by Nagle (the line right under it), and the held
# bytes leave under the outbound line that expects them.
nagle = root / "nagle.pkt"
t = drill("--trace", nagle)
lines = t.stdout.splitlines()
script_lines = [ln for ln in lines if ln.startswith("# ")]
want_script = [f"# {nagle}:{i + 1}: {text.strip()}"
               for i, text in enumerate(nagle.read_text().splitlines())
               if text.strip() and not text.startswith("//")]
if t.returncode != 0 or script_lines != want_script:
    problems.append(f"--trace: the script's lines are not all there in order:\n{t.stdout}")
try:
    w = lines.index(f"# {nagle}:13: +0   write(4, ..., 20) = 20")
    held = lines[w + 1]
    out = lines.index(f"# {nagle}:15: +0   > P. 11:31(20) ack 1")
    sent = [ln for ln in lines[out:] if " send " in ln][0]
    if (not held.endswith("Nagle holds 20 bytes until an ACK (10 bytes unacknowledged)")
            or not sent.endswith("TCP [P.] seq 11 ack 1 win 64240 len 20")
            or lines[-2:] != [f"ok   {nagle}", "1 passed, 0 failed"]):
        problems.append(f"--trace: wrong interleaving:\n{t.stdout}")
except (ValueError, IndexError):
    problems.append(f"--trace: lines missing:\n{t.stdout}")

# `netsim test` runs scripts found among scenarios, and says which failed.
with tempfile.TemporaryDirectory() as tmp:
    import shutil
    shutil.copy(passing[0], tmp)
    shutil.copy(root / "fail" / "wrong-flags.pkt", tmp)
    t = subprocess.run([netsim, "test", tmp], capture_output=True, text=True, timeout=120)
    want_fail = f"    {tmp}/wrong-flags.pkt:{expected(root / 'fail' / 'wrong-flags.pkt')}"
    if (t.returncode != 1 or not t.stdout.endswith("1 passed, 1 failed\n")
            or f"ok   {tmp}/{passing[0].name}" not in t.stdout or want_fail not in t.stdout):
        problems.append(f"netsim test over scripts: exit {t.returncode}\n{t.stdout}{t.stderr}")

# --export-pkt: every TCP connection of every scenario (and of the
# scenarios kept beside the exports, tests/drill/export/*.scn), exported
# from its host's side, passes `netsim drill` with the profile it came from
# (the round trip), over IPv4 and over IPv6; a listener, or a connection a
# targeted fault delayed, is refused with a message.
# tests/drill/export/*.pkt are exports kept as they must come out (each
# names its scenario and socket in its first line), read once and checked
# byte for byte.
src = root.parent.parent
made = re.compile(r"^at \S+\s+([\w-]+)(?:\.\w+)?\s+(?:socket tcp as|accept \w+ as)\s+(\w+)",
                  re.M)
with tempfile.TemporaryDirectory() as tmp:
    by_profile = {}
    exported = 0
    for scn in sorted([*src.glob("scenarios/**/*.scn"), *root.glob("export/*.scn")]):
        for host, sock in sorted(set(made.findall(scn.read_text()))):
            out = pathlib.Path(tmp, f"{scn.stem}-{host}-{sock}.pkt")
            r = subprocess.run([netsim, "run", str(scn.relative_to(src)), "--quiet",
                                "--export-pkt", f"{host}:{sock}", str(out)],
                               cwd=src, capture_output=True, text=True, timeout=120)
            if r.returncode == 2 and ("a listening socket; export a connection" in r.stderr or
                                      "a targeted fault held back" in r.stderr):
                continue
            if r.returncode not in (0, 1) or not out.exists():
                problems.append(f"export {scn.name} {host}:{sock}: exit {r.returncode}\n{r.stderr}")
                continue
            exported += 1
            profile = re.search(r"netsim drill --profile (\w+)", out.read_text()).group(1)
            by_profile.setdefault(profile, []).append(out)
    if exported < 40:
        problems.append(f"--export-pkt: only {exported} connections exported")
    # IPv6 connections are exported with --ip_version=ipv6, their ICMPv6
    # errors with ICMPv6's names
    v6 = [p.read_text() for ps in by_profile.values() for p in ps
          if "\n--ip_version=ipv6\n" in p.read_text()]
    if len(v6) < 7 or not any("< icmp packet_too_big mtu 1280 [" in t for t in v6) or \
            not any("< icmp unreachable admin_prohibited [0:0(0)]" in t for t in v6):
        problems.append(f"--export-pkt: {len(v6)} IPv6 connections exported (7 expected), "
                        "or without their ICMPv6 errors")
    for profile, scripts in by_profile.items():
        d = drill("--profile", profile, "-j", "2", *scripts)
        if d.returncode != 0:
            problems.append(f"exported scripts fail netsim drill --profile {profile}:\n"
                            + "".join(ln + "\n" for ln in d.stdout.splitlines()
                                      if not ln.startswith("ok")))
for kept in sorted((root / "export").glob("*.pkt")):
    first = kept.read_text().splitlines()[0]
    m = re.search(r"from (\S+) \(netsim run --export-pkt (\S+)\)", first)
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp, "x.pkt")
        subprocess.run([netsim, "run", m.group(1), "--quiet", "--export-pkt", m.group(2), str(out)],
                       cwd=src, capture_output=True, timeout=120)
        if not out.exists() or out.read_text() != kept.read_text():
            problems.append(f"{kept}: the export of {m.group(2)} differs from the kept one")

# --export-pkt's refusals: exit 2, a message, no file.
with tempfile.TemporaryDirectory() as tmp:
    out = pathlib.Path(tmp, "x.pkt")
    for args, want in [
        (["cli", "x.pkt"], "--export-pkt takes HOST:SOCKET (a socket as the scenario names it"),
        (["nohost:S", str(out)], "--export-pkt nohost:S: no host is named nohost"),
        (["cli:Nope", str(out)], "--export-pkt cli:Nope: host cli creates no socket named Nope"),
        (["srv:L", str(out)], "--export-pkt srv:L: a listening socket; export a connection it "
                              "accepts (srv:A)"),
        (["cli:S"], "run: --export-pkt takes HOST:SOCKET OUT.pkt"),
    ]:
        r = subprocess.run([netsim, "run", "scenarios/half-close.scn", "--quiet",
                            "--export-pkt", *args], cwd=src, capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 2 or want not in r.stderr or out.exists():
            problems.append(f"--export-pkt {' '.join(args)}: exit {r.returncode}, wanted "
                            f"'{want}':\n{r.stderr}")

for pr in problems:
    print("FAIL:", pr)
print(f"{len(problems)} problem(s)")
sys.exit(1 if problems else 0)
