"""Tools for the people who write and teach the course: execute notebooks, build student copies.

Command line (the Makefile calls these)::

    python -m warmup_course.authoring execute notebooks/01_what_is_warmup.ipynb ...
    python -m warmup_course.authoring student --out build/student notebooks/*.ipynb

*execute* runs each notebook from a fresh ``python3`` kernel, top to bottom, in the notebook's folder (as
JupyterLab and nbval do) and writes the outputs in place with execution counts 1..n. It refuses to write a
notebook whose execution raised, so a committed notebook never holds an error output.

*student* writes copies without the cells tagged ``solution`` (the exercise stubs and their "not attempted
yet" checks stay) and with all outputs cleared, so that learners run the cells themselves.

*workspace* creates the learner's own working copies (``make lab``): ``work/course/`` (the notebooks with their
outputs, solutions collapsed) and ``work/student/`` (student copies), only the files that do not exist yet, so a
learner's work is never overwritten and the committed ``notebooks/`` stay the untouched reference.

*site* builds the static HTML course (``make site``): one page per executed notebook, links between notebooks
rewritten to the pages, and an index with the course map.

Both *execute* and *student* keep only the metadata a notebook should carry (:data:`CELL_METADATA`,
:data:`NOTEBOOK_METADATA`) and collapse every ``solution`` cell (``jupyter.source_hidden``) so a self-learner
sees the exercise before the answer (JupyterLab shows "..." until the cell is expanded).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any
from pathlib import Path

__all__ = [
    "SOLUTION_TAG", "IGNORE_OUTPUT_TAG", "DEFAULT_TIMEOUT_S", "CELL_METADATA", "NOTEBOOK_METADATA",
    "execute_notebook", "clean_metadata", "math_problems", "hygiene_problems", "student_copy", "build_student",
    "build_workspace", "build_site", "free_port", "main",
]

SOLUTION_TAG = "solution"
IGNORE_OUTPUT_TAG = "nbval-ignore-output"
DEFAULT_TIMEOUT_S = 300
NAME_RE = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
#: Cell metadata a committed notebook may carry; anything else (nbclient's per-cell ``execution`` timestamps,
#: ``collapsed``/``scrolled`` view state, ``ExecuteTime``, editor plugins' keys...) is noise that makes diffs.
CELL_METADATA = frozenset({"tags", "jupyter", "editable", "deletable", "slideshow"})
#: Notebook metadata a committed notebook may carry (no saved widget state: it is stale the moment it is saved).
NOTEBOOK_METADATA = frozenset({"kernelspec", "language_info"})
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Control characters other than tab and newline: "\beta" in a non-raw Python string leaves a backspace.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Output text that would tie a committed notebook to one machine or one user.
MACHINE_PATH_RE = re.compile(r"(/root/|/home/|/tmp/|/Users/|[A-Za-z]:\\\\Users\\\\|/private/var/)")


def _check_path(name: str, path: Any) -> Path:
    if not isinstance(path, (str, Path)):
        raise TypeError(f"{name} must be a str or a Path, got {type(path).__name__}")
    return Path(path)


def _check_paths(paths: Any) -> list[Path]:
    """``paths`` as a non-empty list of existing notebook files; TypeError/ValueError naming ``paths``."""
    if isinstance(paths, (str, bytes, Path, Mapping)) or not isinstance(paths, Sequence) or not paths:
        raise TypeError(f"paths must be a non-empty list of notebook paths, got {type(paths).__name__}")
    out = []
    for p in paths:
        if not isinstance(p, (str, Path)):
            raise TypeError(f"paths must hold str or Path, got {type(p).__name__}")
        if not Path(p).is_file():
            raise ValueError(f"paths: no such notebook file: {p}")
        out.append(Path(p))
    return out


def _read(path: Path):
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:  # name the file, not just the parser's line
        raise ValueError(f"notebook {path} is not valid JSON: {exc}") from None


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"notebook {path} is not valid JSON: {exc}") from None


def execute_notebook(path: str | Path, *, timeout: int = DEFAULT_TIMEOUT_S, write: bool = True) -> float:
    """Execute ``path`` from a fresh ``python3`` kernel; write it back in place; return wall seconds."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"notebook not found: {path}")
    nb = _read(path)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        record_timing=False,  # per-cell timestamps would make every re-execution a diff
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell: nothing is written then
    elapsed = time.perf_counter() - start
    if write:
        # Widget views are live objects: their saved state (often a rendered figure) would only bloat the
        # file. (nbclient's store_widget_state=False breaks on Output widgets, so drop it here instead.)
        clean_metadata(nb)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
        nbformat.write(nb, path)
    return elapsed


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def clean_metadata(nb):
    """Keep only :data:`NOTEBOOK_METADATA` and :data:`CELL_METADATA`; collapse ``solution`` cells. In place; returns nb.

    ``jupyter.source_hidden = true`` on every cell tagged ``solution`` (JupyterLab then shows the cell collapsed:
    a learner expands it on purpose), and only ``source_hidden`` is kept under ``jupyter``.
    """
    if not isinstance(nb, Mapping):
        raise TypeError(f"nb must be a notebook (a mapping), got {type(nb).__name__}")
    meta = nb.get("metadata", {})
    for key in list(meta):
        if key not in NOTEBOOK_METADATA:
            del meta[key]
    for cell in nb.get("cells", []):
        cmeta = cell.setdefault("metadata", {})
        for key in list(cmeta):
            if key not in CELL_METADATA:
                del cmeta[key]
        jup = {k: v for k, v in cmeta.get("jupyter", {}).items() if k == "source_hidden"}
        if SOLUTION_TAG in cmeta.get("tags", []):
            jup["source_hidden"] = True
        if jup:
            cmeta["jupyter"] = jup
        else:
            cmeta.pop("jupyter", None)
    return nb


