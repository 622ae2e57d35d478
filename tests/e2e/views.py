#!/usr/bin/env python3
"""End-to-end tests of what people see of a run, through the netsim command:
socket-count expectations (`sockets`), the trace filters (`filters`).

usage: views.py NETSIM SRCROOT GROUP
"""
import html
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import harness
from harness import ROOT, check, finish, netsim

harness.TIMEOUT = 120
GROUP = sys.argv[3]


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


def trace_lines(stdout):
    """The event lines of a text trace, without header and summary."""
    return [l for l in stdout.splitlines() if l and not l.startswith("#") and l[:1] == " "
            and len(l.split()) >= 3 and l.split()[0][0].isdigit()]


def summary(stdout):
    return [l for l in stdout.splitlines() if l.startswith("#")]


def group_filters(tmp):
    scn = "scenarios/ports-vs-sockets.scn"
    full = netsim("run", scn)
    check("filters: the unfiltered run passes", full.returncode == 0, full.stderr)
    lines = trace_lines(full.stdout)
    kinds = {l.split()[2] for l in lines}
    check("filters: the scenario shows arp, timer and tcp lines",
          {"arp", "timer", "tcp", "send", "recv"} <= kinds, kinds)

    p = netsim("run", scn, "--only", "arp")
    got = trace_lines(p.stdout)
    check("filters: --only arp shows exactly the arp lines, in order",
          got == [l for l in lines if l.split()[2] == "arp"] and got, got[:3])
    check("filters: --only leaves the summary as it was", summary(p.stdout) == summary(full.stdout))

    p = netsim("run", scn, "--hide", "arp,TIMER")
    got = trace_lines(p.stdout)
    check("filters: --hide arp,timer shows every other line, in order",
          got == [l for l in lines if l.split()[2] not in ("arp", "timer")])
    check("filters: --hide leaves the summary as it was", summary(p.stdout) == summary(full.stdout))

    p = netsim("run", scn, "--only", "tcp,send,timer", "--hide", "timer")
    got = trace_lines(p.stdout)
    check("filters: --hide removes from what --only keeps",
          got == [l for l in lines if l.split()[2] in ("tcp", "send")])

    p = netsim("run", scn, "--host", "www")
    got = trace_lines(p.stdout)
    check("filters: --host www shows www's lines and the run-wide ones, in order",
          got == [l for l in lines if l.split()[1] in ("www", "-")] and got, got[:3])
    check("filters: --host leaves the summary as it was", summary(p.stdout) == summary(full.stdout))

    p = netsim("run", scn, "--host", "b2", "--only", "tcp")
    got = trace_lines(p.stdout)
    check("filters: --host and --only together",
          got == [l for l in lines if l.split()[1] == "b2" and l.split()[2] == "tcp"] and got)

    jfull = [json.loads(l) for l in netsim("run", scn, "--format", "json").stdout.splitlines()]
    p = netsim("run", scn, "--format", "json", "--only", "tcp", "--host", "www")
    jgot = [json.loads(l) for l in p.stdout.splitlines()]
    check("filters: JSON keeps the run header and the full summary",
          jgot[0] == jfull[0] and jgot[-1] == jfull[-1])
    check("filters: JSON --only tcp --host www keeps exactly those events",
          jgot[1:-1] == [e for e in jfull[1:-1] if e["kind"] == "tcp" and e.get("host") == "www"]
          and len(jgot) > 2)

    p = netsim("run", "scenarios/refused.scn", "--explain", "--only", "tcp")
    out = p.stdout.splitlines()
    check("filters: --explain --only tcp explains the tcp lines and shows nothing else",
          all(l.startswith("#") or l.startswith(" " * 20) or l.split()[2] == "tcp" for l in out)
          and any(l.startswith(" " * 20) for l in out), out[:6])

    p = netsim("run", scn, "--sock", "5")
    got = trace_lines(p.stdout)
    check("filters: --sock 5 starts where the listener creates socket #5",
          got and "new socket #5 from listener #1" in got[0], got[:2])
    check("filters: --sock 5 shows only www's lines of that connection",
          all(l.split()[1] == "www" and ("10.0.0.1:49152" in l) for l in got), got[:5])
    check("filters: --sock 5 leaves the other connections out",
          not any("10.0.0.2:49152" in l or "10.0.0.3:49152" in l for l in got))
    check("filters: --sock leaves the summary as it was", summary(p.stdout) == summary(full.stdout))
    p = netsim("run", scn, "--sock", "#1", "--only", "tcp")
    got = trace_lines(p.stdout)
    check("filters: --sock #1 (the listener) shows it listening and creating #5, #6, #7",
          len(got) == 4 and "LISTEN" in got[0]
          and [("#%d" % n) in got[i + 1] for i, n in enumerate((5, 6, 7))] == [True] * 3, got)
    p = netsim("run", scn, "--sock", "0")
    check("filters: --sock 0 exits 2", p.returncode == 2 and "--sock" in p.stderr, p.stderr)

    p = netsim("run", scn, "--only", "tcp,segment")
    check("filters: an unknown kind exits 2 and lists the kinds",
          p.returncode == 2 and "'segment' is no kind" in p.stderr and "arp" in p.stderr, p.stderr)
    p = netsim("run", scn, "--host", "nobody")
    check("filters: an unknown host exits 2 and names it",
          p.returncode == 2 and "--host nobody" in p.stderr and p.stdout == "", p.stderr)


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]

