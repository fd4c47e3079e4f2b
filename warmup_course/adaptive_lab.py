"""The runs of notebook 08 (adaptive warmup): tasks A and B with every warmup method, by name.

* **Task A** -- the digits BatchNorm-MLP (4 x 128) with SGD (momentum 0.9), batch 512, 60 updates: Goyal et
  al.'s large-batch setting, where a high peak lr without warmup blows the loss up. Failure: test accuracy
  below 0.9 or diverged.
* **Task B** -- the 6-layer Post-LN Transformer on reversing 8 symbols with Adam (0.9, 0.95), batch 16, 50
  updates, test loss on 256 fixed sequences: without warmup it stays stuck near ``ln 16``. Failure: test loss
  above 1.

``run_a(method, lr, seed)`` / ``run_b(method, lr, seed)`` return the :class:`~warmup_course.training.History`;
``METHODS_A`` / ``METHODS_B`` list the names. Settings follow ../shared/EXPERIMENT-NOTES.md, K.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F

from warmup_course import adaptive, models, schedules
from warmup_course.data import SequenceTask, load_digits
from warmup_course.training import History, train
from warmup_course.validation import check_bool, check_choice, check_int, check_real

__all__ = [
    "METHODS_A",
    "METHODS_B",
    "R_STAR_ADAM",
    "R_STAR_SGD",
    "failed",
    "probe_a",
    "probe_b",
    "run_a",
    "run_b",
    "run_cdat",
]

#: target update ratios of the update-size controller (EXPERIMENT-NOTES K)
R_STAR_SGD, R_STAR_ADAM = 0.2, 0.03
_DIGITS: list[Any] = []
# task B: batch 16 and a 256-sequence test set keep a Transformer run near 1 s of CPU (notebook 08's budget)
_REVERSE = SequenceTask(length=8, eval_size=256)
STEPS_A, BATCH_A, STEPS_B, BATCH_B = 60, 512, 50, 16
WARMUP = 20  # the tuned linear warmup of both tasks


def _digits() -> Any:
    if not _DIGITS:
        _DIGITS.append(load_digits())
    return _DIGITS[0]


METHODS_A = ("no warmup", "linear", "update size", "loss gap", "spike guard", "D-Adapt SGD", "Prodigy")
METHODS_B = ("no warmup", "linear", "untuned", "RAdam", "update size", "loss gap", "GI-Adam", "Prodigy",
             "D-Adapt Adam", "Pre-LN")


def _knobs(r_star: Any, delta_peak: Any, hi: Any) -> tuple[float, float, float]:
    return (check_real("r_star", r_star, 0.0, 10.0, low_open=True),
            check_real("delta_peak", delta_peak, 0.0, 100.0, low_open=True),
            check_real("hi", hi, 1.0, 100.0))


def _schedule(method: str, r_star: float, delta_peak: float, hi: float = 1.25) -> Any:
    return {
        "no warmup": None,
        "linear": schedules.linear_warmup(WARMUP),
        "untuned": schedules.untuned_warmup(0.95),
        "update size": partial(adaptive.UpdateSizeWarmup, target_ratio=r_star, hi=hi),
        "loss gap": partial(adaptive.LossGapWarmup, delta_peak=delta_peak),
        "spike guard": partial(adaptive.SpikeGuard, start_factor=0.1, growth=1.25, floor=0.1),
    }.get(method)


def run_a(method: str, lr: float, seed: int, *, r_star: float = R_STAR_SGD, delta_peak: float = 0.3,
          hi: float = 1.25, diagnostics: bool = False) -> History:
    """Task A with ``method`` (one of :data:`METHODS_A`) at peak lr ``lr`` (ignored by the lr-free optimizers)."""
    check_choice("method", method, METHODS_A)
    lr = check_real("lr", lr, 0.0, 1e3, low_open=True)
    seed = check_int("seed", seed, 0)
    r_star, delta_peak, hi = _knobs(r_star, delta_peak, hi)
    diagnostics = check_bool("diagnostics", diagnostics)
    model = models.mlp(hidden=128, depth=4, batchnorm=True, seed=seed)
    if method == "D-Adapt SGD":
        import dadaptation

        opt: Any = partial(dadaptation.DAdaptSGD, lr=1.0, momentum=0.9)
    elif method == "Prodigy":
        import prodigyopt

        opt = partial(prodigyopt.Prodigy, lr=1.0, safeguard_warmup=True)
    else:
        opt = partial(torch.optim.SGD, lr=lr, momentum=0.9)
    return train(model, _digits(), opt, _schedule(method, r_star, delta_peak, hi), STEPS_A, BATCH_A, seed=seed,
                 diagnostics=diagnostics)


def run_b(method: str, lr: float, seed: int, *, r_star: float = R_STAR_ADAM, delta_peak: float = 0.3,
          hi: float = 1.25, steps: int = STEPS_B, diagnostics: bool = False) -> History:
    """Task B with ``method`` (one of :data:`METHODS_B`) at peak lr ``lr`` (``r_star``, ``hi``: the update-size
    controller's target ratio and largest growth per update; ``delta_peak``: the loss-gap rule's D*;
    ``diagnostics``: record the gradient norm and update ratios, as :func:`~warmup_course.training.train`)."""
    check_choice("method", method, METHODS_B)
    lr = check_real("lr", lr, 0.0, 1.0, low_open=True)
    seed = check_int("seed", seed, 0)
    r_star, delta_peak, hi = _knobs(r_star, delta_peak, hi)
    steps = check_int("steps", steps, 1, 10_000)
    model = models.transformer(length=8, layers=6, norm="pre" if method == "Pre-LN" else "post", seed=seed)
    betas = (0.9, 0.95)
    if method == "RAdam":
        opt: Any = partial(torch.optim.RAdam, lr=lr, betas=betas)
    elif method == "GI-Adam":
        opt = partial(adaptive.GIAdam, lr=lr, betas=betas)
    elif method == "Prodigy":  # defaults (beta2 = 0.999), lr = 1: it sets its own step size
        import prodigyopt

        opt = partial(prodigyopt.Prodigy, lr=1.0, safeguard_warmup=True)
    elif method == "D-Adapt Adam":
        import dadaptation

        opt = partial(dadaptation.DAdaptAdam, lr=1.0)
    else:
        opt = partial(torch.optim.Adam, lr=lr, betas=betas)
    return train(model, _REVERSE, opt, _schedule(method, r_star, delta_peak, hi), steps, BATCH_B, seed=seed,
                 diagnostics=diagnostics)


def run_cdat(lr: float, seed: int, *, sigma: float = 2.0, cap: float = 1.0, steps: int = STEPS_A) -> History:
    """Task A full-batch (all 1,437 training digits per update) with :class:`~warmup_course.adaptive.CDATWarmup`."""
    lr = check_real("lr", lr, 0.0, 1e3, low_open=True)
    seed = check_int("seed", seed, 0)
    steps = check_int("steps", steps, 1, 10_000)
    data = _digits()
    model = models.mlp(hidden=128, depth=4, batchnorm=True, seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    sched = adaptive.CDATWarmup(opt, model, F.cross_entropy, (data.x_train, data.y_train), sigma=sigma, cap=cap)
    return train(model, data, opt, sched, steps, len(data.x_train), seed=seed, diagnostics=False)


def failed(h: History, task: str) -> bool:
    """Task A: diverged or test accuracy < 0.9. Task B: diverged or test loss > 1 (stuck near ln 16)."""
    check_choice("task", task, ("A", "B"))
    if not isinstance(h, History):
        raise TypeError(f"h must be a History, got {type(h).__name__}")
    if h.diverged:
        return True
    value = h.final("test_acc") if task == "A" else h.final("test_loss")
    if not math.isfinite(value):
        return True
    return value < 0.9 if task == "A" else value > 1.0


def probe_a(seed: int) -> adaptive.CriticalLR:
    """eta_c of the first SGD step on task A (first batch of 512 of the run with ``seed``, model at init)."""
    seed = check_int("seed", seed, 0)
    model = models.mlp(hidden=128, depth=4, batchnorm=True, seed=seed)
    x, y = next(_digits().batches(BATCH_A, seed=seed, device="cpu"))
    return adaptive.find_critical_lr(model, F.cross_entropy, (x, y))


def probe_b(seed: int, batch_size: int = 256) -> adaptive.CriticalLR:
    """eta_c of Adam's first step on task B: the direction ``-sign(g)`` (Adam's step 1 moves each weight by lr).

    Probed on ``batch_size`` fresh sequences (default 256, 8x a training batch: a less noisy estimate)."""
    seed = check_int("seed", seed, 0)
    batch_size = check_int("batch_size", batch_size, 1, 1 << 16)
    model = models.transformer(length=8, layers=6, norm="post", seed=seed)
    x, y = next(_REVERSE.batches(batch_size, seed=seed, device="cpu"))
    loss_fn = lambda out, t: F.cross_entropy(out.flatten(0, -2), t.flatten())  # noqa: E731
    params = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss_fn(model(x), y), params)
    return adaptive.find_critical_lr(model, loss_fn, (x, y), [-g.sign() for g in grads], lr_start=1e-5)
