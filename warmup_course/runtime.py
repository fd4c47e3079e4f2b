"""Process-wide torch settings that make the course fast and reproducible on a laptop CPU.

The course's models are tiny: an intra-op thread pool gains nothing on them and loses a lot to contention
(measured on a 2-core machine: a 180-step MLP run took 0.15 s with one thread and 21 s with torch's default
two threads while another torch process shared the cores). Results also differ between thread counts from the
first step, so the thread count is pinned for the notebooks' byte-for-byte regression tests.
"""

from __future__ import annotations

import os

THREADS_ENV = "WARMUP_COURSE_THREADS"
DEFAULT_THREADS = 1


def default_threads() -> int:
    """``$WARMUP_COURSE_THREADS`` if set, else 1."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return DEFAULT_THREADS
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"{THREADS_ENV} must be a positive integer, got {raw!r}") from None
    if n < 1:
        raise ValueError(f"{THREADS_ENV} must be a positive integer, got {n}")
    return n


def set_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count to ``n`` (default: :func:`default_threads`) and return it."""
    import torch

    if n is None:
        n = default_threads()
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int or None, got {n!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n
