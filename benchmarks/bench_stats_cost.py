"""Where does the cost of the per-update statistics go? (the remainder of issues 10 and 13)

``UpdateStatistics`` -- the statistics ``train()`` and ``WarmupMonitor`` share -- runs four fused multi-tensor
ops per optimizer update: ``_foreach_norm`` of the gradients and weights and ``_foreach_copy_`` of the weights
before the step, ``_foreach_sub_`` and ``_foreach_norm`` of the difference after it. The hand-written training
loop (zero_grad, forward, backward, SGD step) is timed phase by phase, interleaved and repeated (medians), three
ways:

* ``bare``     -- the loop alone;
* ``0-d kept`` -- with the statistics, their ``3n`` 0-d results kept in a list until a fetch (how ``train()`` and
  ``WarmupMonitor`` kept them before 2026-11-30);
* ``row``      -- with the statistics, each update's results written into one row of a preallocated buffer
  (``torch.stack(..., out=row)``: what they do now).

It also times the four ops called back to back on the same tensors (hot caches: what a micro-benchmark shows).
On the reference machine the thousands of live 0-d tensors cost the 4x256 MLP about 20 % of its update (they
fragment the heap that the forward and backward passes allocate from); in rows, what remains is the ops
themselves, which cost 2-3x their isolated time inside the loop (cold caches), plus a few percent of slower
forward/backward/step around them. That floor -- four dispatches per update, each looping over the tensors on a
CPU -- is what is left between ``train()`` / ``WarmupMonitor`` and the bare loop.

    OMP_NUM_THREADS=1 python benchmarks/bench_stats_cost.py [--repeats 7]
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
from warmup_course.monitor import PendingRows, UpdateStatistics
from warmup_course.runtime import set_threads

CONFIGS = {
    ("mlp 4x256 BN", 512): (functools.partial(models.mlp, hidden=256, depth=4, batchnorm=True), 100),
    ("mlp 2x32 BN", 64): (functools.partial(models.mlp, hidden=32, depth=2, batchnorm=True), 1000),
}
PHASES = ("zero_grad", "forward", "backward", "stats before", "step", "stats after")
MODES = ("bare", "0-d kept", "row")
FETCH_EVERY = 32


def loop(build, x, y, mode: str, updates: int) -> dict[str, float]:
    """Mean microseconds per update of each phase."""
    model = build(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    stats = UpdateStatistics(list(model.parameters())) if mode != "bare" else None
    rows = PendingRows(FETCH_EVERY, 3 * stats.n) if stats is not None else None
    kept: list[torch.Tensor] = []
    opened: list[torch.Tensor] = []
    clock = time.perf_counter
    total = dict.fromkeys(PHASES, 0.0)
    for _ in range(updates):
        t0 = clock()
        opt.zero_grad(set_to_none=True)
        t1 = clock()
        loss = F.cross_entropy(model(x), y)
        t2 = clock()
        loss.backward()
        t3 = clock()
        if stats is not None:
            opened = stats.before_step()
        t4 = clock()
        opt.step()
        t5 = clock()
        if stats is not None:
            if mode == "row":
                rows._write(opened + stats.after_step())  # as train() and WarmupMonitor do
                if rows.count == FETCH_EVERY:
                    rows.take()  # the fetch
            else:
                kept += opened + stats.after_step()
                if len(kept) >= FETCH_EVERY * 3 * stats.n:  # a fetch empties the list
                    kept = []
        t6 = clock()
        for name, a, b in zip(PHASES, (t0, t1, t2, t3, t4, t5), (t1, t2, t3, t4, t5, t6)):
            total[name] += b - a
    return {k: v / updates * 1e6 for k, v in total.items()}


def isolated(build, x, y, calls: int = 300) -> float:
    """Microseconds of the four ops of one update, each called back to back (hot caches)."""
    model = build(seed=0)
    F.cross_entropy(model(x), y).backward()
    stats = UpdateStatistics(list(model.parameters()))
    for _ in range(20):
        stats.before_step(), stats.after_step()
    t = time.perf_counter()
    for _ in range(calls):
        stats.before_step()
        stats.after_step()
    return (time.perf_counter() - t) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    threads = set_threads()
    data = load_digits()
    print(f"digits, SGD momentum, torch {torch.__version__}, {threads} thread(s), medians of {args.repeats} "
          "interleaved repeats; microseconds per update")
    for (name, bs), (build, updates) in CONFIGS.items():
        x, y = data.x_train[:bs], data.y_train[:bs]
        for mode in MODES:
            loop(build, x, y, mode, 10)  # warm up allocator and kernels
        runs: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
        for _ in range(args.repeats):
            for mode in MODES:  # interleaved: drifts in machine load hit all alike
                runs[mode].append(loop(build, x, y, mode, updates))
        med = {m: {p: statistics.median(r[p] for r in runs[m]) for p in PHASES} for m in MODES}
        alone = statistics.median(isolated(build, x, y) for _ in range(3))
        print(f"\n{name}, batch {bs}")
        print(f"  {'phase':<13}" + "".join(f"{m:>10}" for m in MODES))
        for p in PHASES:
            print(f"  {p:<13}" + "".join(f"{med[m][p]:>10.1f}" for m in MODES))
        bare = sum(med["bare"].values())
        for mode in MODES[1:]:
            full = sum(med[mode].values())
            own = med[mode]["stats before"] + med[mode]["stats after"]
            slowed = sum(med[mode][p] - med["bare"][p] for p in ("zero_grad", "forward", "backward", "step"))
            print(f"  {mode:<9}: total {bare:.0f} -> {full:.0f} us ({full / bare:.3f}x); the four ops {own:.0f} us "
                  f"in the loop ({own / alone:.1f}x their isolated {alone:.0f} us), the loop's own phases "
                  f"{slowed:+.0f} us")


if __name__ == "__main__":
    main()
