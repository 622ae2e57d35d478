#!/usr/bin/env python3
"""End-to-end tests of student mode (`netsim run --student`): every output
(text trace, JSON, --explain, the diagrams, the --html page) still shows
every packet, and none shows what gives an exercise's answer away: why a
packet was dropped, targeted faults, filter rules, why a segment was sent
again, what congestion control reacted to, the timeline's faults, the
expectations. Each scenario is first checked to show such a fact without
--student, so that each absence below could fail.

usage: student.py NETSIM SRCROOT
"""
import json
import os
import re
import tempfile

import pagedata

import harness
from harness import check, finish, netsim

harness.TIMEOUT = 120

# Scenario -> a fact its normal trace shows and the student's must not.
SCENARIOS = {
    "faults.scn": "targeted fault",
    "firewall.scn": "filter ssh-block",
    "lost-data.scn": "(fast retransmit)",
    "lossy-transfer.scn": "(link loss",
    "refused.scn": "(no socket)",
    "server-crash.scn": "host   crash",
    "syn-timeout.scn": "targeted fault",
    "time-wait.scn": "expect ok",
}

# Words that say why, in any output: drop reasons, fault and filter
# annotations, retransmission reasons.
WHY = re.compile(r"targeted fault|\bfilter\b|\.scn:\d|no socket|link loss|queue full|no route|"
                 r"host down|link down|retransmission|fast retransmit|tail loss probe|"
                 r"\bRTO\b|duplicate ACK|dup ACK")
RESEND = {"retransmission", "fast retransmit", "SACK retransmission", "tail loss probe"}


def untitled(diagram):
    """A diagram without its title (the teacher's words)."""
    return re.sub(r"<title>.*?</title>|^\s*title .*$|<text[^>]*class=\"title\"[^>]*>.*?</text>", "",
                  diagram, flags=re.M | re.S)


def packets(events):
    """The packets of a run as (t_ns, host, kind, src, dst, flags, len)."""
    return [(e["t_ns"], e["host"], e["kind"], e.get("src"), e.get("dst"), e.get("flags"),
             e.get("len")) for e in events if e["kind"] in ("send", "recv", "fwd", "drop")]


def json_hides(name, events):
    kinds = {e["kind"] for e in events}
    check(f"{name}: no expect, link or host events", not kinds & {"expect", "link", "host"},
          str(kinds))
    drops = [e for e in events if e["kind"] == "drop"]
    check(f"{name}: no drop has a cause or a place",
          all("cause" not in e and "where" not in e and "file" not in e for e in drops),
          str([e for e in drops if "cause" in e or "where" in e][:2]))
    sends = [e for e in events if e["kind"] == "send"]
    check(f"{name}: no send says why it was sent again",
          all(e.get("cause") not in RESEND and "file" not in e for e in sends))
    timers = [e for e in events if e["kind"] == "timer" and e.get("timer") in ("RTO", "TLP", "RACK")]
    check(f"{name}: no loss timer", not timers, str(timers[:1]))
    cc = [e for e in events if e["kind"] == "tcp" and e.get("what") != "state" and "cause" in e]
    check(f"{name}: no window change says what it reacted to", not cc, str(cc[:1]))
    bad = [e for e in events if e["kind"] != "run" and WHY.search(json.dumps({k: v for k, v in e.items()
                                                        if k not in ("bytes", "explain")}))]
    check(f"{name}: no event names a reason", not bad, str(bad[:1]))


def scenario(name, marker, tmp):
    path = f"scenarios/{name}"
    normal = netsim("run", path)
    check(f"{name}: the normal trace shows '{marker}'", marker in normal.stdout)
    student = netsim("run", path, "--student")
    check(f"{name}: --student runs", student.returncode in (0, 1), student.stderr)
    text = student.stdout
    check(f"{name}: text hides '{marker}'", marker not in text)
    lines = [l for l in text.splitlines()[1:] if WHY.search(l)]
    check(f"{name}: no text line names a reason", not lines, str(lines[:2]))
    check(f"{name}: no drop line says why", not any(re.search(r" drop .*\(", l) for l in
                                                    text.splitlines()))
    check(f"{name}: the summary has no filter rules nor expectations",
          "# filter rules" not in text and "# expectations" not in text)

    # JSON: the same packets as the normal run, none with a reason.
    nj = [json.loads(l) for l in netsim("run", path, "--format", "json").stdout.splitlines()]
    sj = [json.loads(l) for l in netsim("run", path, "--format", "json",
                                        "--student").stdout.splitlines()]
    check(f"{name}: JSON keeps every packet", packets(nj) == packets(sj),
          f"{len(packets(nj))} vs {len(packets(sj))}")
    json_hides(f"{name} json", sj)
    check(f"{name}: the JSON summary has no expectations", "expectations" not in sj[-1])

    # --explain: the sentences are about the student's view.
    ex = netsim("run", path, "--student", "--explain", "--color", "never").stdout
    lines = [l for l in ex.splitlines()[1:] if WHY.search(l)]
    check(f"{name}: no explanation names a reason", not lines, str(lines[:2]))

    # Diagrams.
    for ext in ("svg", "mmd"):
        out = os.path.join(tmp, f"d.{ext}")
        netsim("run", path, "--student", "--quiet", "--diagram", out)
        with open(out, encoding="utf-8") as f:
            d = f.read()
        d = untitled(d)
        check(f"{name}: the {ext} diagram names no reason", not WHY.search(d),
              str(WHY.findall(d)[:3]))

    # The page: its events and its diagram.
    page = os.path.join(tmp, "p.html")
    netsim("run", path, "--student", "--quiet", "--html", page)
    with open(page, encoding="utf-8") as f:
        h = f.read()
    ev = pagedata.events(h)
    meta = pagedata.meta(h)
    ev = [e for e in ev if e["kind"] not in ("tables", "frame", "cc")]
    json_hides(f"{name} page", ev)
    check(f"{name}: the page keeps every packet", packets(ev) == packets(nj))
    check(f"{name}: the page says it is for students", meta.get("student") is True)
    d = untitled(pagedata.diagram(h))
    check(f"{name}: the page's diagram names no reason", not WHY.search(d), str(WHY.findall(d)[:3]))


with tempfile.TemporaryDirectory() as tmp:
    for name, marker in SCENARIOS.items():
        scenario(name, marker, tmp)
finish()
