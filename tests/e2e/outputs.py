#!/usr/bin/env python3
"""End-to-end tests of netsim run's outputs beyond the text trace, over every
scenarios/*.scn:

  json     every line of --format json parses; the JSON stream carries the
           same events as the text trace (same kinds, same times, same order);
           every event about a socket carries its id, an accepted socket the
           id of the listener it came from; two runs give the same bytes
  pcap     --pcap (and --pcap-at the first host) opens in tshark with no
           malformed packet, no bad checksum and no expert warning a real
           stack would not cause (skipped only when tshark is not installed);
           tshark's TCP conversations agree with the flow summary; two runs
           write the same bytes
  diagram  --diagram X.svg parses as XML; every endpoint the trace shows a
           packet leave from is a lifeline (its socket, a listener bound to
           any address, or the host itself); X.mmd is Mermaid with the same
           participants in the same order; other extensions are usage errors
  files    -o, --pcap and --diagram leave no file (and no temporary) when the
           run fails, and complete files when it succeeds
  colour   no ANSI escape when piped or with NO_COLOR; colour on a terminal
  explain  --explain output matches the golden scenarios/NAME.explain

usage: outputs.py NETSIM SRCROOT CHECK [--update]
"""
import collections
import difflib
import json
import os
import pathlib
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

EXPLAIN_GOLDEN = ["scenarios/udp-closed-port.scn", "scenarios/udp-echo.scn", "scenarios/browser.scn",
                  "scenarios/ports-vs-sockets.scn", "scenarios/refused.scn",
                  "scenarios/zero-window.scn"]
TEXT_EVENT = re.compile(r"^\s*(-?\d+)\.(\d{9}) (\S+)\s+(\S+)")
SVG = "{http://www.w3.org/2000/svg}"

# Expert infos a real stack causes in a capture: TCP telling retransmissions,
# resets, windows, keep-alives and duplicates reported by D-SACK apart. Anything else at warning level or
# above (malformed, checksum, protocol errors) fails.
REAL_STACK_EXPERT = re.compile(
    r"retransmission|Previous segment|ACKed segment that wasn't captured|Connection reset|"
    r"[Zz]ero window|[Ww]indow (update|full)|Keep-Alive|Dup(licate)? ACK|out-of-order|"
    r"Spurious|Connection finish|Connection establish|port numbers reused|completely full|"
    r"D-SACK",
    re.I)


def run(netsim, root, *args, **kw):
    return subprocess.run([netsim, "run", *args], cwd=root, capture_output=True, timeout=300,
                          **kw)


def scenarios(root):
    return sorted(str(p.relative_to(root)) for p in pathlib.Path(root, "scenarios").glob("*.scn"))


class Failures:
    def __init__(self):
        self.items = []

    def add(self, msg):
        self.items.append(msg)
        print("FAIL: " + msg)


def text_events(out):
    evs = []
    for line in out.decode().splitlines():
        if line.startswith("#"):
            continue
        m = TEXT_EVENT.match(line)
        if not m:
            continue
        secs, nanos, _host, kind = m.groups()
        sign = -1 if secs.startswith("-") else 1
        evs.append((sign * (abs(int(secs)) * 10**9 + int(nanos)), kind))
    return evs


