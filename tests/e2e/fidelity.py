#!/usr/bin/env python3
"""Fidelity tests: a scenario replaying one of the Linux reference captures
(tests/fidelity/, captured on Linux 6.18 at the server's interface) is run
with --pcap-at srv, and tools/pcap-compare.py must find the two captures
identical segment by segment: direction, flags, relative seq/ack, length,
window field, option kinds, DF, TTL, and the time since the previous frame
within 1 ms.

usage: fidelity.py NETSIM SRCROOT CASE      (CASE: a name from CASES,
       "tool" for the compare tool's own checks, or "case1-large-window"
       for the client's window and ACKs in case 1's 100 KiB response,
       "case1-large-acks" for its ACKs with frames a little apart)
"""
import os
import subprocess
import sys
import tempfile

# name: (scenario, reference capture, pcap-compare arguments)
CASES = {
    "case1-small": ("scenarios/linux-http-get.scn", "case1_http_get.pcap", ["--stream", "0:0"]),
    # The 100 KiB response of case 1's second connection: every data
    # segment the server sends (slow start from 10 segments, flights of
    # 10, 20, 40 and 1 a round trip apart), PSH bits aside.
    "case1-large-data": ("tests/fidelity/case1-large.scn", "case1_http_get.pcap",
                         ["--stream", "1:0", "--filter", "tcp.len>0 and tcp.srcport==80",
                          "--ignore", "psh"]),
    # The same segments with their PSH bits (Linux's TSO packets: PSH on
    # the last segment of each, 2 then 3 segments long as cwnd grows),
    # replayed with the reference's round trip of 20.2 ms.
    "case1-large-psh": ("tests/fidelity/case1-large-rtt.scn", "case1_http_get.pcap",
                        ["--stream", "1:0", "--filter", "tcp.len>0 and tcp.srcport==80"]),
    "case2": ("tests/fidelity/case2.scn", "case2_tcp_closed_port.pcap", []),
    "case3": ("tests/fidelity/case3.scn", "case3_udp_closed_port.pcap", []),
    "case4": ("tests/fidelity/case4.scn", "case4_udp_echo.pcap", []),
}


def compare(root, ref, other, extra):
    tool = os.path.join(root, "tools", "pcap-compare.py")
    return subprocess.run([sys.executable, tool, ref, other, *extra], capture_output=True,
                          text=True, timeout=120)


def capture(netsim, root, scn, out):
    r = subprocess.run([netsim, "run", scn, "-q", "--pcap", out, "--pcap-at", "srv"], cwd=root,
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        print(f"FAIL: netsim run {scn} exited {r.returncode}: {r.stderr}")
        return False
    return True


def check_tool(netsim, root):
    """The compare tool finds a difference, and refuses what it cannot read."""
    fid = os.path.join(root, "tests", "fidelity")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "case3.pcap")
        if not capture(netsim, root, "tests/fidelity/case3.scn", out):
            return 1
        # Case 2's reference against case 3's run: TCP against UDP.
        r = compare(root, os.path.join(fid, "case2_tcp_closed_port.pcap"), out, [])
        want = "frame 1: differs in proto"
        if r.returncode != 1 or not r.stdout.startswith(want):
            print(f"FAIL: different captures: exit {r.returncode}, output:\n{r.stdout}")
            ok = False
        if "different: 0 of 4 frames equal" not in r.stdout:
            print(f"FAIL: no summary line in:\n{r.stdout}")
            ok = False
        # A timing difference alone, with and without a tolerance that covers it.
        ref = os.path.join(fid, "case3_udp_closed_port.pcap")
        r = compare(root, ref, out, ["--tolerance", "0.001"])
        if r.returncode != 1 or "time:" not in r.stdout:
            print(f"FAIL: 1 us tolerance: exit {r.returncode}, output:\n{r.stdout}")
            ok = False
        r = compare(root, ref, out, [])
        if r.returncode != 0:
            print(f"FAIL: case 3 within 1 ms: exit {r.returncode}, output:\n{r.stdout}")
            ok = False
        # Unreadable input and bad options: exit 2 and a message.
        missing = os.path.join(tmp, "missing.pcap")
        r = compare(root, ref, missing, [])
        if r.returncode != 2 or "missing.pcap" not in r.stderr:
            print(f"FAIL: missing file: exit {r.returncode}, stderr {r.stderr!r}")
            ok = False
        r = compare(root, ref, out, ["--ignore", "colour"])
        if r.returncode != 2 or "colour" not in r.stderr:
            print(f"FAIL: bad --ignore: exit {r.returncode}, stderr {r.stderr!r}")
            ok = False
        r = compare(root, ref, out, ["--stream", "3"])
        if r.returncode != 2 or "no TCP connection number 3" not in r.stderr:
            print(f"FAIL: --stream past the end: exit {r.returncode}, stderr {r.stderr!r}")
            ok = False
    print("ok: compare tool" if ok else "FAIL: compare tool")
    return 0 if ok else 1


