"""Classroom preflight: ``python -m warmup_course doctor``.

Prints one ``OK``/``WARN``/``FAIL`` line per check and a rough estimate of how long the whole course takes to
execute on this machine. Exit code 1 if any check fails. Nothing here needs the network or a GPU.
"""

from __future__ import annotations

import importlib
import io
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "OK", "WARN", "FAIL", "Check", "CHECKS", "check_python", "check_import", "check_torchvision", "check_text",
    "check_widgets_extension", "check_matplotlib", "check_data", "check_threads", "check_gpu",
    "estimate_course_seconds", "results", "run",
]

# The course's measured cost on the reference machine (2 CPU cores; figures from benchmarks/bench_notebooks.py
# and from _probe() below). The estimate scales the course time by how much slower this machine runs the probe.
REFERENCE_COURSE_SECONDS = 230.0  # bench_notebooks.py, 9 notebooks one after another on an idle machine, 2026-11-30: 227 s
REFERENCE_PROBE_SECONDS = 0.30  # _probe() on the same machine, the same hour

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass(frozen=True)
class Check:
    status: str
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name:<22} {self.detail}"


def _version(module: str) -> str:
    mod = importlib.import_module(module)
    return str(getattr(mod, "__version__", "?"))


def check_python() -> Check:
    v = sys.version_info
    ok = v >= (3, 10)
    return Check(OK if ok else FAIL, "python", f"{platform.python_version()}" + ("" if ok else " (needs >= 3.10)"))


def check_import(module: str, minimum: tuple[int, ...] = ()) -> Check:
    try:
        version = _version(module)
    except Exception as exc:  # an import can fail in many ways (missing, broken binary)
        return Check(FAIL, module, f"cannot import: {type(exc).__name__}: {exc}")
    parts = tuple(int(p) for p in version.split("+")[0].split(".")[: len(minimum)] if p.isdigit())
    if minimum and parts < minimum:
        need = ".".join(map(str, minimum))
        return Check(FAIL, module, f"{version} (needs >= {need})")
    return Check(OK, module, version)


def check_torchvision() -> Check:
    try:
        import torch
        import torchvision
        from torchvision.transforms import v2

        v2.Normalize([0.0], [1.0])(torch.zeros(1, 2, 2))
    except Exception as exc:
        return Check(FAIL, "torchvision", f"{type(exc).__name__}: {exc}")
    return Check(OK, "torchvision", torchvision.__version__)


def check_widgets_extension() -> Check:
    try:
        import ipywidgets
        from jupyter_core.paths import jupyter_path
    except Exception as exc:
        return Check(FAIL, "ipywidgets extension", f"{type(exc).__name__}: {exc}")
    found = [
        d for d in jupyter_path("labextensions") if (Path(d) / "@jupyter-widgets" / "jupyterlab-manager").is_dir()
    ]
    if not found:
        return Check(FAIL, "ipywidgets extension", "JupyterLab widget manager not found: pip install jupyterlab_widgets")
    return Check(OK, "ipywidgets extension", f"ipywidgets {ipywidgets.__version__}, lab extension installed")


def check_matplotlib() -> Check:
    try:
        import matplotlib
        from matplotlib.figure import Figure  # renders through Agg without touching pyplot's backend

        fig = Figure(figsize=(2, 1))
        fig.add_subplot().plot([0, 1], [0, 1])
        fig.savefig(io.BytesIO(), format="png")
    except Exception as exc:
        return Check(FAIL, "matplotlib", f"cannot render a figure: {type(exc).__name__}: {exc}")
    return Check(OK, "matplotlib", f"{matplotlib.__version__}, renders PNG (backend {matplotlib.get_backend()})")


def check_data() -> Check:
    try:
        from warmup_course.data import load_digits

        d = load_digits()
        n = len(d.y_train) + len(d.y_test)
    except Exception as exc:
        return Check(FAIL, "data/digits.npz", f"{type(exc).__name__}: {exc}")
    return Check(OK, "data/digits.npz", f"present, checksum OK, {n} images")