# Runs in the browser over every diagram of the page: what was laid out, as
# the rendering engine measured it (text widths are the font's, not guessed).
PROBE = """
const out = {};
for (const sec of document.querySelectorAll('section')) {
  const svg = sec.querySelector('svg');
  const r = {lifelines: {}, heads: [], notes: [], overflow: [], outside: [], unrendered: 0};
  const hosts = {};
  for (const g of svg.querySelectorAll('g.host'))
    hosts[g.dataset.host] = g.querySelector('rect').getBBox();
  for (const g of svg.querySelectorAll('g.lifeline')) {
    const host = g.dataset.host, t = g.querySelector('text'), box = g.querySelector('rect');
    r.lifelines[host] = (r.lifelines[host] || 0) + 1;
    r.heads.push([host, t.textContent]);
    if (g.getBoundingClientRect().height <= 0) r.unrendered++;
    if (t.getComputedTextLength() > box.getBBox().width) r.overflow.push(t.textContent);
    const x = g.querySelector('line').x1.baseVal.value, hb = hosts[host];
    if (!hb || x < hb.x || x > hb.x + hb.width) r.outside.push(t.textContent);
  }
  for (const g of svg.querySelectorAll('g.note')) {
    const t = g.querySelector('text');
    r.notes.push(t.textContent);
    if (t.getComputedTextLength() > g.querySelector('rect').getBBox().width)
      r.overflow.push(t.textContent);
  }
  out[sec.dataset.name] = r;
}
document.getElementById('result').textContent = JSON.stringify(out);
"""


def render_in_chromium(tmp, svgs):
    """Put the SVG diagrams {name: text} in one page, open it in headless
    Chromium and return what PROBE measured, per diagram."""
    body = []
    for name, text in svgs.items():
        text = re.sub(r"^<\?xml[^>]*>\s*", "", text)
        body.append(f'<section data-name="{html.escape(name)}">{text}</section>')
    page = tmp / "diagrams.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                    + "".join(body) + "<pre id='result'></pre><script>" + PROBE
                    + "</script></body></html>", encoding="utf-8")
    profile = tmp / "profile"
    p = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                        page.as_uri()], capture_output=True, text=True, timeout=300)
    m = re.search(r"<pre id=\"result\">(.*?)</pre>", p.stdout, re.S)
    if not m or not m.group(1):
        return None, p.stderr[-2000:]
    return json.loads(html.unescape(m.group(1))), ""


def scenario_files():
    return sorted(str(p.relative_to(ROOT)) for p in pathlib.Path(ROOT, "scenarios").glob("*.scn"))


def group_browser(tmp):
    svgs = {}
    for scn in scenario_files():
        name = pathlib.Path(scn).stem
        out = tmp / (name + ".svg")
        p = netsim("run", scn, "-q", "--diagram", str(out))
        if p.returncode not in (0, 1):
            check(f"browser: {scn} draws a diagram", False, p.stderr)
            continue
        svgs[name] = out.read_text(encoding="utf-8")
    seen, err = render_in_chromium(tmp, svgs)
    check("browser: Chromium renders every scenario's diagram", seen is not None
          and sorted(seen) == sorted(svgs), err)
    if seen is None:
        return
    for name, r in sorted(seen.items()):
        check(f"browser: {name}: every lifeline is drawn inside its host's box",
              r["unrendered"] == 0 and not r["outside"], r["outside"])
        check(f"browser: {name}: no text runs out of its box", not r["overflow"], r["overflow"])
        check(f"browser: {name}: no note has a '?' for what it does not know",
              not [n for n in r["notes"] if "?" in n], [n for n in r["notes"] if "?" in n])


GROUPS = {"sockets": group_sockets, "filters": group_filters, "browser": group_browser}
CHROMIUM = shutil.which("chromium")
if GROUP == "browser" and not CHROMIUM:
    print("FAIL browser: the chromium command is not installed (Debian package chromium)")
    sys.exit(1)

with tempfile.TemporaryDirectory() as tmpdir:
    GROUPS[GROUP](pathlib.Path(tmpdir))
finish()