def client_acks(pcap, stream):
    """The client's pure ACKs of one connection: (ack, window), relative."""
    r = subprocess.run(["tshark", "-r", pcap, "-o", "tcp.relative_sequence_numbers:TRUE",
                        "-Y", f"tcp.stream=={stream} and tcp.dstport==80 and tcp.len==0",
                        "-T", "fields", "-e", "tcp.ack", "-e", "tcp.window_size"],
                       capture_output=True, text=True, timeout=120)
    return [tuple(int(x) for x in line.split()) for line in r.stdout.splitlines() if line.strip()]


def check_receive_window(netsim, root):
    """Case 1's 100 KiB response, the client's side: the advertised window
    (receive-buffer autotuning, tcp_grow_window) and the ACK policy's
    single-segment ACKs, against the reference."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.pcap")
        if not capture(netsim, root, "tests/fidelity/case1-large.scn", out):
            return 1
        ref = client_acks(os.path.join(root, "tests", "fidelity", "case1_http_get.pcap"), 1)
        got = client_acks(out, 0)
    ok = True
    # The first data ACKs both send carry the same window: rcv_ssthresh
    # grows two segments per segment in a buffer of 131072 * 160 / 256.
    ref_win, got_win = dict(ref), dict(got)
    common = [a for a, _ in ref if a in got_win and a > 83][:3]
    for a in common:
        if ref_win[a] != got_win[a]:
            print(f"FAIL: window at ack {a}: reference {ref_win[a]}, netsim {got_win[a]}")
            ok = False
    if len(common) < 3:
        print(f"FAIL: fewer than 3 data ACK numbers in common: {common}")
        ok = False
    # The largest window: autotuning stops within 8 KiB of Linux's.
    ref_max, got_max = max(w for _, w in ref), max(w for _, w in got)
    if abs(ref_max - got_max) > 8192:
        print(f"FAIL: largest window: reference {ref_max}, netsim {got_max}")
        ok = False

    def singles(acks):
        n, prev = 0, None
        for a, _ in acks:
            if prev is not None and prev > 83 and a - prev == 1448:
                n += 1
            prev = a
        return n

    # ACKs of exactly one full segment: within 3 of Linux's count.
    if abs(singles(ref) - singles(got)) > 3:
        print(f"FAIL: single-segment ACKs: reference {singles(ref)}, netsim {singles(got)}")
        ok = False
    print(f"{'ok' if ok else 'FAIL'}: windows at acks {common} as the reference; largest "
          f"{got_max} (reference {ref_max}); single-segment ACKs {singles(got)} "
          f"(reference {singles(ref)}); ACKs {len(got)} (reference {len(ref)})")
    return 0 if ok else 1


def ack_sizes(acks):
    """How many full segments each data ACK acknowledges beyond the one
    before it: {segments: ACKs}."""
    sizes, prev = {}, None
    for a, _ in acks:
        if prev is not None and prev > 83:
            n = (a - prev + 724) // 1448
            sizes[n] = sizes.get(n, 0) + 1
        prev = a
    return sizes


def check_acks(netsim, root):
    """Case 1's 100 KiB response replayed with frames a little apart, as
    the reference's relay handed them over: the client's ACKs, one and two
    segments at a time as Linux's (__tcp_ack_snd_check: more than one
    full frame unacknowledged and a window that does not shrink; curl
    reads between frames), and no stretch ACK."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.pcap")
        if not capture(netsim, root, "tests/fidelity/case1-large-spaced.scn", out):
            return 1
        ref = client_acks(os.path.join(root, "tests", "fidelity", "case1_http_get.pcap"), 1)
        got = client_acks(out, 0)
    rs, gs = ack_sizes(ref), ack_sizes(got)
    ok = True
    if abs(len(ref) - len(got)) > 2:
        print(f"FAIL: ACKs: reference {len(ref)}, netsim {len(got)}")
        ok = False
    for n in (1, 2):
        if abs(rs.get(n, 0) - gs.get(n, 0)) > 3:
            print(f"FAIL: ACKs of {n} segments: reference {rs.get(n, 0)}, netsim {gs.get(n, 0)}")
            ok = False
    if max(gs) > 3:
        print(f"FAIL: a stretch ACK of {max(gs)} segments")
        ok = False
    print(f"{'ok' if ok else 'FAIL'}: ACKs {len(got)} (reference {len(ref)}); segments per "
          f"ACK {dict(sorted(gs.items()))} (reference {dict(sorted(rs.items()))}); largest window "
          f"{max(w for _, w in got)} (reference {max(w for _, w in ref)})")
    return 0 if ok else 1


def main():
    netsim, root, case = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    if subprocess.run(["which", "tshark"], capture_output=True).returncode != 0:
        print("SKIP: tshark is not installed")
        return 77
    if case == "tool":
        return check_tool(netsim, root)
    if case == "case1-large-window":
        return check_receive_window(netsim, root)
    if case == "case1-large-acks":
        return check_acks(netsim, root)
    scn, ref, extra = CASES[case]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.pcap")
        if not capture(netsim, root, scn, out):
            return 1
        r = compare(root, os.path.join(root, "tests", "fidelity", ref), out,
                    extra + ["--max-diffs", "5"])
        print(r.stdout, end="")
        sys.stderr.write(r.stderr)
        return r.returncode


if __name__ == "__main__":
    sys.exit(main())
