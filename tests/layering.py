#!/usr/bin/env python3
"""Check the layering rule: a file under sim/LAYER includes only headers
(public, or private to the simulator in sim/private/netsim-private) of its
own layer and of the layers below it (nothing points up); the tools include
no private header.

usage: layering.py SRCROOT
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])

# Which public headers belong to which layer.
HEADER_LAYER = {
    "time.h": "core", "sim.h": "core", "rng.h": "core", "packet.h": "core", "trace.h": "core",
    "atomic-file.h": "core", "pattern.h": "core",
    "ctx.h": "core", "tcp-state.h": "core", "link.h": "link", "host.h": "host", "ip.h": "ip",
    "netfilter.h": "ip", "ip6.h": "ip",
    "udp.h": "udp", "tcp.h": "tcp", "socket.h": "socket", "app.h": "app", "scenario.h": "scenario",
    "units.h": "scenario", "world.h": "runtime", "net.h": "runtime", "drill.h": "drill",
    "json-lib.h": "trace",
}
# The headers private to the simulator's layers (sim/private/netsim-private).
PRIVATE_LAYER = {"packet.h": "core", "ctx.h": "core", "host.h": "host", "pcb.h": "ip"}
# Each layer and the layers it may use (its own included).
ALLOWED = {
    "core": {"core"},
    "wire": {"wire"},
    "link": {"core", "wire", "link"},
    "host": {"core", "wire", "link", "host"},
    "ip": {"core", "wire", "link", "host", "ip"},
    "udp": {"core", "wire", "link", "host", "ip", "udp"},
    "tcp": {"core", "wire", "link", "host", "ip", "tcp"},
    "socket": {"core", "wire", "link", "host", "ip", "udp", "tcp", "socket"},
    "app": {"core", "wire", "link", "host", "ip", "udp", "tcp", "socket", "app"},
    "trace": {"core", "wire", "trace"},
    # the language reads addresses with the wire layer's parsers (IPv6)
    "scenario": {"core", "wire", "scenario"},
    "runtime": {"core", "wire", "link", "host", "ip", "udp", "tcp", "socket", "app", "trace",
                "scenario", "runtime"},
    # packetdrill scripts: a network built with the runtime's builder; a
    # scenario's run exported as a script
    "drill": {"core", "wire", "link", "host", "ip", "udp", "tcp", "socket", "trace", "scenario",
              "runtime", "drill"},
}


def layer_of(header):
    if header.startswith("wire/"):
        return "wire"
    if header.startswith("trace-"):
        return "trace"
    return HEADER_LAYER.get(header)


problems = []
checked = 0
for layer, allowed in ALLOWED.items():
    for f in sorted((root / "sim" / layer).glob("*.[ch]")):
        checked += 1
        for n, line in enumerate(f.read_text().splitlines(), 1):
            m = re.match(r'\s*#\s*include\s+"netsim(-private)?/([^"]+)"', line)
            if not m:
                continue
            hl = PRIVATE_LAYER.get(m.group(2)) if m.group(1) else layer_of(m.group(2))
            if hl is None:
                problems.append(f"{f.relative_to(root)}:{n}: unknown header {m.group(0).strip()}")
            elif hl not in allowed:
                problems.append(f"{f.relative_to(root)}:{n}: layer '{layer}' must not include "
                                f"netsim{m.group(1) or ''}/{m.group(2)} (layer '{hl}' is above it)")
# A program using the library (the tools, the examples) sees public headers only.
for f in sorted(list((root / "tools").glob("*.[ch]")) + list((root / "docs").rglob("*.[ch]"))):
    checked += 1
    for n, line in enumerate(f.read_text().splitlines(), 1):
        if re.match(r'\s*#\s*include\s+"netsim-private/', line):
            problems.append(f"{f.relative_to(root)}:{n}: includes a header private to the simulator")
for p in problems:
    print(p)
print(f"{checked} files checked: {len(problems)} layering problem(s)")
sys.exit(1 if problems else 0)
