"""Checks for notebook 03 (warmup in every framework).

1. :func:`check_hf_schedule` -- the learner turns a HF transformers config (warmup given as a ratio, 0.06 of
   10,000 steps) into one of the course's schedules.
2. :func:`check_hf_torch_scheduler` -- the same config with torch's built-in schedulers only
   (``LinearLR`` + ``SequentialLR``).
3. :func:`check_accumulation_loop` -- the learner fixes a gradient-accumulation loop that stepped the
   scheduler once per micro-batch.

The checkers run the learner's answer (a schedule over 10,000 updates, a real torch scheduler stepped 10,000
times, a training loop driving a real optimizer) and explain the typical mistakes: 6,000 or 60 warmup updates
instead of 600, a total that excludes the warmup, an off-by-one ``SequentialLR`` milestone, a first update
at a nonzero LR, a scheduler stepped per micro-batch or before ``optimizer.step()``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.optim.lr_scheduler import LRScheduler

from warmup_course.exercises.core import Verdict, checker
from warmup_course.peers import record_lrs
from warmup_course.scheduler import WarmupLR
from warmup_course.schedules import warmup_cosine, warmup_linear

__all__ = [
    "HF_CONFIG",
    "HF_WARMUP_STEPS",
    "check_hf_schedule",
    "check_hf_torch_scheduler",
    "check_accumulation_loop",
    "optimizer_lrs",
]

#: Exercise 1: a HF transformers config. ``warmup_steps`` below 1 is a *fraction* of the training steps
#: (transformers >= 5; ``warmup_ratio`` in older versions); ``TrainingArguments.get_warmup_steps`` rounds up.
HF_CONFIG: dict[str, Any] = {"learning_rate": 5e-5, "lr_scheduler_type": "linear", "warmup_steps": 0.06,
                             "max_steps": 10_000}
#: ``math.ceil(0.06 * 10_000) = 600``.
HF_WARMUP_STEPS = math.ceil(HF_CONFIG["warmup_steps"] * HF_CONFIG["max_steps"])
_T = HF_CONFIG["max_steps"]
_W = HF_WARMUP_STEPS
_PEAK_TOL = 1e-9


def _reference() -> np.ndarray:
    """HF's ``get_linear_schedule_with_warmup(num_warmup_steps=600, num_training_steps=10_000)`` multipliers
    (notebook 03 asserts that the course's ``warmup_linear`` equals it at every step)."""
    return warmup_linear(_W, _T).values(_T)


def _peak_index(v: np.ndarray, tol: float) -> int | None:
    hits = np.flatnonzero(v >= 1.0 - tol)
    return int(hits[0]) if hits.size else None


def _warmup_length_problem(peak: int | None, v: np.ndarray) -> str | None:
    """A message when the warmup does not end at update 600, naming the usual reason."""
    why = (f"warmup_steps = 0.06 is a fraction of max_steps: ceil(0.06 × 10,000) = {_W} updates "
           "(HF's TrainingArguments.get_warmup_steps)")
    if peak is None:
        return f"your learning rate never reaches the peak (max multiplier {v.max():.4g}); {why}."
    if peak == _W:
        return None
    if peak in (6000, 5999):
        return f"your warmup lasts {peak} updates, 10× too long: {why}, not 6,000."
    if peak in (60, 59):
        return f"your warmup lasts {peak} updates, 10× too short: {why}, not 60."
    if peak == 0:
        return f"your schedule starts at the peak: there is no warmup; {why}."
    return f"your learning rate first reaches the peak at update {peak}; HF's reaches it at update {_W}: {why}."


def _first_mismatch(v: np.ndarray, ref: np.ndarray, tol: float) -> str:
    bad = np.flatnonzero(np.abs(v - ref) > tol)
    t = int(bad[0])
    return f"at update {t} the multiplier should be {ref[t]:.6g}, yours is {v[t]:.6g}"


@checker
def check_hf_schedule(schedule) -> Verdict:
    """``schedule``: a course schedule (or any function ``t -> multiplier``) equal to the HF config's."""
    if hasattr(schedule, "values") and callable(schedule.values):
        v = np.asarray(schedule.values(_T), dtype=float)
    elif callable(schedule):
        v = np.asarray([float(schedule(t)) for t in range(_T)], dtype=float)
    else:
        return Verdict.wrong(f"expected a schedule such as schedules.warmup_linear(...), got {type(schedule).__name__}")
    assert v.shape == (_T,), f"the schedule should give one multiplier per update, got shape {v.shape}"
    ref = _reference()
    if np.allclose(v, ref, rtol=0, atol=_PEAK_TOL):
        return Verdict.correct(
            f"{_W} warmup updates (ceil(0.06 × 10,000)) from multiplier 0, then linear decay to 0 at update "
            "10,000 -- HF's total includes the warmup, so the decay lasts 9,400 updates."
        )
    peak = _peak_index(v, _PEAK_TOL)
    if v[0] > _PEAK_TOL and peak == _W - 1:
        return Verdict.wrong(f"HF's first update gets multiplier 0 (t / W at t = 0); yours gets {v[0]:.4g} and "
                             f"reaches the peak one update early, at {_W - 1}: drop first_step_nonzero.")
    problem = _warmup_length_problem(peak, v)
    if problem:
        return Verdict.wrong(problem)
    if np.all(v[_W:] >= 1.0 - _PEAK_TOL):
        return Verdict.wrong("after the warmup, lr_scheduler_type 'linear' decays linearly to 0 at update 10,000; "
                             "your schedule stays at the peak.")
    if np.allclose(v, warmup_cosine(_W, _T).values(_T), atol=_PEAK_TOL):
        return Verdict.wrong("lr_scheduler_type 'linear' decays linearly after the warmup; you used a cosine decay.")
    if np.allclose(v, warmup_linear(_W, _T + _W).values(_T), atol=_PEAK_TOL):
        return Verdict.wrong("HF's max_steps (num_training_steps) includes the warmup: the total is 10,000, so "
                             "the decay lasts 10,000 - 600 = 9,400 updates, not 10,000.")
    if v[0] > _PEAK_TOL:
        return Verdict.wrong(f"HF's first update gets multiplier 0; yours gets {v[0]:.4g} ({_first_mismatch(v, ref, _PEAK_TOL)}).")
    return Verdict.wrong(_first_mismatch(v, ref, _PEAK_TOL) + ".")


class _NotAScheduler(Exception):
    """make_scheduler returned something that is not a torch LR scheduler."""


_TORCH_TOL = 1e-5  # multiplier units: allows LinearLR's start_factor <= 1e-5 (it cannot be 0), not an off-by-one


@checker
def check_hf_torch_scheduler(make_scheduler) -> Verdict:
    """``make_scheduler(optimizer)``: torch built-in schedulers reproducing the HF config's learning rates."""
    if not callable(make_scheduler):
        return Verdict.wrong(f"expected a function optimizer -> scheduler, got {type(make_scheduler).__name__}")
    peak_lr = HF_CONFIG["learning_rate"]

    def make(opt: torch.optim.Optimizer) -> Any:
        scheduler = make_scheduler(opt)
        if scheduler is None:
            raise _NotAScheduler("make_scheduler returned None -- did you forget `return`?")
        if not isinstance(scheduler, LRScheduler):
            raise _NotAScheduler(f"make_scheduler should return a torch LR scheduler, got {type(scheduler).__name__}")
        return scheduler

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lrs = record_lrs(make, _T, peak_lr=peak_lr, optimizer_cls=torch.optim.AdamW)
    except _NotAScheduler as exc:
        return Verdict.wrong(str(exc))
    except ValueError as exc:
        hint = (" LinearLR needs 0 < start_factor <= 1: use a tiny start_factor such as 1e-8 (HF starts at exactly 0)."
                if "factor" in str(exc).lower() else "")
        return Verdict.wrong(f"your code raised ValueError: {exc}{hint}")
    v = lrs / peak_lr
    ref = _reference()
    if np.allclose(v, ref, rtol=0, atol=_TORCH_TOL):
        return Verdict.correct(
            f"LinearLR warms up over {_W} updates, SequentialLR hands over at milestone {_W}, and the decay's "
            f"total_iters is {_T - _W:,} (the decay only). Max difference from HF: {np.abs(v - ref).max():.1g} "
            "of the peak (torch's LinearLR cannot start at exactly 0)."
        )
    peak = _peak_index(v, 1e-7)
    if peak == _W - 1:
        return Verdict.wrong(
            f"your learning rate reaches the peak at update {_W - 1}, one update early: LinearLR's total_iters and "
            f"SequentialLR's milestone are both {_W} (the milestone is the update index at which the second "
            "scheduler takes over)."
        )
    problem = _warmup_length_problem(peak, v)
    if problem:
        return Verdict.wrong(problem)
    if v[_W + 1] >= 1.0 - 1e-7:
        return Verdict.wrong(
            f"your learning rate stays at the peak for updates {_W} and {_W + 1}: the decay starts one update late. "
            f"SequentialLR's milestone should be {_W}, the first update of the decay."
        )
    if v[0] > _TORCH_TOL and np.allclose(v[1:], ref[1:], atol=max(_TORCH_TOL, 1.01 * v[0])):
        return Verdict.wrong(
            f"your first update gets multiplier {v[0]:.3g}; HF's gets 0. LinearLR cannot start at exactly 0, so use "
            "a start_factor of 1e-5 or less (e.g. 1e-8)."
        )
    if abs(v[-1] - ref[-1]) > _TORCH_TOL:
        return Verdict.wrong(
            f"at the last update (9,999) your multiplier is {v[-1]:.4g}, HF's {ref[-1]:.4g}: the decay's "
            f"total_iters counts the decay only, {_T:,} - {_W} = {_T - _W:,} updates."
        )
    return Verdict.wrong(_first_mismatch(v, ref, _TORCH_TOL) + ".")


# ------------------------------------------------------------------------------------ exercise 2


def optimizer_lrs(
    train_loop: Callable[..., Any],
    *,
    micro_batches: int = 40,
    accum_steps: int = 4,
    warmup_steps: int = 4,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``train_loop(model, optimizer, scheduler, micro_batches, accum_steps)`` and watch the optimizer.

    The loop gets a tiny linear model, SGD at peak LR 1.0, a :class:`WarmupLR` following
    ``warmup_linear(warmup_steps, micro_batches // accum_steps)`` and a list of ``(x, y)`` micro-batches.
    Returns ``(seen, expected)``: the learning rate at each ``optimizer.step()`` call the loop made (read by
    an optimizer step pre-hook, so it is what the update really used), and the schedule's multipliers for
    that many updates (what a correct loop gives). Torch's call-order warning is silenced.
    """
    updates = micro_batches // accum_steps
    schedule = warmup_linear(warmup_steps, updates)
    gen = torch.Generator().manual_seed(seed)
    batches = [(torch.randn(2, 4, generator=gen), torch.randn(2, 1, generator=gen)) for _ in range(micro_batches)]
    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    seen: list[float] = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append(float(opt.param_groups[0]["lr"])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = WarmupLR(optimizer, schedule)
        train_loop(model, optimizer, scheduler, batches, accum_steps)
    return np.asarray(seen, dtype=float), schedule.values(len(seen))


_LOOP_CASES = ((40, 4, 4), (36, 3, 5), (24, 2, 3))  # (micro-batches, accum_steps, warmup updates)


@checker
def check_accumulation_loop(train_loop) -> Verdict:
    """``train_loop(model, optimizer, scheduler, micro_batches, accum_steps)``: the fixed training loop."""
    if not callable(train_loop):
        return Verdict.wrong(f"expected a function, got {type(train_loop).__name__}")
    for micro, accum, warm in _LOOP_CASES:
        seen, expected = optimizer_lrs(train_loop, micro_batches=micro, accum_steps=accum, warmup_steps=warm)
        updates = micro // accum
        where = f"(with {micro} micro-batches and accum_steps={accum})"
        if len(seen) != updates:
            return Verdict.wrong(
                f"optimizer.step() ran {len(seen)} times {where}; expected {updates}: one update every "
                "accum_steps micro-batches."
            )
        if np.allclose(seen, expected, rtol=0, atol=1e-12):
            continue
        s = warmup_linear(warm, updates)
        k = np.arange(updates)
        if np.allclose(seen, s(accum * k + accum - 1), atol=1e-12):
            return Verdict.wrong(
                f"the scheduler still steps once per micro-batch {where}: its clock runs {accum}× faster than the "
                f"optimizer's, so the warmup is over after about {warm / accum:.3g} updates instead of {warm}. "
                "Call scheduler.step() once per optimizer update, next to optimizer.step()."
            )
        if np.allclose(seen, s(k + 1), atol=1e-12):
            return Verdict.wrong(
                f"every update uses the next update's learning rate {where}: scheduler.step() must come after "
                "optimizer.step(), not before it (the first update should get multiplier 0)."
            )
        if np.allclose(seen, seen[0], atol=1e-12):
            return Verdict.wrong(f"the learning rate never changes {where}: is scheduler.step() ever called?")
        bad = int(np.flatnonzero(np.abs(seen - expected) > 1e-12)[0])
        return Verdict.wrong(
            f"update {bad} used learning rate {seen[bad]:.4g}, the schedule gives {expected[bad]:.4g} {where}."
        )
    return Verdict.correct(
        "one scheduler.step() per optimizer update, right after optimizer.step(): update k gets the schedule's "
        "value at t = k, whatever accum_steps is."
    )