def check_json(netsim, root, fail):
    for scn in scenarios(root):
        text = run(netsim, root, scn)
        js = run(netsim, root, scn, "--format", "json")
        js2 = run(netsim, root, scn, "--format", "json")
        if js.returncode != text.returncode:
            fail.add(f"{scn}: --format json exited {js.returncode}, text {text.returncode}")
            continue
        if js.stdout != js2.stdout:
            fail.add(f"{scn}: two JSON runs differ")
        events, meta = [], collections.Counter()
        sockets = {}  # id -> what is known of it: listening, parent
        expects = []  # (t_ns, ok, file, line) of the expect events
        for n, line in enumerate(js.stdout.decode().splitlines(), 1):
            try:
                obj = json.loads(line)
            except ValueError as e:
                fail.add(f"{scn}: JSON line {n} does not parse: {e}: {line[:120]}")
                continue
            if not isinstance(obj, dict) or "kind" not in obj or "t_ns" not in obj:
                fail.add(f"{scn}: JSON line {n} lacks kind or t_ns")
                continue
            if obj["kind"] in ("run", "summary", "sockets"):
                meta[obj["kind"]] += 1
                if obj["kind"] == "summary":
                    for p in summary_problems(obj, expects):
                        fail.add(f"{scn}: JSON summary: {p}")
            else:
                if obj["kind"] == "expect":
                    expects.append((obj["t_ns"], obj["ok"], obj.get("file"), obj.get("line")))
                events.append((obj["t_ns"], obj["kind"]))
                for p in socket_id_problems(obj, sockets):
                    fail.add(f"{scn}: JSON line {n}: {p}")
        if meta["run"] != 1 or meta["summary"] != 1:
            fail.add(f"{scn}: JSON needs one run and one summary object, got {dict(meta)}")
        want = text_events(text.stdout)
        if events != want:
            a = collections.Counter(k for _, k in want)
            b = collections.Counter(k for _, k in events)
            fail.add(f"{scn}: JSON events differ from the text trace: text {len(want)} {dict(a)},"
                     f" json {len(events)} {dict(b)}")
        # The same stream with explanations and socket tables still parses.
        more = run(netsim, root, scn, "--format", "json", "--explain", "--sockets-at", "0.5s")
        for n, line in enumerate(more.stdout.decode().splitlines(), 1):
            try:
                json.loads(line)
            except ValueError as e:
                fail.add(f"{scn}: --explain --sockets-at JSON line {n}: {e}")
                break
        print(f"ok: {scn}: {len(events)} JSON events match the text trace")
    # Congestion samples: only when asked, the same in text and JSON, each
    # about a socket and with every number.
    scn = "scenarios/lossy-transfer.scn"
    plain = text_events(run(netsim, root, scn).stdout)
    text = text_events(run(netsim, root, scn, "--cc-samples").stdout)
    js = [json.loads(l) for l in run(netsim, root, scn, "--cc-samples", "--format", "json")
          .stdout.decode().splitlines()]
    samples = [o for o in js if o["kind"] == "cc"]
    if any(k == "cc" for _, k in plain):
        fail.add(f"{scn}: cc lines without --cc-samples")
    if not samples or [e for e in text if e[1] != "cc"] != plain:
        fail.add(f"{scn}: --cc-samples: {len(samples)} samples, other events changed")
    if [(o["t_ns"], o["kind"]) for o in js if o["kind"] not in ("run", "summary", "sockets")] \
            != text:
        fail.add(f"{scn}: --cc-samples: JSON events differ from the text trace")
    for o in samples:
        if not all(isinstance(o.get(k), int) for k in ("cwnd", "ssthresh", "in_flight", "srtt_ns",
                                                         "rto_ns")) or "id" not in o["sock"]:
            fail.add(f"{scn}: --cc-samples: incomplete sample {o}")
            break
    print(f"ok: {scn}: {len(samples)} congestion samples with --cc-samples, none without")


def summary_problems(obj, expects):
    """The summary's data agree with its text lines and with the expect
    events of the run."""
    problems = []
    lines = obj.get("lines", [])
    flows, hosts, links = obj.get("flows"), obj.get("hosts"), obj.get("links")
    if not all(isinstance(x, list) for x in (flows, hosts, links)):
        return ["no flows, hosts and links arrays"]
    def section(title):
        out, on = [], False
        for l in lines:
            if not l.startswith("  "):
                on = l.startswith(title)
            elif on:
                out.append(l.split())
        return out
    if len(section("flows")) != len(flows):
        problems.append(f"{len(flows)} flow objects, {len(section('flows'))} flow lines")
    for row, h in zip(section("hosts"), hosts):
        if row[:5] != [h["name"], str(h["sent"]), str(h["received"]), str(h["forwarded"]),
                       str(h["dropped"])]:
            problems.append(f"host object {h} differs from its line {row}")
    for row, l in zip(section("links"), links):
        if row[:3] != [l["name"], str(l["frames"]), str(l["dropped"])]:
            problems.append(f"link object {l} differs from its line {row}")
    if len(section("hosts")) != len(hosts) or len(section("links")) != len(links):
        problems.append("as many host and link objects as lines")
    results = obj.get("expectations", {}).get("results", [])
    got = [(r["t_ns"], r["ok"], r.get("file"), r.get("line")) for r in results]
    if got != expects:
        problems.append(f"expectation results {got} differ from the expect events {expects}")
    return problems


