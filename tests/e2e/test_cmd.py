#!/usr/bin/env python3
"""End-to-end tests of `netsim test`: verdicts, exit codes, the summary line,
trace diffs, failed expectations, --update, -j, --shard, --seeds and JUnit.

Works in a temporary copy of tests/e2e/testcmd/, where it writes the golden
traces with `netsim run` (so they follow the trace format of the binary
under test) and then changes one line of one of them.

usage: test_cmd.py NETSIM SRCROOT
"""
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

NETSIM, ROOT = os.path.abspath(sys.argv[1]), sys.argv[2]
FIXTURES = pathlib.Path(ROOT) / "tests" / "e2e" / "testcmd"
failures = 0
count = 0


def check(name, cond, detail=""):
    global failures, count
    count += 1
    if cond:
        print(f"ok   {name}")
    else:
        failures += 1
        print(f"FAIL {name}\n{detail}")


def masked(text):
    """The report with its timings masked."""
    return re.sub(r"\(\d+ ms\)", "(T ms)", text)


def summary(text):
    lines = text.rstrip("\n").split("\n")
    return lines[-1] if lines else ""


def verdicts(text):
    """{path: 'ok'|'FAIL'|'skip'} from the per-scenario lines."""
    out = {}
    for line in text.split("\n"):
        m = re.match(r"^(ok  |FAIL|skip) (\S+?)(?::| \()", line)
        if m:
            out[m.group(2)] = m.group(1).strip()
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        shutil.copytree(FIXTURES, work / "testcmd")

        def netsim(*args):
            return subprocess.run([NETSIM, *args], cwd=work, capture_output=True, text=True,
                                  timeout=120)

        suite = work / "testcmd" / "suite"
        # Golden traces from the binary itself, as tests/e2e/golden.py does.
        for rel in ["testcmd/suite/pass.scn", "testcmd/suite/more/golden-differs.scn"]:
            p = netsim("run", rel)
            (work / rel.replace(".scn", ".trace")).write_text(p.stdout)
        differs = suite / "more" / "golden-differs.trace"
        good_trace = differs.read_text()
        lines = good_trace.split("\n")
        idx = next(i for i, l in enumerate(lines) if re.search(r" srv +recv .* UDP 11B$", l))
        new_line = lines[idx]
        old_line = new_line.replace("UDP 11B", "UDP 12B")
        diff_time = new_line.split()[0]
        lines[idx] = old_line
        differs.write_text("\n".join(lines))

        # ---- one run over the whole suite ----
        p = netsim("test", "testcmd/suite", "-j", "1")
        out = p.stdout
        check("a bad file makes the exit status 2", p.returncode == 2, out + p.stderr)
        check("summary line counts passed, failed (bad included) and skipped",
              summary(out) == "1 passed, 3 failed, 1 skipped", out)
        order = [l.split()[1].rstrip(":") for l in out.split("\n")
                 if re.match(r"^(ok  |FAIL|skip) ", l)]
        check("scenarios are found recursively and run in path order", order == [
            "testcmd/suite/expect-fails.scn", "testcmd/suite/malformed.scn",
            "testcmd/suite/more/golden-differs.scn", "testcmd/suite/pass.scn",
            "testcmd/suite/skipped.scn"], str(order))
        check("one line per scenario with its time",
              re.search(r"^ok   testcmd/suite/pass\.scn \(\d+ ms\)$", out, re.M) is not None
              and re.search(r"^FAIL testcmd/suite/expect-fails\.scn \(\d+ ms\)$", out, re.M)
              is not None, out)
        check("skipped scenario line gives the reason",
              "skip testcmd/suite/skipped.scn (waiting for TCP)" in out, out)
        check("malformed file: FAIL line and the parser's FILE:LINE:COL messages",
              re.search(r"^FAIL testcmd/suite/malformed\.scn: bad scenario file", out, re.M)
              and re.search(r"^testcmd/suite/malformed\.scn:5:6: error: host 'a' already",
                            out, re.M)
              and re.search(r"^testcmd/suite/malformed\.scn:6:4: error: ", out, re.M), out)
        check("trace diff: the changed line as - and +",
              ("    -" + old_line + "\n    +" + new_line + "\n") in out, out)
        check("trace diff: headed with the simulated time of the first difference",
              f"first difference at simulated time {diff_time} s" in out, out)
        check("trace diff: unified headers and a hunk with 3 lines of context",
              "    --- testcmd/suite/more/golden-differs.trace\n" in out
              and re.search(r"^    @@ -\d+,7 \+\d+,7 @@$", out, re.M) is not None, out)
        check("failed expectation: the expect line with file:line",
              "expectation failed: testcmd/suite/expect-fails.scn:13: "
              "expect a ping 10.0.0.2 received 3" in out, out)
        check("failed expectation: where it was evaluated and what was seen",
              re.search(r"evaluated at simulated time 1\.\d+ s \(trace line \d+\): "
                        r"ping 10\.0\.0\.2 received 3 \(got 2\)", out) is not None, out)
        check("the expectation that held is not reported",
              "received 2\n" not in out.replace("(got 2)", ""), out)

        # ---- exit codes without the bad file ----
        p = netsim("test", "testcmd/suite/pass.scn")
        check("a passing scenario exits 0", p.returncode == 0
              and summary(p.stdout) == "1 passed, 0 failed", p.stdout + p.stderr)
        p = netsim("test", "testcmd/suite/pass.scn", "testcmd/suite/more")
        check("a failing scenario exits 1", p.returncode == 1
              and summary(p.stdout) == "1 passed, 1 failed", p.stdout)
        p = netsim("test", "./testcmd//suite/../suite/pass.scn")
        check("paths are normalised relative to the current directory",
              p.returncode == 0 and "ok   testcmd/suite/pass.scn (" in p.stdout, p.stdout)
        p = netsim("test", str(suite / "pass.scn"))
        check("an absolute path below the current directory is made relative",
              p.returncode == 0 and "ok   testcmd/suite/pass.scn (" in p.stdout, p.stdout)
        p = netsim("test", "testcmd/suite/pass.scn", "testcmd/suite/pass.scn", "testcmd/suite")
        check("a scenario named twice runs once", p.stdout.count("suite/pass.scn (") == 1,
              p.stdout)
        p = netsim("test", "testcmd/suite", "--quiet")
        check("--quiet prints failures and the summary only",
              "ok   " not in p.stdout and "skip " not in p.stdout
              and "FAIL testcmd/suite/expect-fails.scn" in p.stdout
              and summary(p.stdout) == "1 passed, 3 failed, 1 skipped", p.stdout)
        p = netsim("test", "testcmd/nowhere")
        check("a missing path exits 2 and names it",
              p.returncode == 2 and "testcmd/nowhere" in p.stderr, p.stderr)
        for bad in (["--seeds", "5..2"], ["--seeds", "x"], ["-j", "0"], ["--shard", "3/2"],
                    ["--shard", "0/2"], ["--bogus"]):
            p = netsim("test", "testcmd/suite", *bad)
            check(f"bad usage {' '.join(bad)} exits 2", p.returncode == 2 and p.stdout == "",
                  p.stdout + p.stderr)
        p = netsim("test", "--help")
        check("test --help lists the options", p.returncode == 0 and "--shard" in p.stdout,
              p.stdout)

        # ---- -j ----
        p1 = netsim("test", "testcmd", "-j", "1")
        p2 = netsim("test", "testcmd", "-j", "2")
        p8 = netsim("test", "testcmd", "-j8")
        check("-j 2 and -j 1 give the same verdicts and exit status",
              verdicts(p1.stdout) == verdicts(p2.stdout) and p1.returncode == p2.returncode,
              p1.stdout + "\n---\n" + p2.stdout)
        check("-j 2, -j8 and -j 1 give the same report, timings masked",
              masked(p1.stdout) == masked(p2.stdout) == masked(p8.stdout),
              p1.stdout + "\n---\n" + p2.stdout)

        # ---- --shard ----
        all_cases = set(verdicts(p1.stdout))
        seen = []
        for k in (1, 2):
            p = netsim("test", "testcmd", "--shard", f"{k}/2")
            seen.extend(verdicts(p.stdout))
            check(f"--shard {k}/2 keeps the verdicts of the full run",
                  all(verdicts(p1.stdout)[c] == v for c, v in verdicts(p.stdout).items()),
                  p.stdout)
        check("--shard 1/2 and 2/2 cover every scenario exactly once",
              sorted(seen) == sorted(all_cases) and len(seen) == len(all_cases) == 6,
              str(seen))
        ordered = sorted(all_cases)
        p = netsim("test", "testcmd", "--shard", "1/2")
        check("--shard K/N takes the scenarios whose index i has i % N == K-1",
              list(verdicts(p.stdout)) == ordered[0::2], p.stdout)
        p = netsim("test", "testcmd/suite/pass.scn", "--shard", "2/2")
        check("an empty shard passes", p.returncode == 0
              and summary(p.stdout) == "0 passed, 0 failed", p.stdout)

        # ---- --junit ----
        junit = work / "report" / "junit.xml"
        junit.parent.mkdir()
        p = netsim("test", "testcmd/suite", "--junit", str(junit))
        root = ET.parse(junit).getroot()
        ts = root if root.tag == "testsuite" else root.find("testsuite")
        counts = {k: ts.get(k) for k in ("tests", "failures", "errors", "skipped")}
        check("JUnit report parses and has the right counts",
              counts == {"tests": "5", "failures": "2", "errors": "1", "skipped": "1"},
              str(counts))
        cases = {c.get("file"): c for c in ts.findall("testcase")}
        check("JUnit: one test case per scenario", len(cases) == 5, str(list(cases)))
        fail = cases["testcmd/suite/more/golden-differs.scn"].find("failure")
        check("JUnit failure holds the diff",
              fail is not None and ("+" + new_line) in fail.text
              and diff_time in fail.get("message"),
              ET.tostring(fail if fail is not None else root).decode()[:2000])
        fail = cases["testcmd/suite/expect-fails.scn"].find("failure")
        check("JUnit failure holds the failed expectation",
              fail is not None and "received 3 (got 2)" in fail.get("message")
              and "expect-fails.scn:13" in fail.text)
        check("JUnit error for the bad file, skipped for the skipped one",
              cases["testcmd/suite/malformed.scn"].find("error") is not None
              and cases["testcmd/suite/skipped.scn"].find("skipped") is not None)
        check("JUnit report is written atomically (no temporary file left)",
              os.listdir(junit.parent) == ["junit.xml"], str(os.listdir(junit.parent)))
        check("--junit does not change the console report",
              masked(p.stdout) == masked(netsim("test", "testcmd/suite").stdout))

        # ---- --seeds ----
        lossy = "testcmd/seeds/lossy.scn"
        rcs = {s: netsim("run", lossy, "--seed", str(s)).returncode for s in range(1, 11)}
        failing = [s for s in range(1, 11) if rcs[s] != 0]
        p = netsim("test", "testcmd", "--seeds", "1..10", "--junit", str(junit))
        ts = ET.parse(junit).getroot().find("testsuite")
        per = {}
        for c in ts.findall("testcase"):
            per.setdefault(c.get("file"), []).append(c.get("name"))
        check("--seeds 1..10: one JUnit test case per seed and scenario",
              per["testcmd/suite/pass.scn"] == [f"pass.scn seed {s}" for s in range(1, 11)]
              and len(per[lossy]) == 10, str(per))
        check("--seeds: the golden trace applies to the file's own seed only",
              verdicts(p.stdout)["testcmd/suite/pass.scn"] == "ok"
              and "ok   testcmd/suite/pass.scn: seeds 1..10 (" in p.stdout, p.stdout)
        if failing:
            check("--seeds reports the first failing seed and how many failed",
                  f"FAIL {lossy}: seed {failing[0]} failed first, {len(failing)} of seeds "
                  "1..10 failed" in p.stdout, f"{failing}\n{p.stdout}")
            lf = [c for c in ts.findall("testcase") if c.get("file") == lossy]
            check("--seeds: JUnit marks exactly the failing seeds",
                  [int(c.get("name").split()[-1]) for c in lf if c.find("failure") is not None]
                  == failing, str(failing))
        check("--seeds: expectations apply to every seed",
              (verdicts(p.stdout)[lossy] == "FAIL") == bool(failing), p.stdout)
        p = netsim("test", "testcmd/suite/pass.scn", "--seeds", "1..5", "--junit", str(junit))
        n = len(ET.parse(junit).getroot().find("testsuite").findall("testcase"))
        check("--seeds 1..5 runs 5 times per scenario", n == 5 and p.returncode == 0, str(n))
        p1 = netsim("test", "testcmd", "--seeds", "1..6", "-j", "1")
        p3 = netsim("test", "testcmd", "--seeds", "1..6", "-j", "3")
        check("--seeds with -j 3 gives the -j 1 report", masked(p1.stdout) == masked(p3.stdout),
              p1.stdout + "\n---\n" + p3.stdout)

        # ---- diffs of larger changes, checked by applying them ----
        golden = suite / "pass.trace"
        good = golden.read_text()
        rng = random.Random(6)
        for trial in range(5):
            g = good.split("\n")[:-1]
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(1, len(g))
                op = rng.choice(["del", "ins", "chg"])
                if op == "del":
                    del g[i]
                elif op == "ins":
                    g.insert(i, f"   9.{trial:09d} pc   app    inserted line {i}")
                else:
                    g[i] = g[i] + " (changed)"
            golden.write_text("\n".join(g) + "\n")
            p = netsim("test", "testcmd/suite/pass.scn")
            body = [l[4:] for l in p.stdout.split("\n") if l.startswith("    ")]
            want = good.split("\n")[:-1]
            edits = sum(1 for l in body if l[:1] in "-+" and l[:3] not in ("---", "+++"))
            check(f"random edit {trial}: the diff turns the golden trace into the run's, "
                  "with the fewest lines changed",
                  apply_unified(g, body) == want
                  and edits == len(g) + len(want) - 2 * lcs_len(g, want), p.stdout)
        golden.write_text(good)
        golden.write_text(good[:-1])  # only the final newline missing
        p = netsim("test", "testcmd/suite/pass.scn")
        check("a missing final newline is a difference, and the diff says so",
              p.returncode == 1 and "\\ No newline at end of file" in p.stdout, p.stdout)
        golden.write_text(good)

        # ---- long traces: the diff is capped, and quick even when all differs ----
        big = work / "testcmd" / "big"
        big.mkdir()
        (big / "long.scn").write_text("network lan 10.0.0.0/24 delay 1ms\nhost a 10.0.0.1\n"
                                      "host b 10.0.0.2\n"
                                      "at 0s a ping 10.0.0.2 count 500 interval 10ms\n")
        long_trace = netsim("run", "testcmd/big/long.scn").stdout
        lt = long_trace.split("\n")
        for name, edit in (("every 7th line", lambda i, l: l + " x" if i % 7 == 3 else l),
                           ("every line", lambda i, l: l + " x" if l else l)):
            (big / "long.trace").write_text("\n".join(edit(i, l) for i, l in enumerate(lt)))
            p = netsim("test", "testcmd/big")
            shown = [l for l in p.stdout.split("\n") if re.match(r"^    [-+ @\\]", l)]
            check(f"{len(lt)}-line trace, {name} changed: diff cut at 200 lines",
                  p.returncode == 1 and 200 <= len(shown) <= 203
                  and re.search(r"^    \.\.\. \d+ more diff lines not shown$", p.stdout, re.M)
                  is not None, p.stdout[-2000:])

        # ---- --update ----
        os.chmod(differs, 0o640)
        p = netsim("test", "testcmd/suite/more", "testcmd/suite/pass.scn", "--update")
        check("--update names the golden traces it changed",
              "    updated testcmd/suite/more/golden-differs.trace (+1 -1 lines)" in p.stdout
              and "1 golden trace updated\n" in p.stdout and "pass.trace" not in p.stdout,
              p.stdout)
        check("--update passes the scenarios whose trace it rewrote",
              p.returncode == 0 and summary(p.stdout) == "2 passed, 0 failed", p.stdout)
        check("--update writes exactly what netsim run prints",
              differs.read_text() == good_trace)
        check("--update keeps the file mode of the golden trace",
              differs.stat().st_mode & 0o777 == 0o640, oct(differs.stat().st_mode))
        p = netsim("test", "testcmd/suite/more", "testcmd/suite/pass.scn")
        check("after --update, a second run passes",
              p.returncode == 0 and summary(p.stdout) == "2 passed, 0 failed", p.stdout)
        p = netsim("test", "testcmd/suite/expect-fails.scn", "--update")
        check("--update creates no golden trace and still fails expectations",
              p.returncode == 1 and not (suite / "expect-fails.trace").exists()
              and "0 golden traces updated" in p.stdout, p.stdout)
        check("--update leaves no temporary file",
              sorted(os.listdir(suite / "more")) == ["golden-differs.scn",
                                                     "golden-differs.trace"],
              str(os.listdir(suite / "more")))

    print(f"{count - failures} of {count} checks passed")
    return 1 if failures else 0


def lcs_len(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def apply_unified(old, body):
    """Apply the hunks of a unified diff (header lines before '@@' ignored)."""
    out, pos, i = [], 0, 0
    while i < len(body) and not body[i].startswith("@@"):
        i += 1
    while i < len(body):
        m = re.match(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$", body[i])
        if not m:
            break
        start = int(m.group(1))
        count = int(m.group(2)) if m.group(2) is not None else 1
        start = start - 1 if count else start
        out.extend(old[pos:start])
        pos = start
        i += 1
        while i < len(body) and body[i][:1] in (" ", "-", "+", "\\"):
            tag, text = body[i][:1], body[i][1:]
            if tag == " ":
                if pos >= len(old) or old[pos] != text:
                    return None  # context that is not in the old file
                out.append(old[pos])
                pos += 1
            elif tag == "-":
                if pos >= len(old) or old[pos] != text:
                    return None
                pos += 1
            elif tag == "+":
                out.append(text)
            i += 1
    out.extend(old[pos:])
    return out


if __name__ == "__main__":
    sys.exit(main())
