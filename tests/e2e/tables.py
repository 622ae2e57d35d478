#!/usr/bin/env python3
"""End-to-end tests of `netsim run --tables-at T`: every host's routing
table (ip route), ARP cache (ip neigh), filter rules with hits and NAT
mappings, and switches' tables, in text and in JSON, and in the summary.

usage: tables.py NETSIM SRCROOT
"""
import json

from harness import check, finish, netsim


def block(text, title):
    """The '#' lines from `title` up to the next '# ' header."""
    lines = text.splitlines()
    start = lines.index(title)
    out = []
    for line in lines[start + 1:]:
        if not line.startswith("#   "):
            break
        out.append(line)
    return out


# Routing by hand: r2's default route is gone at 2 s (routing-loop.scn).
p = netsim("run", "scenarios/routing-loop.scn", "--tables-at", "1s", "--tables-at", "2.5s")
check("routing-loop --tables-at runs", p.returncode == 0, p.stderr)
at1 = block(p.stdout, "# tables at 1 s")
at2 = block(p.stdout, "# tables at 2.5 s")
check("r2 has its static default route at 1 s",
      "#       default via 10.0.9.1 dev eth0 proto static" in at1, at1)
check("and not at 2.5 s", "#       default via 10.0.9.1 dev eth0 proto static" not in at2, at2)
check("a network of the host is proto kernel with its source",
      "#       10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.10" in at1, at1)
check("ARP cache as ip neigh",
      "#       10.0.1.1 dev eth0 lladdr 02:00:00:00:02:01 REACHABLE" in at1, at1)
check("the summary lists the tables too",
      "# routes and ARP caches at the end" in p.stdout)
check("tables come at their time among the events",
      p.stdout.index("# tables at 1 s") < p.stdout.index("route removed default"))

p = netsim("run", "scenarios/routing-loop.scn", "--tables-at", "1s", "--format", "json")
objs = [json.loads(line) for line in p.stdout.splitlines()]
tables = [o for o in objs if o.get("kind") == "tables"]
check("json: one tables object", len(tables) == 1 and tables[0]["t_ns"] == 1000000000)
r2 = [h for h in tables[0]["hosts"] if h["host"] == "r2"][0]
check("json: r2's default route as an object",
      {"dst": "default", "via": "10.0.9.1", "dev": "eth0", "proto": "static", "src": "10.0.9.2"}
      in r2["routes"], r2)
check("json: neighbours with state", all("state" in n for n in r2["neigh"]) and r2["neigh"])
summary = objs[-1]
check("json: the summary carries the tables", summary["kind"] == "summary" and
      len(summary["tables"]) == 4)

# Filter rules with hits and NAT mappings (home-nat.scn, firewall.scn).
p = netsim("run", "scenarios/home-nat.scn", "--tables-at", "1s", "--format", "json")
tables = [json.loads(line) for line in p.stdout.splitlines()
          if '"kind":"tables"' in line][0]
gw = [h for h in tables["hosts"] if "conntrack" in h]
check("json: the NAT router's flows and mappings", gw and gw[0]["nat_mappings"] >= 1, gw)
p = netsim("run", "scenarios/firewall.scn", "--tables-at", "100s")
at = block(p.stdout, "# tables at 100 s")
check("filter rules with their hits", any("drop tcp to :22" in line for line in at), at)
p = netsim("run", "scenarios/firewall.scn", "--tables-at", "100s", "--student")
check("not for students", "drop tcp to :22" not in p.stdout)

# A switch's table (switch.scn).
p = netsim("run", "scenarios/switch.scn", "--tables-at", "1s", "--tables-at", "399s")
at1 = block(p.stdout, "# tables at 1 s")
check("the switch knows a and b behind their ports",
      any("port 1 (a)" in line for line in at1) and any("port 2 (b)" in line for line in at1)
      and not any("(c)" in line for line in at1), at1)
at399 = block(p.stdout, "# tables at 399 s")
check("and forgets them after 300 s", not any(" port " in line for line in at399), at399)
p = netsim("run", "scenarios/switch.scn", "--tables-at", "1s", "--format", "json")
tables = [json.loads(line) for line in p.stdout.splitlines() if '"kind":"tables"' in line][0]
fdb = tables["switches"][0]["fdb"]
check("json: the switch's table", tables["switches"][0]["switch"] == "sw1" and
      [(e["port"], e["host"]) for e in fdb] == [(1, "a"), (2, "b")], fdb)

# IPv6: routes and the Neighbor Discovery cache (ipv6-ping.scn). At 3 s
# srv's entry for pc is DELAY (its echo reply used a STALE entry at
# 2.003 s; the probe leaves at 7.003 s), at 8 s it is REACHABLE again.
p = netsim("run", "scenarios/ipv6-ping.scn", "--tables-at", "3s", "--tables-at", "8s")
at3 = block(p.stdout, "# tables at 3 s")
at8 = block(p.stdout, "# tables at 8 s")
check("ip -6 route: the host's IPv6 network and fe80::/64",
      "#       2001:db8:1::/64 dev eth0 proto kernel" in at3 and
      "#       fe80::/64 dev eth0 proto kernel" in at3, at3)
check("ip -6 neigh: DELAY while the neighbour is not confirmed",
      "#       2001:db8:1::1 dev eth0 lladdr 02:00:00:00:01:01 DELAY" in at3, at3)
check("and REACHABLE once the probe is answered",
      "#       2001:db8:1::1 dev eth0 lladdr 02:00:00:00:01:01 REACHABLE" in at8, at8)
check("hosts without IPv6 show no IPv6 tables",
      "ip -6" not in netsim("run", "scenarios/ping.scn", "--tables-at", "1s").stdout)
p = netsim("run", "scenarios/ipv6-ping.scn", "--tables-at", "3s", "--format", "json")
tables = [json.loads(line) for line in p.stdout.splitlines() if '"kind":"tables"' in line][0]
srv = [h for h in tables["hosts"] if h["host"] == "srv"][0]
check("json: neigh6 and routes6",
      srv["neigh6"] == [{"dst": "2001:db8:1::1", "dev": "eth0", "lladdr": "02:00:00:00:01:01",
                         "state": "DELAY"}] and
      [r["dst"] for r in srv["routes6"]] == ["2001:db8:1::/64", "fe80::/64"], srv)

p = netsim("run", "scenarios/switch.scn", "--tables-at", "soon")
check("a bad time is a usage error", p.returncode == 2 and "--tables-at" in p.stderr)

finish()