def socket_id_problems(obj, sockets):
    """Socket identity in one JSON event: every socket-centred event has
    sock.id; an accepted socket has the id of a listener as its parent, on
    every event about it."""
    kind = obj["kind"]
    if kind in ("send", "recv") and "sock" in obj:
        sock = obj["sock"]
        info = sockets.get(sock.get("id"))
        if info is None:
            return [f"{kind} by socket #{sock.get('id')} before any event of that socket"]
        if sock.get("parent") != info.get("parent"):
            return [f"{kind} by socket #{sock['id']} has parent {sock.get('parent')}, "
                    f"earlier {info.get('parent')}"]
        return []
    if kind not in ("sock", "tcp", "timer", "icmp") or (kind == "icmp" and "sock" not in obj):
        return []
    sock = obj.get("sock")
    if not isinstance(sock, dict) or not isinstance(sock.get("id"), int) or sock["id"] < 1:
        return [f"{kind} event without a socket id"]
    info = sockets.setdefault(sock["id"], {})
    problems = []
    if kind == "tcp" and obj.get("to") == "LISTEN":
        info["listening"] = True
    if kind == "tcp" and obj.get("cause") == "rcv SYN on a listener":
        parent = sock.get("parent")
        if not sockets.get(parent, {}).get("listening"):
            problems.append(f"accepted socket #{sock['id']} has parent {parent}, not a listener")
        info["parent"] = parent
    if sock.get("parent") != info.get("parent"):
        problems.append(f"socket #{sock['id']} has parent {sock.get('parent')}, "
                        f"earlier {info.get('parent')}")
    return problems


def tshark_problems(path):
    """Expert infos of warning level and above, and malformed frames."""
    p = subprocess.run(
        ["tshark", "-r", path, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
         "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-e", "frame.number",
         "-e", "_ws.expert.severity", "-e", "_ws.expert.message", "-e", "_ws.malformed",
         "-e", "icmpv6.type", "-e", "icmpv6.checksum.status"],
        capture_output=True, timeout=300)
    if p.returncode != 0:
        return 0, [f"tshark failed: {p.stderr.decode(errors='replace').strip()}"]
    problems, frames = [], 0
    warn = 6291456  # PI_WARN
    for line in p.stdout.decode(errors="replace").splitlines():
        cols = line.split("\t")
        frames += 1
        num = cols[0]
        sev = [int(s) for s in (cols[1].split(",") if len(cols) > 1 and cols[1] else [])]
        msgs = cols[2].split(",") if len(cols) > 2 and cols[2] else []
        if len(cols) > 3 and cols[3]:
            problems.append(f"frame {num}: malformed")
        # An ICMPv6 packet too big quotes as much of the datagram as fits in
        # 1280 bytes (RFC 4443 2.4 (c)): the quoted TCP segment is cut, and
        # tshark checks its checksum over what is left. The ICMPv6
        # message's own checksum must still be good.
        cut_quote = (len(cols) > 5 and cols[4] == "2" and cols[5] == "1")
        for i, s in enumerate(sev):
            msg = msgs[i] if i < len(msgs) else "?"
            if cut_quote and msg.startswith("Bad checksum"):
                continue
            if s >= warn and not REAL_STACK_EXPERT.search(msg):
                problems.append(f"frame {num}: {msg}")
    return frames, problems


def check_pcap(netsim, root, fail):
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed (apt-get install tshark); pcap not checked")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        for scn in scenarios(root):
            name = pathlib.Path(scn).stem
            host = None
            for line in pathlib.Path(root, scn).read_text().splitlines():
                m = re.match(r"\s*(host|router)\s+(\S+)", line)
                if m:
                    host = m.group(2)
                    break
            variants = [("all", [])] + ([("at " + host, ["--pcap-at", host])] if host else [])
            for label, extra in variants:
                cap = os.path.join(tmp, f"{name}.pcap")
                r = run(netsim, root, scn, "-q", "--pcap", cap, *extra)
                if r.returncode not in (0, 1):
                    fail.add(f"{scn}: --pcap {label} exited {r.returncode}: {r.stderr.decode()}")
                    continue
                frames, problems = tshark_problems(cap)
                if label == "all":
                    problems += conversation_mismatches(netsim, root, scn, cap)
                    again = os.path.join(tmp, f"{name}-again.pcap")
                    run(netsim, root, scn, "-q", "--pcap", again)
                    if pathlib.Path(cap).read_bytes() != pathlib.Path(again).read_bytes():
                        problems.append("two runs wrote different captures")
                for p in problems[:10]:
                    fail.add(f"{scn} ({label}): {p}")
                if not problems:
                    print(f"ok: {scn} ({label}): {frames} frames, tshark reports no problem")


