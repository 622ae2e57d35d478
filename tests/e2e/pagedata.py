"""The data of a page that `netsim run --html` wrote: each of its data
elements (ns-events, ns-bytes, ns-meta) holds zlib-compressed bytes in
base64; these functions give them back as the page reads them."""
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


def events(html):
    """The page's events (and socket-table records), in order."""
    return json.loads(element(html, "events"))


def meta(html):
    """What the page knows besides the events: title, topology, diagram..."""
    return json.loads(element(html, "meta"))
