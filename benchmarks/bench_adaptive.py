"""Per-update cost of the feedback controllers (warmup_course.adaptive), as ratios against WarmupLR in the same loop.

The loop is task A's: the digits BatchNorm-MLP (4 x 128), batch 512, SGD momentum 0.9 (Adam for the Adam-family
rows). For each contender we time N updates of ``zero_grad; forward; backward; optimizer.step(); scheduler.step()``
and report

* ``update``: the whole update's time / the same loop with ``WarmupLR(linear_warmup(20))`` -- what a user pays;
* ``sched.step``: the time inside ``scheduler.step()`` (plus its optimizer hook) / ``WarmupLR.step()``.

CDAT (one extra forward, backward and Hessian-vector product per update) is reported on its own, full-batch
(1,437 digits), against the same full-batch loop with WarmupLR. The optimizers that ramp on their own (RAdam,
GI-Adam, Prodigy, D-Adaptation) are compared with plain Adam / SGD in the same loop.

Run:  OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_adaptive.py
Best of several repeats, contenders alternated, to damp noise on a shared machine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F

from warmup_course import adaptive, models
from warmup_course.data import load_digits
from warmup_course.runtime import set_threads
from warmup_course.scheduler import WarmupLR
from warmup_course.schedules import linear_warmup

N, REPEATS = 60, 5


def loop(make_opt: Callable, make_sched: Callable | None, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(seconds per update, seconds per scheduler.step incl. its optimizer hook), one run of N updates."""
    model = models.mlp(hidden=128, depth=4, batchnorm=True, seed=0)
    opt = make_opt(model.parameters())
    sched = make_sched(opt, model) if make_sched else None
    in_sched = 0.0
    start = time.perf_counter()
    for _ in range(N):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if sched is not None:
            t = time.perf_counter()
            sched.step(loss.detach()) if getattr(sched, "needs_loss", False) else sched.step()
            in_sched += time.perf_counter() - t
    return (time.perf_counter() - start) / N, in_sched / N


def best(results: list[tuple[float, float]]) -> tuple[float, float]:
    return min(r[0] for r in results), min(r[1] for r in results)


def compare(contenders: dict[str, tuple[Callable, Callable | None]], x: torch.Tensor, y: torch.Tensor) -> dict:
    runs: dict[str, list] = {k: [] for k in contenders}
    for _ in range(REPEATS):
        for name, (o, s) in contenders.items():
            runs[name].append(loop(o, s, x, y))
    return {k: best(v) for k, v in runs.items()}


def main() -> None:
    set_threads(1)
    data = load_digits()
    g = torch.Generator().manual_seed(0)
    idx = torch.randperm(len(data.x_train), generator=g)[:512]
    x, y = data.x_train[idx], data.y_train[idx]
    sgd = partial(torch.optim.SGD, lr=3.2, momentum=0.9)
    warm = lambda opt, m: WarmupLR(opt, linear_warmup(20))  # noqa: E731
    res = compare({
        "WarmupLR (baseline)": (sgd, warm),
        "UpdateSizeWarmup": (sgd, lambda opt, m: adaptive.UpdateSizeWarmup(opt, 0.2)),
        "LossGapWarmup": (sgd, lambda opt, m: adaptive.LossGapWarmup(opt, 0.3)),
        "SpikeGuard": (sgd, lambda opt, m: adaptive.SpikeGuard(opt, start_factor=0.1, growth=1.25)),
    }, x, y)
    base_u, base_s = res["WarmupLR (baseline)"]
    print(f"task A loop, batch 512, SGD: WarmupLR update {base_u * 1e3:.2f} ms, its step {base_s * 1e6:.1f} us")
    for k, (u, s) in res.items():
        print(f"  {k:<22} update {u / base_u:5.2f}x   sched.step {s / base_s:6.1f}x ({s * 1e6:.0f} us)")

    import dadaptation
    import prodigyopt

    adam = partial(torch.optim.Adam, lr=1e-3, betas=(0.9, 0.95))
    opts = compare({
        "Adam (baseline)": (adam, None),
        "GI-Adam": (partial(adaptive.GIAdam, lr=1e-3, betas=(0.9, 0.95)), None),
        "RAdam": (partial(torch.optim.RAdam, lr=1e-3, betas=(0.9, 0.95)), None),
        "Prodigy": (partial(prodigyopt.Prodigy, lr=1.0, safeguard_warmup=True), None),
        "D-Adapt Adam": (partial(dadaptation.DAdaptAdam, lr=1.0), None),
        "SGD": (sgd, None),
        "D-Adapt SGD": (partial(dadaptation.DAdaptSGD, lr=1.0, momentum=0.9), None),
    }, x, y)
    print("optimizers, same loop (no scheduler): update time / Adam's (SGD rows: / SGD's)")
    for k, (u, _) in opts.items():
        base = opts["SGD"][0] if "SGD" in k else opts["Adam (baseline)"][0]
        print(f"  {k:<22} {u / base:5.2f}x")

    xf, yf = data.x_train, data.y_train
    full = compare({
        "WarmupLR full batch": (sgd, warm),
        "CDATWarmup": (sgd, lambda opt, m: adaptive.CDATWarmup(opt, m, F.cross_entropy, (xf, yf))),
    }, xf, yf)
    u0, _ = full["WarmupLR full batch"]
    u1, _ = full["CDATWarmup"]
    print(f"CDAT, full batch ({len(xf)}): update {u1 / u0:.2f}x WarmupLR's ({u0 * 1e3:.1f} ms -> {u1 * 1e3:.1f} ms)")
    probe_model = models.mlp(hidden=128, depth=4, batchnorm=True, seed=0)
    t = time.perf_counter()
    res_p = adaptive.find_critical_lr(probe_model, F.cross_entropy, (x, y))
    dt = time.perf_counter() - t
    print(f"find_critical_lr on task A: {res_p.evaluations} forward passes, {dt * 1e3:.0f} ms "
          f"= {dt / base_u:.1f} updates; eta_c = {res_p.lr:.3g}")
    assert math.isfinite(base_u)


if __name__ == "__main__":
    main()
