#!/usr/bin/env python3
"""The labs in scenarios/labs/ never rot: `netsim lab` regenerates each
one's exercise sheet (NAME.md) and answer key (NAME-key.md) and they must
be the committed files, byte for byte. Each lab's page is a student-mode
page whose questions check the key's answers (the page keeps hashes of the
accepted answers, FNV-1a as tools/lab.c computes them) and refuse a wrong
one. Also: `netsim lab` on bad input.

usage: labs.py NETSIM SRCROOT    (NS_UPDATE_LABS=1 rewrites the committed
files instead, for a reviewed change)
"""
import difflib
import os
import pathlib
import re
import tempfile

import pagedata

import harness
from harness import check, finish, netsim

harness.TIMEOUT = 300
ROOT = pathlib.Path(harness.ROOT)
LABS = ROOT / "scenarios" / "labs"
UPDATE = os.environ.get("NS_UPDATE_LABS") == "1"


def fnv1a(text):
    h = 2166136261
    for b in text.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return f"{h:08x}"


def normalise(text):
    return re.sub(r"[^a-z0-9]", "", re.sub(r"[A-Z]", lambda m: m.group(0).lower(), text))


def key_answers(key):
    """The key's answers, in order: the bold text after each question."""
    return re.findall(r"^   \*\*(.*?)\*\*", key, flags=re.M)


def check_lab(scn, tmp):
    name = scn.stem
    p = netsim("lab", str(scn.relative_to(ROOT)), "-o", tmp)
    check(f"{name}: netsim lab exits 0", p.returncode == 0, p.stderr)
    for suffix in (".md", "-key.md"):
        made = pathlib.Path(tmp, name + suffix).read_text()
        committed = LABS / (name + suffix)
        if UPDATE:
            committed.write_text(made)
            print(f"updated {committed}")
            continue
        old = committed.read_text() if committed.exists() else ""
        diff = "".join(difflib.unified_diff(old.splitlines(True), made.splitlines(True),
                                            str(committed), "netsim lab"))
        check(f"{name}{suffix}: the committed file is what netsim lab writes", made == old,
              "\n" + diff)
    sheet = pathlib.Path(tmp, name + ".md").read_text()
    key = pathlib.Path(tmp, name + "-key.md").read_text()
    answers = key_answers(key)
    n = len(re.findall(r"^\d+\. ", sheet, flags=re.M))
    check(f"{name}: the key answers each of the sheet's {n} questions", n > 0 and len(answers) == n,
          f"{len(answers)} answers")
    check(f"{name}: the sheet holds no answer", "**" not in sheet)
    html = pathlib.Path(tmp, name + ".html").read_text()
    meta = pagedata.meta(html)
    qs = meta.get("questions", [])
    check(f"{name}: the page is in student mode with the sheet's questions",
          meta.get("student") is True and len(qs) == n)
    for i, (q, a) in enumerate(zip(qs, answers)):
        # A choice is answered by its letter; "#5, the connected socket ..."
        # by what comes before the comma.
        given = a[0] if q["choices"] else a.split(",")[0]
        check(f"{name} q{i + 1}: the page takes the key's answer '{given}'",
              fnv1a(f"netsim-lab/{i}/{normalise(given)}") in q["hashes"])
        check(f"{name} q{i + 1}: the page refuses a wrong answer",
              fnv1a(f"netsim-lab/{i}/{normalise('42424')}") not in q["hashes"])
    check(f"{name}: the page's questions hold text, choices and hashes, no answer",
          all(sorted(q) == ["choices", "hashes", "text"] for q in qs))
    # Every scenario of a lab is also a test: its expectations pass.
    r = netsim("run", "-q", str(scn.relative_to(ROOT)))
    check(f"{name}: its expectations pass", r.returncode == 0, r.stderr)


def check_errors(tmp):
    p = netsim("lab")
    check("no file: exit 2", p.returncode == 2 and "no scenario file" in p.stderr, p.stderr)
    p = netsim("lab", "scenarios/browser.scn", "-o", os.path.join(tmp, "nowhere"))
    check("-o a missing directory: exit 2", p.returncode == 2 and "no such directory" in p.stderr,
          p.stderr)
    bad = pathlib.Path(tmp, "late.scn")
    bad.write_text("stop 1s\nnetwork lan 10.0.0.0/24\nhost a 10.0.0.1\n"
                   "question \"How many sockets at 5s?\" a sockets at 5s listen ?\n")
    out = pathlib.Path(tmp, "out")
    out.mkdir()
    p = netsim("lab", str(bad), "-o", str(out))
    check("a question past the end of the run: exit 2 with FILE:LINE:COL",
          p.returncode == 2 and "late.scn:4:1: error:" in p.stderr, p.stderr)
    check("... and no file written", not any(out.iterdir()), str(list(out.iterdir())))


with tempfile.TemporaryDirectory() as tmp:
    labs = sorted(LABS.glob("*.scn"))
    check("three labs", len(labs) == 3, str(labs))
    for scn in labs:
        check_lab(scn, tmp)
    check_errors(tmp)
finish()
