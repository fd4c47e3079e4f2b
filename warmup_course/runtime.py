"""Process-wide torch settings that make the course fast and reproducible on a laptop CPU.

The course's models are tiny: an intra-op thread pool gains nothing on them and loses a lot to contention
(measured on a 2-core machine: a 180-step MLP run took 0.15 s with one thread and 21 s with torch's default
two threads while another torch process shared the cores). Results also differ between thread counts from the
first step, so the thread count is pinned for the notebooks' byte-for-byte regression tests.
"""

from __future__ import annotations

import os

__all__ = ["DEFAULT_THREADS", "MAX_THREADS", "THREADS_ENV", "default_threads", "set_threads"]

THREADS_ENV = "WARMUP_COURSE_THREADS"
DEFAULT_THREADS = 1
#: More intra-op threads than any machine the course runs on has cores (torch overflows on absurd counts).
MAX_THREADS = 4096


def default_threads() -> int:
    """``$WARMUP_COURSE_THREADS`` if set, else 1."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return DEFAULT_THREADS
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"{THREADS_ENV} must be a positive integer, got {raw!r}") from None
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"{THREADS_ENV} must be a positive integer <= {MAX_THREADS}, got {n}")
    return n


def set_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count to ``n`` (default: :func:`default_threads`) and return it."""
    import torch

    if n is None:
        n = default_threads()
    from warmup_course.validation import check_int

    n = check_int("n", n, 1, MAX_THREADS)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n