FLOW = re.compile(r"^#\s+tcp (\S+) -> (\S+)\s+(\d+) pkts \d+B,\s+back (\d+) pkts \d+B(.*)$")
CONV = re.compile(r"^(\S+)\s+<-> (\S+)\s+(\d+) [\d.]+ (?:bytes|[kMG]B)\s+(\d+) [\d.]+ (?:bytes|[kMG]B)")


def conversation_mismatches(netsim, root, scn, cap):
    """tshark's TCP conversation statistics against netsim's flow summary:
    the same conversations, and per direction as many frames on the wire as
    segments sent or forwarded by a router, less those lost before reaching
    it (full queues), which the summary counts as dropped."""
    r = run(netsim, root, scn)
    flows = {}
    for line in r.stdout.decode().splitlines():
        m = FLOW.match(line)
        if m:
            d = re.search(r"(\d+) dropped", m.group(5))
            # tshark writes an IPv6 end without brackets: 2001:db8::1:80
            a, b = (re.sub(r"^\[(.*)\]:", r"\1:", e) for e in (m.group(1), m.group(2)))
            flows[(a, b)] = (int(m.group(3)), int(m.group(4)), int(d.group(1)) if d else 0)
    p = subprocess.run(["tshark", "-r", cap, "-q", "-z", "conv,tcp"], capture_output=True,
                       timeout=300)
    convs = {}
    for line in p.stdout.decode(errors="replace").splitlines():
        m = CONV.match(line.strip())
        if m:
            # tshark's "<-" column counts frames from B to A, "->" from A to B.
            # A 4-tuple used again (traceroute's probes) is split into
            # several streams: one conversation here.
            k = (m.group(1), m.group(2))
            old = convs.get(k, (0, 0))
            convs[k] = (old[0] + int(m.group(4)), old[1] + int(m.group(3)))
    problems = []
    # Behind a NAT a flow is a second conversation on the far side: its
    # translated 4-tuple, as the trace's nat lines give it.
    nat_of = {}
    has_nat = re.search(r"^\s*nat\s", pathlib.Path(root, scn).read_text(), re.M)
    for o in map(json.loads, run(netsim, root, scn, "--format", "json").stdout.decode()
                 .splitlines() if has_nat else []):
        if o["kind"] == "nat" and o.get("proto") == "tcp":
            before, after = (o["src"], o["dst"]), (o["nat_src"], o["nat_dst"])
            for f in (before, before[::-1]):
                if f in flows:
                    nat_of[f] = after if f == before else after[::-1]
    # Through routers a segment is a frame on every link it crosses: one
    # more for each time a router forwarded it.
    fwd = {}
    has_router = re.search(r"^\s*router\s", pathlib.Path(root, scn).read_text(), re.M)
    for o in map(json.loads, run(netsim, root, scn, "--format", "json").stdout.decode()
                 .splitlines() if has_router else []):
        if o["kind"] == "fwd" and o.get("proto") == "tcp":
            k = tuple(re.sub(r"^\[(.*)\]:", r"\1:", o[e]) for e in ("src", "dst"))
            fwd[k] = fwd.get(k, 0) + 1
    translated = set()
    for f, t in nat_of.items():
        translated.update({t, t[::-1]})
    convs_native = {k: v for k, v in convs.items() if k not in translated}
    # A flow whose every segment was lost before the wire (a full queue)
    # has no frame, hence no conversation in the capture; segments a
    # receiver dropped (a filter rule, no socket) or a targeted drop took
    # off the wire did reach it.
    flows = {k: v for k, v in flows.items()
             if v[0] + v[1] > v[2] or k in convs or k[::-1] in convs}
    for (a, b), (ab, ba, drops) in flows.items():
        for (x, y) in [(a, b)] + ([nat_of[(a, b)]] if (a, b) in nat_of else []):
            got = convs.get((x, y))
            if got is None and (y, x) in convs:
                got = tuple(reversed(convs[(y, x)]))
            if got is None:
                problems.append(f"tshark has no TCP conversation {x} <-> {y}")
                continue
            # (A NAT's two sides are two conversations of one frame a segment.)
            hops = (a, b) not in nat_of
            for sent, wire in ((ab + hops * fwd.get((a, b), 0), got[0]),
                               (ba + hops * fwd.get((b, a), 0), got[1])):
                if not (sent - drops <= wire <= sent):
                    problems.append(f"{x} <-> {y}: netsim sent {sent} segments ({drops} "
                                    f"dropped), tshark counts {wire} frames")
    if len(convs_native) != len(flows):
        problems.append(f"tshark sees {len(convs_native)} TCP conversations (besides NAT's), "
                        f"netsim {len(flows)}")
    return problems


