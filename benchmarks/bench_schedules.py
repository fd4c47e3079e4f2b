"""Speed of schedules and of the torch adapter, as ratios against baselines measured in the same run.

1. Evaluating 10**6 steps of ``warmup_cosine`` as one array (goal: <= 50 ms), against the same
   multipliers computed one step at a time by a pure-Python lambda (HF transformers' formula).
2. Per-step cost of ``WarmupLR.step()`` relative to ``LambdaLR.step()`` with the same multipliers
   (goal: <= 1.0x). Baselines: LambdaLR with HF's own cosine lambda (``get_cosine_schedule_with_warmup``)
   when transformers is installed, else an equivalent hand-written lambda; and LambdaLR(as_lr_lambda(s)).

Run:  OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_schedules.py
Timings take the best of several repeats, alternating the contenders, to damp noise on a shared machine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
from torch.optim.lr_scheduler import LambdaLR

from warmup_course.scheduler import WarmupLR, as_lr_lambda
from warmup_course.schedules import warmup_cosine

N_ARRAY = 10**6
WARMUP, TOTAL = 10_000, N_ARRAY
N_STEPS = 20_000
REPEATS = 7


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def hf_style_lambda(step: int) -> float:
    """HF transformers' cosine-with-warmup multiplier, written out (used if transformers is missing)."""
    if step < WARMUP:
        return float(step) / float(max(1, WARMUP))
    progress = float(step - WARMUP) / float(max(1, TOTAL - WARMUP))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(0.5) * 2.0 * progress)))


def make_optimizer(groups: int) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1 * (i + 1)} for i in range(groups)]
    return torch.optim.SGD(params, lr=0.1)


def time_scheduler_steps(make: Callable[[torch.optim.Optimizer], object], groups: int) -> float:
    """Seconds per scheduler.step(), best of REPEATS runs of N_STEPS steps (fresh scheduler each run)."""

    def one_run() -> None:
        opt = make_optimizer(groups)
        sched = make(opt)
        opt.step()  # normal use: optimizer.step() before scheduler.step(), so no order warning
        step = sched.step
        for _ in range(N_STEPS):
            step()

    return best_of(one_run) / N_STEPS


def main() -> None:
    torch.set_num_threads(1)
    s = warmup_cosine(WARMUP, TOTAL)
    print(f"torch {torch.__version__}, numpy {np.__version__}")
    print(f"schedule: {s!r}\n")

    # 1. vectorised evaluation
    t_array = best_of(lambda: s.values(N_ARRAY))
    t_loop = best_of(lambda: [hf_style_lambda(t) for t in range(N_ARRAY)], repeats=2)
    print(f"[1] {N_ARRAY:,} steps of warmup_cosine as an array: {t_array * 1e3:.1f} ms (goal <= 50 ms) "
          f"-> {'OK' if t_array <= 0.050 else 'MISSED'}")
    print(f"    baseline, pure-Python per-step lambda over the same steps: {t_loop * 1e3:.0f} ms "
          f"(array is {t_loop / t_array:.0f}x faster)\n")

    # 2. per-step scheduler cost
    try:
        from transformers import get_cosine_schedule_with_warmup

        def hf(opt):
            return get_cosine_schedule_with_warmup(opt, WARMUP, TOTAL)

        hf_name = "LambdaLR (HF get_cosine_schedule_with_warmup)"
    except ImportError:  # pragma: no cover - transformers is a dev dependency

        def hf(opt):
            return LambdaLR(opt, hf_style_lambda)

        hf_name = "LambdaLR (HF-style lambda)"

    print("[2] per-step cost of scheduler.step() (steps inside the warmup and the decay both covered: "
          f"{N_STEPS:,} steps from t=0 with W={WARMUP:,})")
    for groups in (1, 4):
        contenders = {
            "WarmupLR(s)": lambda opt: WarmupLR(opt, s),
            hf_name: hf,
            "LambdaLR(as_lr_lambda(s))": lambda opt: LambdaLR(opt, as_lr_lambda(s)),
        }
        times = {name: time_scheduler_steps(make, groups) for name, make in contenders.items()}
        ours = times["WarmupLR(s)"]
        print(f"  {groups} param group(s):")
        for name, sec in times.items():
            print(f"    {name:<48s} {sec * 1e6:6.2f} us/step")
        ratio = ours / times[hf_name]
        ratio2 = ours / times["LambdaLR(as_lr_lambda(s))"]
        print(f"    WarmupLR / {hf_name}: {ratio:.2f}x (goal <= 1.0x) -> {'OK' if ratio <= 1.0 else 'MISSED'}")
        print(f"    WarmupLR / LambdaLR(as_lr_lambda(s)): {ratio2:.2f}x")

    # Same multipliers: the comparison above is like for like.
    opt_a, opt_b = make_optimizer(1), make_optimizer(1)
    a, b = WarmupLR(opt_a, s), hf(opt_b)
    opt_a.step()
    opt_b.step()
    for _ in range(WARMUP + 10):
        a.step()
        b.step()
        assert a.get_last_lr() == b.get_last_lr()
    print("\n(checked: WarmupLR and the HF LambdaLR give identical lrs over the first "
          f"{WARMUP + 10:,} steps)")


if __name__ == "__main__":
    main()
