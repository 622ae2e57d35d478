#!/usr/bin/env python3
"""Compare two packet captures segment by segment (a netsim capture with a
reference capture of a real host, or any two captures of the same exchange).

    tools/pcap-compare.py REFERENCE.pcap OTHER.pcap [options]

Both files are read with tshark. Only IPv4 frames count (ARP and others are
left out: a real host with static ARP entries sends none). For every frame
the fields compared are: direction, protocol, TCP flags, relative seq and
ack, payload length, raw window field, the TCP option kinds in wire order
(and the MSS and window-scale values; timestamps are random and not
compared), UDP ports and length, ICMP type and code, IP DF and TTL, and the
time since the previous frame (within --tolerance).

Addresses are matched by order of first appearance (the first source seen is
"A" in both captures), and ports from 32768 up (ephemeral ports, random on a
real host) by order of first appearance too, so that captures made with
other addresses or ports still line up.

Prints the first difference (or the first --max-diffs), then a summary: the
frames of each capture by kind, how many compare equal, mismatches by field,
and the largest timing deviation. Exit status: 0 identical within the
tolerance, 1 a difference, 2 bad usage or an unreadable capture.
"""

import argparse
import collections
import shutil
import subprocess
import sys

FIELDS = [
    "frame.time_epoch", "ip.src", "ip.dst", "ip.proto", "ip.flags.df", "ip.ttl",
    "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.seq", "tcp.ack",
    "tcp.len", "tcp.window_size_value", "tcp.option_kind", "tcp.options.mss_val",
    "tcp.options.wscale.shift", "tcp.options.sack_le", "tcp.options.sack_re",
    "udp.srcport", "udp.dstport", "udp.length", "icmp.type", "icmp.code",
]

# Every field a difference can be reported in (and --ignore can leave out).
COMPARED = ["dir", "proto", "flags", "seq", "ack", "len", "win", "opts", "sack", "ports",
            "icmp", "df", "ttl", "time"]

OPT_NAMES = {0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 8: "TS"}

EPHEMERAL_MIN = 32768


class BadInput(Exception):
    pass


