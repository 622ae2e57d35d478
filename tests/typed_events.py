#!/usr/bin/env python3
"""Check that trace events are read as data: no sink (sim/trace), runtime
module (sim/runtime) or tool (tools/) compares an event's text fields
(`what`, `text`, `summary`, `options`, `fault_rule`) with strcmp, strstr
or their relatives, nor parses them with sscanf. Facts travel as enums
(netsim/trace.h); only sinks turn them into words.

It follows simple aliases too: `const char *what = ev->what;` makes later
`strcmp(what, ...)` count.

usage: typed_events.py SRCROOT
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])

FIELDS = r"(?:what|text|summary|options|fault_rule)"
FIELD_READ = re.compile(r"(?:->|\.)" + FIELDS + r"\b")
COMPARE = re.compile(r"\b(strcmp|strncmp|strcasecmp|strncasecmp|strstr|strcasestr|g_strcmp0|"
                     r"g_str_equal|g_str_has_prefix|g_str_has_suffix|g_strrstr|g_ascii_strcasecmp|"
                     r"sscanf|has|is)\s*\(")
ALIAS = re.compile(r"\b(\w+)\s*=\s*[^;=]*?(?:->|\.)" + FIELDS + r"\b")


def call_args(src, start):
    """The text between the parenthesis at src[start] and its match."""
    depth = 0
    for i in range(start, len(src)):
        c = src[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return src[start + 1:i]
    return src[start + 1:]


def strip_comments_and_strings(src):
    src = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), src, flags=re.S)
    src = re.sub(r"//[^\n]*", "", src)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', src)


problems = []
checked = 0
files = sorted((root / "sim" / "trace").glob("*.c")) + sorted((root / "sim" / "runtime").glob("*.c")) \
    + sorted((root / "tools").glob("*.c"))
for f in files:
    checked += 1
    src = strip_comments_and_strings(f.read_text())
    aliases = {m.group(1) for m in ALIAS.finditer(src)}
    alias_re = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(aliases))) + r")\b") if aliases else None
    for m in COMPARE.finditer(src):
        args = call_args(src, m.end() - 1)
        if FIELD_READ.search(args) or (alias_re and alias_re.search(args)):
            line = src.count("\n", 0, m.start()) + 1
            problems.append(f"{f.relative_to(root)}:{line}: {m.group(1)}() on an event's text "
                            f"field: read the typed field instead")

for p in problems:
    print(p)
if problems:
    print(f"{len(problems)} string comparison(s) on event text in {checked} files")
    sys.exit(1)
print(f"ok: {checked} files read events as data")