def check_text() -> Check:
    try:
        from warmup_course.data import load_text

        corpus = load_text()
    except Exception as exc:
        return Check(FAIL, "data/shakespeare.txt", f"{type(exc).__name__}: {exc}")
    return Check(OK, "data/shakespeare.txt", f"present, checksum OK, {len(corpus.text):,} characters")


def check_threads() -> Check:
    import torch

    from warmup_course.runtime import default_threads

    cores = os.cpu_count() or 1
    try:
        threads = default_threads()
    except ValueError as exc:  # a bad WARMUP_COURSE_THREADS: the doctor reports it, never crashes on it
        return Check(FAIL, "cpu threads", f"{cores} cores; {exc}")
    return Check(OK, "cpu threads", f"{cores} cores; course runs torch on {threads} thread(s)")


def check_gpu() -> Check:
    import torch

    if torch.cuda.is_available():
        return Check(OK, "gpu", f"{torch.cuda.get_device_name(0)} (optional; the course runs on the CPU)")
    return Check(OK, "gpu", "none (not needed: the course runs on the CPU)")


def _probe() -> float:
    """Seconds for a small fixed workload like the course's (100 MLP updates on the digits, one thread)."""
    import torch

    from warmup_course.runtime import set_threads

    set_threads()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 64, generator=g)
    y = torch.randint(0, 10, (512,), generator=g)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    start = time.perf_counter()
    for _ in range(100):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return time.perf_counter() - start


def estimate_course_seconds(probe_seconds: float) -> float:
    """Reference course time scaled by this machine's probe time relative to the reference machine's."""
    from warmup_course.validation import check_real

    probe_seconds = check_real("probe_seconds", probe_seconds, 0.0)
    return REFERENCE_COURSE_SECONDS * probe_seconds / REFERENCE_PROBE_SECONDS


CHECKS: list[Callable[[], Check]] = [
    check_python,
    lambda: check_import("torch", (2, 2)),
    check_torchvision,
    lambda: check_import("numpy", (1, 24)),
    check_matplotlib,
    lambda: check_import("ipywidgets", (8,)),
    check_widgets_extension,
    lambda: check_import("jupyterlab", (4,)),
    check_data,
    check_text,
    check_threads,
    check_gpu,
]


def _safe(check: Callable[[], Check]) -> Check:
    """``check()``, or a FAIL line naming what went wrong: the doctor runs on broken machines and must never
    crash (a check that raises is itself a finding)."""
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        name = getattr(check, "__name__", "check")
        return Check(FAIL, name.removeprefix("check_") if name != "<lambda>" else "check", f"{type(exc).__name__}: {exc}")


def results() -> list[Check]:
    """Run every check and return the results (no printing)."""
    return [_safe(c) for c in CHECKS]


def run(out=None) -> int:
    """Run every check, print the report, return the exit code (0: all OK, 1: a FAIL)."""
    out = out or sys.stdout
    results = [_safe(c) for c in CHECKS]
    for r in results:
        print(r.line(), file=out)
    failed = [r for r in results if r.status == FAIL]
    if not any(r.name == "torch" and r.status == FAIL for r in results):
        try:
            probe = _probe()
        except Exception as exc:  # noqa: BLE001 - e.g. a bad WARMUP_COURSE_THREADS (already a FAIL line above)
            print(f"INFO  {'course time':<22} not estimated: {type(exc).__name__}: {exc}", file=out)
        else:
            est = estimate_course_seconds(probe)
            print(f"INFO  {'course time':<22} about {est / 60:.1f} min to execute every notebook here "
                  f"(probe {probe:.2f} s; reference {REFERENCE_COURSE_SECONDS / 60:.1f} min)", file=out)
    print(f"{len(results) - len(failed)}/{len(results)} checks OK" + (f", {len(failed)} FAILED" if failed else ""),
          file=out)
    return 1 if failed else 0