def endpoints_of(netsim, root, scn):
    """Endpoints the trace shows packets leave from ("ADDR:PORT", or "ADDR")."""
    r = run(netsim, root, scn, "--format", "json")
    eps = set()
    for line in r.stdout.decode().splitlines():
        o = json.loads(line)
        if o["kind"] == "send" and "src" in o and o.get("proto"):
            eps.add(o["src"])
    return eps


def split_endpoint(ep):
    """("ADDR", "PORT") of "ADDR:PORT", "[ADDR6]:PORT", "ADDR" or "ADDR6"."""
    if ep.startswith("["):
        addr, _, port = ep[1:].partition("]:")
        return addr, port
    if ep.count(":") > 1:
        return ep, ""
    addr, _, port = ep.partition(":")
    return addr, port


def drawn(ep, names):
    """Is endpoint "ADDR:PORT" (or "ADDR") the lifeline of a socket, of a
    socket bound to that port on any address, or of its host? An IPv6
    socket names an IPv4 end as IPv4-mapped ([::ffff:ADDR]:PORT)."""
    addr, port = split_endpoint(ep)
    for n in names:
        local = re.sub(r"^#\d+ ", "", n).split("-")[0]
        if (local == ep or local == f"[::ffff:{addr}]:{port}" or
                (port and local in (f"0.0.0.0:{port}", f"[::]:{port}")) or addr in n.split(", ")):
            return True
    return False


def check_diagram(netsim, root, fail):
    with tempfile.TemporaryDirectory() as tmp:
        for scn in scenarios(root):
            name = pathlib.Path(scn).stem
            svg, mmd = os.path.join(tmp, name + ".svg"), os.path.join(tmp, name + ".mmd")
            r1 = run(netsim, root, scn, "-q", "--diagram", svg)
            r2 = run(netsim, root, scn, "-q", "--diagram", mmd)
            if r1.returncode not in (0, 1) or r2.returncode not in (0, 1):
                fail.add(f"{scn}: --diagram exited {r1.returncode}/{r2.returncode}")
                continue
            want = endpoints_of(netsim, root, scn)
            try:
                tree = ET.parse(svg)
            except ET.ParseError as e:
                fail.add(f"{scn}: the SVG is not well-formed XML: {e}")
                continue
            lifelines = [g for g in tree.getroot().iter(SVG + "g") if g.get("class") == "lifeline"]
            # Left to right (heads drawn where a socket appears come later in the file).
            lifelines.sort(key=lambda g: int(g.find(SVG + "line").get("x1")))
            names = ["".join(g.find(SVG + "text").itertext()) for g in lifelines]
            missing = sorted(ep for ep in want if not drawn(ep, names))
            if missing:
                fail.add(f"{scn}: no SVG lifeline for {missing} (lifelines {names})")
            text = pathlib.Path(mmd).read_text()
            parts = [p.replace("#35;", "#")
                     for p in re.findall(r"^    participant p\d+ as (.+)$", text, re.M)]
            if not text.startswith("sequenceDiagram\n") or parts != names:
                fail.add(f"{scn}: Mermaid participants {parts} != SVG lifelines {names}")
            if not fail.items:
                print(f"ok: {scn}: {len(names)} lifelines in SVG and Mermaid")
        r = run(netsim, root, "scenarios/ping.scn", "--diagram", os.path.join(tmp, "x.png"))
        if r.returncode != 2 or os.path.exists(os.path.join(tmp, "x.png")):
            fail.add(f"--diagram x.png should be a usage error (exit 2), got {r.returncode}")