def _strip_code(markdown: str) -> str:
    markdown = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    return re.sub(r"`[^`\n]*`", " ", markdown)


def math_problems(markdown: str) -> list[str]:
    """Formulas in ``markdown`` that MathJax would render as an error (a cheap static lint; the browser test
    checks the real rendering): unbalanced ``$``, braces, ``\\left``/``\\right``, ``\\begin``/``\\end``."""
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a string, got {type(markdown).__name__}")
    text = _strip_code(markdown).replace("\\$", "")
    problems = []
    segments = re.findall(r"\$\$(.+?)\$\$", text, flags=re.DOTALL)
    rest = re.sub(r"\$\$(.+?)\$\$", " ", text, flags=re.DOTALL)
    if rest.count("$") % 2:
        problems.append("an unpaired $ (a formula that never closes)")
    segments += re.findall(r"\$([^$]+)\$", rest)
    for math in segments:
        short = math.strip()[:40]
        depth = 0
        for ch in re.sub(r"\\[{}]", "", math):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            if depth < 0:
                break
        if depth != 0:
            problems.append(f"unbalanced braces in ${short}$")
        if len(re.findall(r"\\left\b", math)) != len(re.findall(r"\\right\b", math)):
            problems.append(f"\\left without \\right in ${short}$")
        if re.findall(r"\\begin\{(\w+\*?)\}", math) != re.findall(r"\\end\{(\w+\*?)\}", math):
            problems.append(f"\\begin/\\end do not match in ${short}$")
    return problems


