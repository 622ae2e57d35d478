"""The data of a page that `netsim run --html` wrote: each of its data
elements (ns-events, ns-bytes, ns-meta, ns-diagram) holds zlib-compressed
bytes in base64; these functions give them back as the page reads them.
The events are in the binary form sim/trace/page-events.c describes: they
come back as the objects the JSON trace writes (plus where each packet's
bytes are)."""
import base64
import json
import re
import zlib


def element(html, name):
    """The bytes of the page's element ns-NAME, inflated."""
    m = re.search(r'<script type="application/octet-stream" data-encoding="zlib base64" '
                  r'id="ns-' + re.escape(name) + r'">([A-Za-z0-9+/=]*)</script>', html)
    if not m:
        raise ValueError(f"the page has no ns-{name} element")
    return zlib.decompress(base64.b64decode(m.group(1), validate=True))


def decode_events(data):
    """The events of an ns-events element's bytes, in order."""
    pos = 0

    def varint():
        nonlocal pos
        v, shift = 0, 0
        while True:
            b = data[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    def raw():
        nonlocal pos
        n = varint()
        pos += n
        return data[pos - n:pos].decode("utf-8")

    strings, shapes, events = [], [None], []

    def string():
        k = varint()
        if k >= 2:
            return strings[k - 2]
        s = raw()
        if k == 0:
            strings.append(s)
        return s

    while pos < len(data):
        shape = varint()
        if shape == 0:
            fields = []
            for _ in range(varint()):
                name = raw()
                fields.append((name.split("."), chr(data[pos])))
                pos += 1
            shapes.append(fields)
            continue
        ev = {}
        for path, kind in shapes[shape]:
            if kind == "i":
                z = varint()
                v = (z >> 1) ^ -(z & 1)
            elif kind == "s":
                v = string()
            elif kind == "j":
                v = json.loads(string())
            elif kind in "tf":
                v = kind == "t"
            else:
                raise ValueError(f"unknown field type {kind!r}")
            obj = ev
            for p in path[:-1]:
                obj = obj.setdefault(p, {})
            obj[path[-1]] = v
        events.append(ev)
    return events


def events(html):
    """The page's events (and socket-table records), in order."""
    return decode_events(element(html, "events"))


def meta(html):
    """What the page knows besides the events: title, topology, questions..."""
    return json.loads(element(html, "meta"))


def diagram(html):
    """The run's sequence diagram, as SVG text."""
    return element(html, "diagram").decode("utf-8")
