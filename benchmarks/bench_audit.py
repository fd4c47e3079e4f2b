"""Speed of ``warmup_course.audit.audit`` on a 10**6-update trace (goal: <= 100 ms), as a ratio against a
baseline measured in the same run: evaluating the expected schedule itself over the 10**6 updates
(``warmup_cosine(...).values(10**6)``, one vectorised numpy pass).

Cases: a correct trace with and without the expected schedule, and a buggy one (the schedule 4x too slow),
where the audit fits its hypotheses. Run:  OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_audit.py
Timings take the best of several repeats to damp noise on a shared machine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from warmup_course.audit import audit
from warmup_course.schedules import warmup_cosine

N = 10**6
W = 10_000
REPEATS = 5
GOAL_MS = 100.0


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    s = warmup_cosine(W, N)
    peak = 1e-3
    good = peak * s.values(N)
    slow = peak * warmup_cosine(4 * W, 4 * N).values(N)  # total steps counted in micro-batches: 4x too slow
    assert audit(good).ok and audit(good, s, peak_lr=peak, total_steps=N).ok
    assert "time_scaled" in audit(slow, s, peak_lr=peak, total_steps=N)
    base = best_of(lambda: s.values(N))
    cases = {
        "audit(trace) without expected, correct trace": lambda: audit(good),
        "audit(trace, expected), correct trace": lambda: audit(good, s, peak_lr=peak, total_steps=N),
        "audit(trace, expected), 4x too slow (fits hypotheses)": lambda: audit(slow, s, peak_lr=peak, total_steps=N),
    }
    print(f"baseline: warmup_cosine.values(10**6) = {base * 1e3:.1f} ms")
    print(f"{'case':<58}{'ms':>8}{'x baseline':>12}  goal <= {GOAL_MS:.0f} ms")
    for name, fn in cases.items():
        t = best_of(fn)
        print(f"{name:<58}{t * 1e3:>8.1f}{t / base:>12.2f}  {'OK' if t * 1e3 <= GOAL_MS else 'OVER'}")


if __name__ == "__main__":
    main()
