"""Do the notebooks' asserted claims hold for other seeds? Execute notebooks under many seed offsets and report.

    python benchmarks/seed_robustness.py [--offsets 1-20] [--jobs 2] [notebooks/NN_x.ipynb ...]

Each (notebook, offset) pair runs from a fresh kernel with ``WARMUP_COURSE_SEED_OFFSET=offset`` (outputs are not
compared and not written back: this is ``make test-lax`` over many offsets). Prints one row per notebook with the
offsets whose run failed, and for each failure the cell and the assertion message. Exit code 1 on any failure.

A claim the course asserts must not be an accident of seeds 0, 1, 2: run this after changing an experiment. It is a
maintainer's check, not part of ``make test`` (20 offsets of the whole course take about 20 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]


def parse_offsets(text: str) -> list[int]:
    """``"1-5,10,1000"`` -> ``[1, 2, 3, 4, 5, 10, 1000]``."""
    offsets: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        offsets.extend(range(int(lo), int(hi or lo) + 1))
    if not offsets or min(offsets) < 0:
        raise ValueError(f"offsets must be non-negative integers or ranges, got {text!r}")
    return offsets


def run_one(path: str, offset: int) -> tuple[str, int, str | None]:
    """Execute one notebook under one seed offset; the failure's cell and message, or None."""
    os.environ.update(WARMUP_COURSE_SEED_OFFSET=str(offset), OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(Path(path).parent)}})
    try:
        client.execute()
    except CellExecutionError as err:
        cell = next((i for i, c in enumerate(nb.cells) if c.get("outputs") and any(
            o.get("output_type") == "error" for o in c.outputs)), "?")
        return path, offset, f"cell {cell}: {err.ename}: {err.evalue}"
    return path, offset, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--offsets", default="1-10", help="seed offsets, e.g. 1-10,1000 (default 1-10)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    args = parser.parse_args(argv)
    paths = args.notebooks or [str(p) for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    offsets = parse_offsets(args.offsets)
    failures: dict[str, list[tuple[int, str]]] = {p: [] for p in paths}
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, p, o) for p in paths for o in offsets]
        for n, future in enumerate(futures, 1):
            path, offset, failure = future.result()
            if failure:
                failures[path].append((offset, failure))
            print(f"\r{n}/{len(futures)} runs", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"seed offsets {args.offsets} ({len(offsets)} each)")
    for path, failed in failures.items():
        print(f"{Path(path).name:<40} {len(offsets) - len(failed)}/{len(offsets)} passed"
              + (f"; failed at offsets {[o for o, _ in failed]}" if failed else ""))
        for offset, message in failed:
            print(f"    offset {offset}: {message.splitlines()[0][:200]}")
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