def check_files(netsim, root, fail):
    scn = "scenarios/udp-echo.scn"
    with tempfile.TemporaryDirectory() as tmp:
        outs = ["-o", os.path.join(tmp, "t.txt"), "--pcap", os.path.join(tmp, "c.pcap"),
                "--diagram", os.path.join(tmp, "d.svg")]
        r = run(netsim, root, scn, "--max-events", "1", *outs)
        if r.returncode != 3:
            fail.add(f"--max-events 1 should exit 3, got {r.returncode}")
        left = os.listdir(tmp)
        if left:
            fail.add(f"a failed run left files behind: {left}")
        r = run(netsim, root, scn, "--pcap", os.path.join(tmp, "nodir", "c.pcap"))
        if r.returncode != 2 or r.stdout:
            fail.add(f"an unwritable --pcap should exit 2 before any trace, got {r.returncode}")
        r = run(netsim, root, scn, *outs)
        got = sorted(os.listdir(tmp))
        if r.returncode != 0 or got != ["c.pcap", "d.svg", "t.txt"]:
            fail.add(f"a good run should leave exactly its three files, got {got}")
        r = run(netsim, root, scn, "--pcap-at", "nobody", "--pcap", os.path.join(tmp, "x.pcap"))
        if r.returncode != 2 or os.path.exists(os.path.join(tmp, "x.pcap")):
            fail.add(f"--pcap-at an unknown name should exit 2 and write nothing")
    if not fail.items:
        print("ok: output files are written whole or not at all")


def check_colour(netsim, root, fail):
    scn = "scenarios/udp-closed-port.scn"
    for extra in ([], ["--explain"]):
        r = run(netsim, root, scn, *extra)
        if b"\x1b" in r.stdout or b"\x1b" in r.stderr:
            fail.add(f"colour escapes in piped output ({' '.join(extra) or 'plain'})")

    def on_terminal(env):
        master, slave = pty.openpty()
        p = subprocess.Popen([netsim, "run", scn], cwd=root, stdout=slave,
                             stderr=subprocess.PIPE, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        p.wait(timeout=60)
        os.close(master)
        return b"".join(chunks)

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if b"\x1b[" not in on_terminal(env):
        fail.add("no colour on a terminal")
    if b"\x1b" in on_terminal(dict(env, NO_COLOR="1")):
        fail.add("colour on a terminal despite NO_COLOR")
    if not fail.items:
        print("ok: colour only on a terminal, never with NO_COLOR or in pipes")


def check_explain(netsim, root, fail, update):
    for scn in EXPLAIN_GOLDEN:
        golden = pathlib.Path(root, scn).with_suffix(".explain")
        r = run(netsim, root, scn, "--explain")
        if r.returncode != 0:
            fail.add(f"{scn} --explain exited {r.returncode}: {r.stderr.decode()}")
            continue
        if update:
            golden.write_bytes(r.stdout)
            print(f"updated {golden}")
            continue
        if not golden.exists():
            fail.add(f"no golden {golden} (run with --update to create it)")
            continue
        want = golden.read_bytes()
        if want != r.stdout:
            diff = difflib.unified_diff(want.decode().splitlines(), r.stdout.decode().splitlines(),
                                        str(golden), "netsim run --explain " + scn, lineterm="")
            print("\n".join(list(diff)[:200]))
            fail.add(f"{scn}: --explain differs from {golden.name}")
        else:
            print(f"ok: {scn} --explain matches {golden.name}")


def main():
    netsim, root, check = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    update = "--update" in sys.argv[4:]
    fail = Failures()
    checks = {
        "json": lambda: check_json(netsim, root, fail),
        "pcap": lambda: check_pcap(netsim, root, fail),
        "diagram": lambda: check_diagram(netsim, root, fail),
        "files": lambda: check_files(netsim, root, fail),
        "colour": lambda: check_colour(netsim, root, fail),
        "explain": lambda: check_explain(netsim, root, fail, update),
    }
    if check not in checks:
        print(f"unknown check {check}; one of {', '.join(checks)}")
        return 2
    status = checks[check]()
    if fail.items:
        print(f"{len(fail.items)} failure(s)")
        return 1
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