def tshark_rows(path, display_filter):
    """The FIELDS of every frame of `path` (a list of lists of strings)."""
    cmd = ["tshark", "-n", "-r", path, "-o", "tcp.relative_sequence_numbers:TRUE",
           "-o", "tcp.desegment_tcp_streams:FALSE", "-o", "tcp.analyze_sequence_numbers:TRUE",
           "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
    cmd += ["-Y", f"ip and ({display_filter})" if display_filter else "ip"]
    for f in FIELDS:
        cmd += ["-e", f]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if r.returncode != 0:
        msg = r.stderr.decode(errors="replace").strip().splitlines()
        raise BadInput(f"{path}: tshark cannot read it: {msg[-1] if msg else r.returncode}")
    rows = []
    for line in r.stdout.decode(errors="replace").splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        rows.append(dict(zip(FIELDS, cols)))
    return rows


def tcp_flags(hexval):
    """tcpdump letters: S, S., ., P., F., R., FP. ..."""
    v = int(hexval, 16) if hexval else 0
    s = ""
    for bit, ch in ((0x02, "S"), (0x01, "F"), (0x04, "R"), (0x08, "P"), (0x20, "U")):
        if v & bit:
            s += ch
    if v & 0x10:
        s += "."
    return s or "none"


class Namer:
    """Addresses and ephemeral ports named by order of first appearance."""

    def __init__(self):
        self.addrs = {}
        self.ports = {}

    def addr(self, a):
        if a not in self.addrs:
            self.addrs[a] = chr(ord("A") + len(self.addrs)) if len(self.addrs) < 26 else a
        return self.addrs[a]

    def port(self, p):
        if not p:
            return "-"
        n = int(p)
        if n < EPHEMERAL_MIN:
            return str(n)
        if n not in self.ports:
            self.ports[n] = f"eph{len(self.ports) + 1}"
        return self.ports[n]


def frame(row, names):
    """One frame as a dict of comparable values."""
    proto = int(row["ip.proto"].split(",")[0] or 0)
    f = {
        "t": float(row["frame.time_epoch"] or 0),
        "dir": names.addr(row["ip.src"].split(",")[0]) + ">" +
               names.addr(row["ip.dst"].split(",")[0]),
        "df": row["ip.flags.df"].split(",")[0] in ("1", "True"),
        "ttl": row["ip.ttl"].split(",")[0],
        "stream": row["tcp.stream"],
    }
    if proto == 6:
        kinds = [int(k) for k in row["tcp.option_kind"].split(",") if k]
        opts = []
        mss = row["tcp.options.mss_val"].split(",")
        ws = row["tcp.options.wscale.shift"].split(",")
        for k in kinds:
            name = OPT_NAMES.get(k, f"opt{k}")
            if k == 2 and mss and mss[0]:
                name += " " + mss.pop(0)
            elif k == 3 and ws and ws[0]:
                name += " " + ws.pop(0)
            opts.append(name)
        le = [x for x in row["tcp.options.sack_le"].split(",") if x]
        re_ = [x for x in row["tcp.options.sack_re"].split(",") if x]
        f.update(proto="TCP", flags=tcp_flags(row["tcp.flags"]), seq=int(row["tcp.seq"] or 0),
                 ack=int(row["tcp.ack"] or 0) if int(row["tcp.flags"] or "0", 16) & 0x10 else None,
                 len=int(row["tcp.len"] or 0), win=int(row["tcp.window_size_value"] or 0),
                 opts=",".join(opts), sack=" ".join(f"{a}-{b}" for a, b in zip(le, re_)),
                 ports=names.port(row["tcp.srcport"]) + ">" + names.port(row["tcp.dstport"]))
    elif proto == 17:
        f.update(proto="UDP", len=int(row["udp.length"].split(",")[0] or 8) - 8,
                 ports=names.port(row["udp.srcport"].split(",")[0]) + ">" +
                 names.port(row["udp.dstport"].split(",")[0]))
    elif proto == 1:
        f.update(proto="ICMP", icmp=row["icmp.type"].split(",")[0] + "/" +
                 row["icmp.code"].split(",")[0])
    else:
        f.update(proto=f"ip{proto}")
    return f


def describe(f):
    if f is None:
        return "(no frame)"
    s = f"{f['dir']} {f['proto']}"
    if f["proto"] == "TCP":
        s += f" {f['ports']} [{f['flags']}] seq {f['seq']}"
        if f["ack"] is not None:
            s += f" ack {f['ack']}"
        s += f" len {f['len']} win {f['win']}"
        if f["opts"]:
            s += f" <{f['opts']}>"
        if f["sack"]:
            s += f" sack {f['sack']}"
    elif f["proto"] == "UDP":
        s += f" {f['ports']} len {f['len']}"
    elif f["proto"] == "ICMP":
        s += f" type/code {f['icmp']}"
    s += " DF" if f["df"] else ""
    return s


def kind(f):
    """A frame's kind for the summary."""
    if f["proto"] != "TCP":
        return f"{f['dir']} {f['proto']}"
    k = "data" if f["len"] else "pure " + f["flags"]
    return f"{f['dir']} TCP {k}"


def load(path, args, stream):
    rows = tshark_rows(path, args.filter)
    if stream is not None:
        streams = []
        for r in rows:
            if r["tcp.stream"] and r["tcp.stream"] not in streams:
                streams.append(r["tcp.stream"])
        if stream >= len(streams):
            raise BadInput(f"{path}: no TCP connection number {stream} "
                           f"(it holds {len(streams)})")
        want = streams[stream]
        rows = [r for r in rows if r["tcp.stream"] == want]
    if args.limit:
        rows = rows[:args.limit]
    names = Namer()
    frames = [frame(r, names) for r in rows]
    prev = None
    for f in frames:
        f["gap"] = 0.0 if prev is None else f["t"] - prev
        prev = f["t"]
    return frames


def differences(a, b, ignore, tol):
    """Fields in which frame b differs from reference frame a."""
    out = []
    for field in COMPARED:
        if field in ignore:
            continue
        if field == "time":
            if abs(a["gap"] - b["gap"]) > tol:
                out.append(("time", f"+{a['gap'] * 1e3:.3f} ms", f"+{b['gap'] * 1e3:.3f} ms"))
            continue
        if field == "flags" and "psh" in ignore and a.get("flags") and b.get("flags"):
            if a["flags"].replace("P", "") != b["flags"].replace("P", ""):
                out.append(("flags", a["flags"], b["flags"]))
            continue
        va, vb = a.get(field), b.get(field)
        if va != vb:
            out.append((field, va, vb))
    return out


def main():
    ap = argparse.ArgumentParser(
        description="Compare a capture with a reference capture segment by segment.")
    ap.add_argument("reference")
    ap.add_argument("other")
    ap.add_argument("--tolerance", type=float, default=1.0, metavar="MS",
                    help="largest difference of the time since the previous frame (ms, "
                         "default 1)")
    ap.add_argument("--ignore", default="", metavar="FIELD,...",
                    help="fields left out: " + ", ".join(COMPARED) + ", psh (PSH bit only)")
    ap.add_argument("--stream", metavar="N[:M]",
                    help="compare only the N-th TCP connection (from 0) of the reference "
                         "with the M-th (default N) of the other capture")
    ap.add_argument("--limit", type=int, metavar="N", help="compare only the first N frames")
    ap.add_argument("--filter", metavar="EXPR", help="a tshark display filter for both")
    ap.add_argument("--max-diffs", type=int, default=1, metavar="N",
                    help="differences printed in full (default 1)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print the summary line only")
    args = ap.parse_args()

    ignore = {x.strip() for x in args.ignore.split(",") if x.strip()}
    bad = ignore - set(COMPARED) - {"psh"}
    if bad:
        print(f"pcap-compare: unknown field(s) for --ignore: {', '.join(sorted(bad))}",
              file=sys.stderr)
        return 2
    if not shutil.which("tshark"):
        print("pcap-compare: tshark is not installed (apt-get install tshark)", file=sys.stderr)
        return 2
    streams = (None, None)
    if args.stream is not None:
        try:
            parts = [int(x) for x in args.stream.split(":")]
            if len(parts) > 2 or min(parts) < 0:
                raise ValueError
        except ValueError:
            print(f"pcap-compare: --stream wants N or N:M (numbers from 0), not "
                  f"'{args.stream}'", file=sys.stderr)
            return 2
        streams = (parts[0], parts[-1])
    try:
        ref = load(args.reference, args, streams[0])
        oth = load(args.other, args, streams[1])
    except BadInput as e:
        print(f"pcap-compare: {e}", file=sys.stderr)
        return 2

    tol = args.tolerance / 1e3
    equal = 0
    by_field = collections.Counter()
    shown = 0
    worst = (0.0, 0)
    for i in range(max(len(ref), len(oth))):
        a = ref[i] if i < len(ref) else None
        b = oth[i] if i < len(oth) else None
        if a is None or b is None:
            diffs = [("frame", describe(a), describe(b))]
        else:
            diffs = differences(a, b, ignore, tol)
            dev = abs(a["gap"] - b["gap"])
            if dev > worst[0]:
                worst = (dev, i + 1)
        if not diffs:
            equal += 1
            continue
        for d in diffs:
            by_field[d[0]] += 1
        if shown < args.max_diffs and not args.quiet:
            shown += 1
            print(f"frame {i + 1}: differs in {', '.join(d[0] for d in diffs)}")
            print(f"  reference: {describe(a)}" +
                  (f"  (+{a['gap'] * 1e3:.3f} ms)" if a else ""))
            print(f"  other:     {describe(b)}" +
                  (f"  (+{b['gap'] * 1e3:.3f} ms)" if b else ""))
            for d in diffs:
                if d[0] != "frame":
                    print(f"    {d[0]}: {d[1]!s} vs {d[2]!s}")

    n = max(len(ref), len(oth))
    if not args.quiet:
        print("summary:")
        kinds_a = collections.Counter(kind(f) for f in ref)
        kinds_b = collections.Counter(kind(f) for f in oth)
        for k in sorted(set(kinds_a) | set(kinds_b)):
            mark = "" if kinds_a[k] == kinds_b[k] else "   <- differs"
            print(f"  {k:<28} reference {kinds_a[k]:5d}  other {kinds_b[k]:5d}{mark}")
        if by_field:
            print("  frames differing by field: " +
                  ", ".join(f"{k} {v}" for k, v in sorted(by_field.items())))
        print(f"  largest timing deviation: {worst[0] * 1e3:.3f} ms (frame {worst[1]})")
    verdict = "identical" if equal == n and len(ref) == len(oth) else "different"
    print(f"{verdict}: {equal} of {n} frames equal (reference {len(ref)}, other {len(oth)}, "
          f"time tolerance {args.tolerance:g} ms)")
    return 0 if verdict == "identical" else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