def hygiene_problems(path: str | Path, nb: dict | None = None) -> list[str]:
    """What keeps notebook ``path`` from being a trustworthy committed notebook (empty list: none).

    A notebook must be named ``NN_slug.ipynb``; open with a ``# NN · Title`` heading; have "What you will learn"
    and "Key takeaways" sections; use the ``python3`` kernel; and be committed executed, top to bottom from a
    fresh kernel: every code cell run, execution counts exactly 1..n, no error output, no machine paths in
    outputs, widget views only in cells tagged ``nbval-ignore-output``. A notebook whose counts were stripped
    passes strict nbval while checking nothing, so it fails here.
    """
    path = _check_path("path", path)
    if nb is None:
        nb = _load_json(path)
    if not isinstance(nb, Mapping) or not isinstance(nb.get("cells"), list):
        raise TypeError(f"nb must be a notebook (a mapping with a 'cells' list), got {type(nb).__name__}")
    problems: list[str] = []
    m = NAME_RE.match(path.name)
    if not m:
        problems.append("name is not NN_slug.ipynb (two digits, underscore, lower-case slug)")
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"kernelspec is {kernel!r}, expected 'python3'")
    cells = nb.get("cells", [])
    first = cells[0] if cells else {}
    first_line = _source(first).strip().splitlines()[0] if _source(first).strip() else ""
    if first.get("cell_type") != "markdown" or not re.match(r"^# \d\d · \S", first_line):
        problems.append("first cell is not a markdown '# NN · Title' heading")
    elif m and not first_line.startswith(f"# {m.group(1)} · "):
        problems.append(f"first heading {first_line!r} does not carry the file's number {m.group(1)}")
    markdown = "\n".join(_source(c) for c in cells if c.get("cell_type") == "markdown")
    for section in ("What you will learn", "Key takeaways"):
        if not re.search(rf"^#+ .*{section}", markdown, flags=re.MULTILINE | re.IGNORECASE):
            problems.append(f"no '{section}' section")
    extra = sorted(set(nb.get("metadata", {})) - NOTEBOOK_METADATA)
    if extra:
        problems.append(f"notebook metadata {extra} must not be committed (saved widget state, editor noise): "
                        "re-execute with make execute")
    for i, cell in enumerate(cells):
        cmeta = cell.get("metadata", {})
        extra = sorted(set(cmeta) - CELL_METADATA)
        if extra:
            problems.append(f"cell {i} carries metadata {extra} (per-cell timestamps, view state): re-execute with make execute")
        if SOLUTION_TAG in cmeta.get("tags", []) and cmeta.get("jupyter", {}).get("source_hidden") is not True:
            problems.append(f"cell {i} is tagged {SOLUTION_TAG} but not collapsed (metadata jupyter.source_hidden = true)")
        bad = CONTROL_RE.search(_source(cell))
        if bad:
            problems.append(f"cell {i} source holds a control character {bad.group()!r} (a '\\b' in a non-raw string?)")
        if cell.get("cell_type") == "markdown":
            problems += [f"cell {i} math: {p}" for p in math_problems(_source(cell))]
    counts = []
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("execution_count") is None:
            if cell.get("outputs"):
                problems.append(f"cell {i} has outputs but no execution count")
            elif _source(cell).strip():
                problems.append(f"cell {i} was never executed")
        else:
            counts.append(cell["execution_count"])
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"cell {i} holds an error output ({out.get('ename')})")
            text = json.dumps(out.get("data", {}).get("text/plain", "")) + json.dumps(out.get("text", ""))
            if MACHINE_PATH_RE.search(text):
                problems.append(f"cell {i} output shows a machine path")
            if WIDGET_VIEW in out.get("data", {}) and IGNORE_OUTPUT_TAG not in tags:
                problems.append(f"cell {i} shows a widget but is not tagged {IGNORE_OUTPUT_TAG}")
            if WIDGET_VIEW in out.get("data", {}) and "image/png" not in out.get("data", {}):
                problems.append(f"cell {i}: its explorer shows as text to a reader who has not run it (no static "
                                "default view: build it with warmup_course.widgets.explore or schedule_explorer)")
    if counts != list(range(1, len(counts) + 1)):
        problems.append("execution counts are not 1..n in order: re-execute from a fresh kernel (make execute)")
    if not counts:
        problems.append("no executed code cell")
    return problems


def student_copy(nb):
    """A copy of notebook ``nb`` without ``solution``-tagged cells and with every output cleared."""
    import copy

    if not hasattr(nb, "cells") or not isinstance(nb.get("cells"), list):
        raise TypeError(f"nb must be an nbformat notebook (nbformat.read(...)), got {type(nb).__name__}")

    out = clean_metadata(copy.deepcopy(nb))
    out.cells = [c for c in out.cells if SOLUTION_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return out


def build_student(paths: Sequence[str | Path], out_dir: str | Path) -> list[Path]:
    """Write student copies of ``paths`` into ``out_dir``; return the written paths."""
    import nbformat

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for p in map(Path, paths):
        target = out_dir / p.name
        nbformat.write(student_copy(_read(p)), target)
        written.append(target)
    return written


def build_workspace(paths: Sequence[str | Path], out_dir: str | Path) -> list[Path]:
    """The learner's working copies: ``out_dir/course/`` (outputs kept, solutions collapsed) and
    ``out_dir/student/`` (no solutions, no outputs). Only missing files are written (never overwrites a
    learner's work); returns the written paths."""
    import nbformat

    paths = _check_paths(paths)
    out_dir = Path(out_dir)
    written = []
    for p in paths:
        nb = _read(p)
        for sub, make in (("course", lambda n: clean_metadata(n)), ("student", student_copy)):
            target = out_dir / sub / p.name
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(make(nb), target)
            written.append(target)
    return written


_NB_LINK_RE = re.compile(r'href="(?!https?:)([^"#]*?)\.ipynb(#[^"]*)?"')


def _site_exporter(mathjax_url: str | None):
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input_prompt = False
    if mathjax_url:
        exporter.mathjax_url = mathjax_url
    return exporter


def _page(exporter, nb, title: str, nav: str) -> str:
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    html = _NB_LINK_RE.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', html)
    # require.js only serves the widget embed manager, and the pages hold no widget state (an explorer shows
    # its static default view): drop the CDN script so that the site has no dependency but MathJax.
    html = re.sub(r'<script src="[^"]*require(\.min)?\.js"></script>\s*', "", html)
    bar = (f'<nav class="course-nav" style="font-family: sans-serif; padding: 8px 16px; border-bottom: 1px solid #ccc">'
           f'{nav}</nav>')
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + bar, html, count=1)


