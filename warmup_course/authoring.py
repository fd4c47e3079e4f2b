"""Tools for the people who write and teach the course: execute notebooks, build student copies.

Command line (the Makefile calls these)::

    python -m warmup_course.authoring execute notebooks/01_what_is_warmup.ipynb ...
    python -m warmup_course.authoring student --out build/student notebooks/*.ipynb

*execute* runs each notebook from a fresh ``python3`` kernel, top to bottom, in the notebook's folder (as
JupyterLab and nbval do) and writes the outputs in place with execution counts 1..n. It refuses to write a
notebook whose execution raised, so a committed notebook never holds an error output.

*student* writes copies without the cells tagged ``solution`` (the exercise stubs and their "not attempted
yet" checks stay) and with all outputs cleared, so that learners run the cells themselves.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

SOLUTION_TAG = "solution"
IGNORE_OUTPUT_TAG = "nbval-ignore-output"
DEFAULT_TIMEOUT_S = 300
NAME_RE = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
# Output text that would tie a committed notebook to one machine or one user.
MACHINE_PATH_RE = re.compile(r"(/root/|/home/|/tmp/|/Users/|[A-Za-z]:\\\\Users\\\\|/private/var/)")


def _read(path: Path):
    import nbformat

    return nbformat.read(path, as_version=4)


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
        nb.metadata.pop("widgets", None)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
        nbformat.write(nb, path)
    return elapsed


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def hygiene_problems(path: str | Path, nb: dict | None = None) -> list[str]:
    """What keeps notebook ``path`` from being a trustworthy committed notebook (empty list: none).

    A notebook must be named ``NN_slug.ipynb``; open with a ``# NN · Title`` heading; have "What you will learn"
    and "Key takeaways" sections; use the ``python3`` kernel; and be committed executed, top to bottom from a
    fresh kernel: every code cell run, execution counts exactly 1..n, no error output, no machine paths in
    outputs, widget views only in cells tagged ``nbval-ignore-output``. A notebook whose counts were stripped
    passes strict nbval while checking nothing, so it fails here.
    """
    path = Path(path)
    if nb is None:
        nb = json.loads(path.read_text(encoding="utf-8"))
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
            if "application/vnd.jupyter.widget-view+json" in out.get("data", {}) and IGNORE_OUTPUT_TAG not in tags:
                problems.append(f"cell {i} shows a widget but is not tagged {IGNORE_OUTPUT_TAG}")
    if counts != list(range(1, len(counts) + 1)):
        problems.append("execution counts are not 1..n in order: re-execute from a fresh kernel (make execute)")
    if not counts:
        problems.append("no executed code cell")
    return problems


def student_copy(nb):
    """A copy of notebook ``nb`` without ``solution``-tagged cells and with every output cleared."""
    import copy

    out = copy.deepcopy(nb)
    out.metadata.pop("widgets", None)
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warmup_course.authoring", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="re-execute notebooks in place from a fresh kernel")
    ex.add_argument("notebooks", nargs="+")
    ex.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds per cell")
    st = sub.add_parser("student", help="write copies without solution cells")
    st.add_argument("notebooks", nargs="+")
    st.add_argument("--out", default="build/student")
    args = parser.parse_args(argv)

    if args.command == "execute":
        for p in sorted(args.notebooks):
            print(f"executing {p} ...", flush=True)
            print(f"  done in {execute_notebook(p, timeout=args.timeout):.1f} s", flush=True)
    else:
        for p in build_student(sorted(args.notebooks), args.out):
            print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
