"""Overhead of ``warmup_course.recorder.record_lr`` on the course's training step (goal: <= 2 %).

The same hand-written loop -- digits MLP 4x256 + BatchNorm, SGD momentum, batch 512, ``WarmupLR`` stepped after
every update, 200 updates -- run bare and inside ``record_lr(optimizer, scheduler)`` (step pre/post hooks and
the wrapped ``scheduler.step``), alternating the two, best of several repeats, in the same process.

Run:  OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_recorder.py
"""

from __future__ import annotations

import contextlib
import math
import time

import torch
import torch.nn.functional as F

from warmup_course.data import load_digits
from warmup_course.models import mlp
from warmup_course.recorder import record_lr
from warmup_course.runtime import set_threads
from warmup_course.scheduler import WarmupLR
from warmup_course.schedules import warmup_cosine

UPDATES = 200
REPEATS = 7
GOAL = 1.02


def run(recorded: bool, data, seed: int = 0) -> float:
    model = mlp(batchnorm=True, seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.4, momentum=0.9)
    sched = WarmupLR(opt, warmup_cosine(20, UPDATES))
    batches = data.batches(512, seed=seed)
    xs = [next(batches) for _ in range(UPDATES)]  # batching outside the timed loop, for both
    ctx = record_lr(opt, sched) if recorded else contextlib.nullcontext()
    start = time.perf_counter()
    with ctx:
        for xb, yb in xs:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    elapsed = time.perf_counter() - start
    if recorded:
        assert len(ctx) == UPDATES
    return elapsed


def main() -> None:
    set_threads(1)
    data = load_digits()
    run(False, data), run(True, data)  # warm-up
    bare, rec = math.inf, math.inf
    for _ in range(REPEATS):
        bare = min(bare, run(False, data))
        rec = min(rec, run(True, data))
    ratio = rec / bare
    print(f"bare loop: {bare * 1e3 / UPDATES:.3f} ms/update; with record_lr: {rec * 1e3 / UPDATES:.3f} ms/update")
    print(f"record_lr / bare = {ratio:.4f}x  (goal <= {GOAL:.2f}x: {'OK' if ratio <= GOAL else 'OVER'})")


if __name__ == "__main__":
    main()