def build_site(paths: Sequence[str | Path], out_dir: str | Path, *, mathjax_url: str | None = None) -> list[Path]:
    """Static HTML course in ``out_dir``: one page per notebook (as committed: executed, with figures), links to
    other notebooks rewritten to their pages, a previous/index/next bar, and ``index.html`` with the course map.

    ``mathjax_url``: where pages load MathJax 2 from (default nbconvert's CDN URL; an offline copy such as
    Debian's ``libjs-mathjax``, ``file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_CHTML``, works too).
    """
    import nbformat

    from warmup_course.course import course_map_markdown

    paths = sorted(_check_paths(paths))
    if mathjax_url is not None and not isinstance(mathjax_url, str):
        raise TypeError(f"mathjax_url must be a string (a URL) or None, got {type(mathjax_url).__name__}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    exporter = _site_exporter(mathjax_url)
    written = []
    for i, p in enumerate(paths):
        nb = clean_metadata(_read(p))
        first = _source(nb.cells[0]).strip().splitlines()[0] if nb.cells else p.stem
        title = first.lstrip("# ").strip()
        links = ['<a href="index.html">Course map</a>']
        if i > 0:
            links.insert(0, f'<a href="{paths[i - 1].stem}.html">&larr; {paths[i - 1].stem}</a>')
        if i + 1 < len(paths):
            links.append(f'<a href="{paths[i + 1].stem}.html">{paths[i + 1].stem} &rarr;</a>')
        target = out_dir / f"{p.stem}.html"
        target.write_text(_page(exporter, nb, title, " · ".join(links)), encoding="utf-8")
        written.append(target)
    folder = paths[0].parent if paths else Path("notebooks")
    index = nbformat.v4.new_notebook()
    index.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    index.cells = [nbformat.v4.new_markdown_cell(
        "# warmup-course: learning-rate warmup, understood and used correctly\n\n"
        "The course's notebooks as executed, with their figures. To run them and move the explorers' sliders, "
        "clone the repository and run `make lab`.\n\n## Course map\n\n" + course_map_markdown(folder))]
    target = out_dir / "index.html"
    target.write_text(_page(exporter, index, "warmup-course", '<a href="index.html">Course map</a>'), encoding="utf-8")
    written.append(target)
    return written


def free_port(start: int, tries: int = 50) -> int | None:
    """The first port in ``start .. start + tries - 1`` that 127.0.0.1 can listen on (None if none): ``make lab``
    picks its port with this first, so the banner it prints is the port JupyterLab really uses."""
    import socket

    if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start <= 65535:
        raise ValueError(f"start must be a port number in 1..65535, got {start!r}")
    if isinstance(tries, bool) or not isinstance(tries, int) or not 1 <= tries <= 65535:
        raise ValueError(f"tries must be an int in 1..65535, got {tries!r}")
    for port in range(start, min(start + tries, 65536)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warmup_course.authoring", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="re-execute notebooks in place from a fresh kernel")
    ex.add_argument("notebooks", nargs="+")
    ex.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds per cell")
    st = sub.add_parser("student", help="write copies without solution cells")
    st.add_argument("notebooks", nargs="+")
    st.add_argument("--out", default="build/student")
    ws = sub.add_parser("workspace", help="create the learner's working copies that do not exist yet")
    ws.add_argument("notebooks", nargs="+")
    ws.add_argument("--out", default="work")
    si = sub.add_parser("site", help="build the static HTML course")
    si.add_argument("notebooks", nargs="+")
    si.add_argument("--out", default="build/site")
    si.add_argument("--mathjax-url", default=None)
    fp = sub.add_parser("free-port", help="print the first port from START on that 127.0.0.1 can listen on")
    fp.add_argument("start", type=int)
    args = parser.parse_args(argv)

    if args.command == "free-port":
        port = free_port(args.start)
        if port is None:
            print(f"no free port in {args.start}..{args.start + 49}", file=sys.stderr)
            return 1
        print(port)
        return 0
    if args.command == "execute":
        for p in sorted(args.notebooks):
            print(f"executing {p} ...", flush=True)
            print(f"  done in {execute_notebook(p, timeout=args.timeout):.1f} s", flush=True)
    elif args.command == "student":
        for p in build_student(sorted(args.notebooks), args.out):
            print(f"wrote {p}")
    elif args.command == "workspace":
        written = build_workspace(sorted(args.notebooks), args.out)
        if written:
            names = sorted({p.name for p in written})
            print(f"created {len(written)} working copies in {args.out}/course/ and {args.out}/student/: "
                  + ", ".join(names))
        else:
            print(f"{args.out}/: your working copies are up to date (existing files are never overwritten)")
    else:
        written = build_site(args.notebooks, args.out, mathjax_url=args.mathjax_url)
        print(f"wrote {len(written)} pages; open {Path(args.out) / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
