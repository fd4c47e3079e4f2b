"""Run any library's learning-rate scheduler step by step and record the learning rate each update used.

Libraries disagree about *when* their scheduler is stepped and what the first update gets (HF transformers
gives it 0, pytorch_warmup ``1/τ``, timm ``warmup_lr_init``...). The only convention-free way to compare
them is to drive each exactly as its documentation says, inside a real optimizer loop, and read the
learning rate the optimizer holds when it applies update ``t``::

    from transformers import get_cosine_schedule_with_warmup
    lrs = record_lrs(lambda opt: get_cosine_schedule_with_warmup(opt, 100, 1000), steps=1000, peak_lr=1e-3)
    lrs[0], lrs[100]          # (0.0, 0.001): the LR of update 0 and of update 100

``lrs[t]`` is then directly comparable with ``peak_lr * schedule(t)`` for a
:class:`~warmup_course.schedules.Schedule` (whose ``t`` is also the index of the update about to be applied).

This module imports torch but no peer library: the caller builds the peer's scheduler in ``make_scheduler``,
so importing :mod:`warmup_course` (or this module) never loads transformers, timm or Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from warmup_course.validation import MAX_ITEMS, check_int, check_real

__all__ = ["record_lrs"]


def _default_step(scheduler: Any, t: int) -> None:
    scheduler.step()


def record_lrs(
    make_scheduler: Callable[[torch.optim.Optimizer], Any],
    steps: int,
    *,
    peak_lr: float = 1.0,
    step: Callable[[Any, int], None] | None = None,
    optimizer_cls: type[torch.optim.Optimizer] | None = None,
    **optimizer_kwargs: Any,
) -> np.ndarray:
    """The learning rate of param group 0 at each of the first ``steps`` optimizer updates.

    One loop, the order every torch scheduler documents: read the LR (the one update ``t`` uses),
    ``optimizer.step()``, then ``step(scheduler, t)`` -- by default ``scheduler.step()``; pass e.g.
    ``lambda s, t: s.step_update(num_updates=t + 1)`` for timm, whose schedulers take the count of updates done.
    The optimizer holds one parameter with no gradient, so its ``step()`` changes nothing but counts as
    called (torch's call-order check stays quiet).

    Args:
        make_scheduler: ``optimizer -> scheduler`` (any object; it is only handed to ``step``).
        steps: number of updates to record, >= 1.
        peak_lr: the optimizer's ``lr`` (the base LR the scheduler multiplies), > 0.
        step: ``step(scheduler, t)`` called after update ``t``; default ``scheduler.step()``.
        optimizer_cls: optimizer class (default ``torch.optim.SGD``; e.g. ``torch.optim.Adam`` for schedulers
            that read Adam's ``betas``, like pytorch_warmup's untuned warmup).
        **optimizer_kwargs: passed to ``optimizer_cls`` besides ``lr`` (e.g. ``betas=(0.9, 0.98)``).

    Returns:
        float64 array of length ``steps``: ``lrs[t]`` is the LR update ``t`` was applied with.
    """
    if not callable(make_scheduler):
        raise TypeError(f"make_scheduler must be callable (optimizer -> scheduler), got {type(make_scheduler).__name__}")
    steps = check_int("steps", steps, 1, MAX_ITEMS)
    peak_lr = check_real("peak_lr", peak_lr, 0.0, low_open=True)
    if step is not None and not callable(step):
        raise TypeError(f"step must be callable (scheduler, t) -> None or None, got {type(step).__name__}")
    if optimizer_cls is None:
        optimizer_cls = torch.optim.SGD
    if not (isinstance(optimizer_cls, type) and issubclass(optimizer_cls, torch.optim.Optimizer)):
        raise TypeError(f"optimizer_cls must be a torch.optim.Optimizer subclass, got {optimizer_cls!r}")
    advance = _default_step if step is None else step
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = optimizer_cls([param], lr=float(peak_lr), **optimizer_kwargs)
    scheduler = make_scheduler(optimizer)
    group = optimizer.param_groups[0]
    lrs = np.empty(int(steps), dtype=np.float64)
    for t in range(int(steps)):
        lrs[t] = float(group["lr"])  # a tensor lr (capturable optimizers) becomes a float too
        optimizer.step()
        advance(scheduler, t)
    return lrs
