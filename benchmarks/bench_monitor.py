"""What does WarmupMonitor cost over the loop it watches?

The same hand-written loop (zero_grad, forward, loss, backward, SGD step, WarmupLR step; batches indexed from
in-memory tensors) runs three ways, interleaved and repeated, in one process:

* ``bare``       -- the loop alone;
* ``monitor``    -- with ``WarmupMonitor(model, opt)`` attached (global statistics) and ``monitor.log_loss(loss)``
  once per update;
* ``per-layer``  -- the same with ``per_layer=True``.

It prints the median wall time of each and the ratios to ``bare`` (medians, because the machine is shared:
a ratio of medians of interleaved runs is robust to load that comes and goes). Also the median CPU time
of this process (``time.process_time``), which load from other processes inflates less.

Goal (issue 13): monitor / bare <= 1.05 on the course's 4x256 BatchNorm MLP at batch 512; per-layer reported.

    OMP_NUM_THREADS=1 python benchmarks/bench_monitor.py [--steps 200] [--repeats 7]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import torch
import torch.nn.functional as F

from warmup_course import models
from warmup_course.data import load_digits
from warmup_course.monitor import WarmupMonitor
from warmup_course.runtime import set_threads
from warmup_course.scheduler import WarmupLR
from warmup_course.schedules import linear_warmup

LR, MOMENTUM, WARMUP = 0.8, 0.9, 10
CONFIGS = {
    ("mlp 4x256 BN", 512): functools.partial(models.mlp, hidden=256, depth=4, batchnorm=True),
    ("mlp 2x32 BN", 64): functools.partial(models.mlp, hidden=32, depth=2, batchnorm=True),
}
GOAL_ROW = ("mlp 4x256 BN", 512)


def run(build, data, steps: int, batch_size: int, seed: int, mode: str) -> tuple[float, float]:
    model = build(seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    sched = WarmupLR(opt, linear_warmup(WARMUP))
    mon = None if mode == "bare" else WarmupMonitor(model, opt, per_layer=mode == "per-layer")
    x, y = data.x_train, data.y_train
    gen = torch.Generator().manual_seed(seed)
    n, t = len(y), 0
    model.train()
    w0, c0 = time.perf_counter(), time.process_time()
    while t < steps:
        order = torch.randperm(n, generator=gen)
        for i in range(n // batch_size):
            if t == steps:
                break
            idx = order[i * batch_size : (i + 1) * batch_size]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            sched.step()
            if mon is not None:
                mon.log_loss(loss)
            t += 1
    if mon is not None:
        mon.flush()  # the statistics reach the host: part of the cost
        mon.close()
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    threads = set_threads()
    data = load_digits()
    print(f"digits, SGD momentum + linear warmup, {args.steps} updates, torch {torch.__version__}, {threads} thread(s), "
          f"median of {args.repeats} interleaved repeats")
    header = f"{'model':<14} {'batch':>5}  {'bare':>8}  {'monitor':>8}  {'per-layer':>9}  {'monitor/bare':>12}  " \
             f"{'per-layer/bare':>14}  {'(CPU time)':>10}"
    print(header)
    print("-" * len(header))
    ok = True
    modes = ("bare", "monitor", "per-layer")
    for (name, bs), build in CONFIGS.items():
        for mode in modes:
            run(build, data, 5, bs, 0, mode)  # warm up allocator and kernels
        wall = {m: [] for m in modes}
        cpu = {m: [] for m in modes}
        for r in range(args.repeats):
            for mode in modes:  # interleaved: drifts in machine load hit all three alike
                w, c = run(build, data, args.steps, bs, r, mode)
                wall[mode].append(w)
                cpu[mode].append(c)
        med = {m: statistics.median(v) for m, v in wall.items()}
        cmed = {m: statistics.median(v) for m, v in cpu.items()}
        ratio, per = med["monitor"] / med["bare"], med["per-layer"] / med["bare"]
        if (name, bs) == GOAL_ROW:
            ok = ratio <= 1.05
        print(f"{name:<14} {bs:>5}  {med['bare']:>7.3f}s  {med['monitor']:>7.3f}s  {med['per-layer']:>8.3f}s  "
              f"{ratio:>11.3f}x  {per:>13.3f}x  {cmed['monitor'] / cmed['bare']:.3f}x / {cmed['per-layer'] / cmed['bare']:.3f}x")
    print(f"goal on {GOAL_ROW[0]}, batch {GOAL_ROW[1]} (monitor/bare <= 1.05): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
