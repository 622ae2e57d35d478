#!/usr/bin/env python3
"""Check that the project's documents speak for themselves: README.md,
docs/, the scenarios and their guide, the public headers and the command's
help never send a reader to files outside the project (a `shared/...` path,
`../shared`, or a path under /work).

usage: doclinks.py SRCROOT
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])

FILES = [root / "README.md"]
FILES += sorted((root / "docs").rglob("*.md"))
FILES += sorted((root / "scenarios").glob("*.scn"))
FILES += sorted((root / "scenarios").glob("*.md"))
FILES += sorted((root / "include" / "netsim").rglob("*.h"))
FILES += sorted((root / "tools").glob("*.c"))

OUTSIDE = re.compile(r"(\.\./shared|(?<![\w-])shared/(spec|refs|tools|hooks|STYLE)|/work/)")

bad = []
for path in FILES:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if OUTSIDE.search(line):
            bad.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
for b in bad:
    print(b)
if bad:
    print(f"{len(bad)} line(s) send the reader outside the project; say it in the project's words")
    sys.exit(1)
print(f"ok: {len(FILES)} documents")
