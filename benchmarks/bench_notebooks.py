"""Course speed: execute every notebook from a fresh kernel (as nbval does) and report time and memory.

    python benchmarks/bench_notebooks.py [notebooks/NN_x.ipynb ...]

Prints one row per notebook: wall seconds, peak kernel memory (resident set size), and the totals, against the
budgets the course is held to (each notebook <= 45 s and <= 1.5 GB, the whole course <= 180 s on 2 CPU cores).
Outputs are not written back. Exit code 1 when a budget is exceeded.
"""

from __future__ import annotations

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


def _peak_rss(pid: int, stop: threading.Event, result: list[int]) -> None:
    """Sample the kernel's RSS (with its children) until ``stop``; VmHWM covers peaks between samples."""
    proc = psutil.Process(pid)
    peak = 0
    while not stop.is_set():
        try:
            rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
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


def main(paths: list[str]) -> int:
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(f"{'notebook':<34} {'wall s':>8} {'peak RSS MB':>12}")
    total, worst_mem, over = 0.0, 0, []
    for nb in notebooks:
        seconds, rss = run_notebook(nb.resolve())
        total += seconds
        worst_mem = max(worst_mem, rss)
        flag = ""
        if seconds > BUDGET_NOTEBOOK_S or rss > BUDGET_NOTEBOOK_BYTES:
            flag = "  OVER BUDGET"
            over.append(nb.name)
        print(f"{nb.name:<34} {seconds:>8.1f} {rss / 1e6:>12.0f}{flag}", flush=True)
    print(f"{'total (' + str(len(notebooks)) + ' notebooks)':<34} {total:>8.1f} {worst_mem / 1e6:>12.0f} (max)")
    print(f"budgets: <= {BUDGET_NOTEBOOK_S:.0f} s and <= {BUDGET_NOTEBOOK_BYTES / 1e9:.1f} GB per notebook, "
          f"<= {BUDGET_COURSE_S:.0f} s in all -> {'OK' if not over and total <= BUDGET_COURSE_S else 'EXCEEDED'}")
    return 0 if not over and total <= BUDGET_COURSE_S else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
