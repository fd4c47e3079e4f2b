"""Course speed: execute every notebook from a fresh kernel (as nbval does) and report time and memory.

    python benchmarks/bench_notebooks.py [--workers 2] [--no-parallel] [notebooks/NN_x.ipynb ...]

Prints one row per notebook: wall seconds, peak memory of the kernel and its child processes (the kernel's
resident memory plus each child's private memory, see ``_tree_memory``), and the totals, against the
budgets the course is held to (each notebook <= 45 s and <= 1.5 GB, the whole course <= 180 s on 2 CPU cores).
Then the wall time of `make test`'s notebook phase as it runs: strict nbval over the same notebooks in parallel
workers (``pytest -n 2 --dist loadfile``: one notebook per worker at a time), against its budget (<= 150 s).
Outputs are not written back. Exit code 1 when a budget is exceeded.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BUDGET_NOTEBOOK_S = 45.0
BUDGET_NOTEBOOK_BYTES = 1.5e9
BUDGET_COURSE_S = 180.0
BUDGET_PARALLEL_S = 150.0
NBVAL_ARGS = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider"]


def _tree_memory(proc: psutil.Process) -> int:
    """Resident memory of the kernel plus the memory private to each of its child processes (USS).

    A kernel and the worker processes it starts (04's and 05's ``torch.distributed`` runs) all map torch's shared
    libraries from the same files: summing their RSS counts those pages once per process. The kernel's RSS counts
    them once; a child adds only what is its own (unique set size). Unlike PSS, this does not depend on what else
    runs on the machine. RSS where USS is unavailable (not Linux)."""
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_full_info().uss
        except (AttributeError, psutil.AccessDenied):
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def _peak_rss(pid: int, stop: threading.Event, result: list[int]) -> None:
    """Sample the memory of the kernel with its children until ``stop`` (see :func:`_tree_memory`); the kernel's
    VmHWM (its own peak RSS) covers peaks between samples."""
    proc = psutil.Process(pid)
    peak = 0
    while not stop.is_set():
        try:
            rss = _tree_memory(proc)
            hwm = 0
            status = Path(f"/proc/{pid}/status")
            if status.exists():
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        hwm = int(line.split()[1]) * 1024
            peak = max(peak, rss, hwm)
        except psutil.Error:
            break
        stop.wait(0.05)
    result.append(peak)


def run_notebook(path: Path) -> tuple[float, int]:
    """Execute ``path`` as nbval does (fresh ``python3`` kernel, the notebook's folder); (seconds, peak RSS)."""
    nb = nbformat.read(path, as_version=4)
    stop, result, threads = threading.Event(), [], []

    def start_sampler(**_):
        pid = client.km.provisioner.process.pid
        threads.append(threading.Thread(target=_peak_rss, args=(pid, stop, result), daemon=True))
        threads[0].start()

    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}}, on_notebook_start=start_sampler)
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        elapsed = time.perf_counter() - start
        stop.set()
        for t in threads:
            t.join()
    return elapsed, result[0] if result else 0


def run_parallel(notebooks: list[Path], workers: int) -> tuple[float, int]:
    """Strict nbval over ``notebooks`` in ``workers`` pytest-xdist workers, as `make test-notebooks` runs it:
    (wall seconds, pytest's exit code)."""
    # Run from the notebooks' folder with relative names: nbval's test ids carry the file name only when the
    # file is under pytest's rootdir (and xdist's --dist loadfile groups by those ids).
    folder = Path(os.path.commonpath([str(p.parent) for p in notebooks]))
    args = [i if not i.endswith("nbval_sanitize.cfg") else str(ROOT / i) for i in NBVAL_ARGS]
    cmd = [sys.executable, "-m", "pytest", "-q", "-n", str(workers), "--dist", "loadfile", "--rootdir", str(folder),
           *args, *[str(p.relative_to(folder)) for p in notebooks]]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    env.setdefault("WARMUP_COURSE_SEED_OFFSET", "0")
    env.setdefault("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-2000:], sep="\n")
    else:
        print(proc.stdout.strip().splitlines()[-1])
    return elapsed, proc.returncode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--workers", type=int, default=2, help="parallel nbval workers (default 2, as make test)")
    parser.add_argument("--no-parallel", action="store_true", help="skip the parallel nbval measurement")
    parser.add_argument("--parallel-only", action="store_true", help="only the parallel nbval measurement")
    args = parser.parse_args(argv)
    notebooks = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    ok = True
    if not args.parallel_only:
        ok = sequential(notebooks) == 0
    if not args.no_parallel:
        wall, code = run_parallel([p.resolve() for p in notebooks], args.workers)
        within = wall <= BUDGET_PARALLEL_S and code == 0
        print(f"parallel nbval ({args.workers} workers, {len(notebooks)} notebooks, strict): {wall:.1f} s wall"
              f"{'' if code == 0 else f' (pytest exit code {code})'}; budget <= {BUDGET_PARALLEL_S:.0f} s -> "
              f"{'OK' if within else 'EXCEEDED'}")
        ok = ok and within
    return 0 if ok else 1


def sequential(notebooks: list[Path]) -> int:
    print(f"{'notebook':<34} {'wall s':>8} {'peak MB':>14}")
    total, worst_mem, over = 0.0, 0, []
    for nb in notebooks:
        seconds, rss = run_notebook(nb.resolve())
        total += seconds
        worst_mem = max(worst_mem, rss)
        flag = ""
        if seconds > BUDGET_NOTEBOOK_S or rss > BUDGET_NOTEBOOK_BYTES:
            flag = "  OVER BUDGET"
            over.append(nb.name)
        print(f"{nb.name:<34} {seconds:>8.1f} {rss / 1e6:>14.0f}{flag}", flush=True)
    print(f"{'total (' + str(len(notebooks)) + ' notebooks)':<34} {total:>8.1f} {worst_mem / 1e6:>14.0f} (max)")
    print(f"budgets: <= {BUDGET_NOTEBOOK_S:.0f} s and <= {BUDGET_NOTEBOOK_BYTES / 1e9:.1f} GB per notebook, "
          f"<= {BUDGET_COURSE_S:.0f} s in all -> {'OK' if not over and total <= BUDGET_COURSE_S else 'EXCEEDED'}")
    return 0 if not over and total <= BUDGET_COURSE_S else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
