"""Checks for notebook 03 (warmup in every framework).

1. :func:`check_hf_schedule` -- the learner turns a HF transformers config (warmup given as a ratio, 0.06 of
   10,000 steps) into one of the course's schedules.
2. :func:`check_hf_torch_scheduler` -- the same config with torch's built-in schedulers only
   (``LinearLR`` + ``SequentialLR``).
3. :func:`check_accumulation_loop` -- the learner fixes a gradient-accumulation loop that stepped the
   scheduler once per micro-batch.
4. :func:`check_nanogpt_schedule` -- the learner rewrites nanoGPT's ``get_lr`` (warmup ``(it + 1) / (warmup_iters
   + 1)``, cosine to ``min_lr`` at ``lr_decay_iters``) as a course schedule.

:data:`QUIZ` holds multiple-choice questions for the instructor (plain dicts: question, choices, answer, why).

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
from warmup_course.validation import MAX_ITEMS, check_int, check_real
from warmup_course.schedules import cosine_decay, linear_warmup, warmup_cosine, warmup_linear, with_warmup
from warmup_course.validation import check_int, check_seed

__all__ = [
    "HF_CONFIG",
    "HF_WARMUP_STEPS",
    "check_hf_schedule",
    "check_hf_torch_scheduler",
    "check_accumulation_loop",
    "optimizer_lrs",
    "NANOGPT_CONFIG",
    "nanogpt_get_lr",
    "check_nanogpt_schedule",
    "nanogpt_reference_schedule",
    "QUIZ",
]

#: Exercise 1: a HF transformers config. ``warmup_steps`` below 1 is a *fraction* of the training steps in
#: transformers >= 5 (``TrainingArguments.get_warmup_steps`` rounds it up). In v4 the same value was a step count
#: (``warmup_steps if warmup_steps > 0``) and the fraction was ``warmup_ratio``.
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


def _non_finite(v: np.ndarray, what: str) -> str | None:
    """A message when the learner's values hold NaN or inf (every later comparison would be False)."""
    bad = np.flatnonzero(~np.isfinite(v))
    if not bad.size:
        return None
    t = int(bad[0])
    return f"{what} at update {t} is {v[t]!r}, not a finite number: check the formula there."


def _first_mismatch(v: np.ndarray, ref: np.ndarray, tol: float) -> str:
    bad = np.flatnonzero(~(np.abs(v - ref) <= tol))  # NaN counts as a mismatch
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
    problem = _non_finite(v, "your multiplier")
    if problem:
        return Verdict.wrong(problem)
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
    problem = _non_finite(v, "your learning rate")
    if problem:
        return Verdict.wrong(problem)
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
    if not callable(train_loop):
        raise TypeError(f"train_loop must be callable, got {type(train_loop).__name__}")
    micro_batches = check_int("micro_batches", micro_batches, 2, 10_000)
    accum_steps = check_int("accum_steps", accum_steps, 1, micro_batches // 2)  # at least 2 updates
    updates = micro_batches // accum_steps
    warmup_steps = check_int("warmup_steps", warmup_steps, 0, updates - 1)
    seed = check_seed("seed", seed)
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
        problem = _non_finite(seen, f"the learning rate {where}")
        if problem:
            return Verdict.wrong(problem)
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
        bad = int(np.flatnonzero(~(np.abs(seen - expected) <= 1e-12))[0])
        return Verdict.wrong(
            f"update {bad} used learning rate {seen[bad]:.4g}, the schedule gives {expected[bad]:.4g} {where}."
        )
    return Verdict.correct(
        "one scheduler.step() per optimizer update, right after optimizer.step(): update k gets the schedule's "
        "value at t = k, whatever accum_steps is."
    )


# ------------------------------------------------------------------------------------ exercise 3: nanoGPT

#: nanoGPT's Shakespeare-character config (``config/train_shakespeare_char.py``): the arguments of ``get_lr``.
NANOGPT_CONFIG: dict[str, Any] = {"learning_rate": 1e-3, "warmup_iters": 100, "lr_decay_iters": 5000, "min_lr": 1e-4}
_NANO_N = 5200  # past lr_decay_iters: the learner's schedule must hold min_lr there too


def nanogpt_get_lr(it: int, learning_rate: float = 1e-3, warmup_iters: int = 100, lr_decay_iters: int = 5000,
                   min_lr: float = 1e-4) -> float:
    """nanoGPT's ``get_lr`` (https://github.com/karpathy/nanoGPT/blob/master/train.py), with its globals as
    arguments; the training loop sets every ``param_group["lr"] = get_lr(iter_num)`` before update ``iter_num``."""
    it = check_int("it", it, 0, MAX_ITEMS)
    learning_rate = check_real("learning_rate", learning_rate, 0.0, low_open=True)
    warmup_iters = check_int("warmup_iters", warmup_iters, 1, MAX_ITEMS)
    lr_decay_iters = check_int("lr_decay_iters", lr_decay_iters, warmup_iters + 1, MAX_ITEMS)
    min_lr = check_real("min_lr", min_lr, 0.0, learning_rate)
    # 1) linear warmup for warmup_iters steps
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    # 2) if it > lr_decay_iters, return min learning rate
    if it > lr_decay_iters:
        return min_lr
    # 3) in between, use cosine decay down to min learning rate
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


def _nano_reference() -> np.ndarray:
    c = NANOGPT_CONFIG
    return np.array([nanogpt_get_lr(t, **c) for t in range(_NANO_N)]) / c["learning_rate"]


@checker
def check_nanogpt_schedule(schedule) -> Verdict:
    """``schedule``: a course schedule whose multiplier times ``learning_rate`` is nanoGPT's ``get_lr`` at every
    update 0..5199 (the Shakespeare-character config, :data:`NANOGPT_CONFIG`)."""
    if hasattr(schedule, "values") and callable(schedule.values):
        v = np.asarray(schedule.values(_NANO_N), dtype=float)
    elif callable(schedule):
        v = np.asarray([float(schedule(t)) for t in range(_NANO_N)], dtype=float)
    else:
        return Verdict.wrong(f"expected a schedule such as schedules.with_warmup(...), got {type(schedule).__name__}")
    assert v.shape == (_NANO_N,), f"the schedule should give one multiplier per update, got shape {v.shape}"
    ref = _nano_reference()
    c = NANOGPT_CONFIG
    w, d, m = c["warmup_iters"], c["lr_decay_iters"], c["min_lr"] / c["learning_rate"]
    tol = 1e-9
    if np.allclose(v, ref, rtol=0, atol=tol):
        return Verdict.correct(
            f"nanoGPT's warmup is (it + 1) / (warmup_iters + 1): the first update already gets 1/{w + 1} and update "
            f"{w - 1} gets {w}/{w + 1}, so the peak comes only with the cosine at update {w}; the cosine then runs "
            f"over lr_decay_iters - warmup_iters = {d - w} updates down to min_lr / learning_rate = {m:g}."
        )
    if abs(v[0]) < tol and abs(ref[0] - 1 / (w + 1)) < tol:
        return Verdict.wrong(
            f"your first update gets multiplier 0; nanoGPT's gets (0 + 1) / ({w} + 1) = 1/{w + 1}: it evaluates the "
            "warmup at it + 1 and divides by warmup_iters + 1 (that is the HF convention t / W you wrote)."
        )
    if np.allclose(v[:w], (np.arange(w) + 1) / w, atol=tol):
        return Verdict.wrong(
            f"your warmup is (t + 1) / {w} and reaches the peak at update {w - 1}; nanoGPT divides by warmup_iters + 1 "
            f"= {w + 1}, so update {w - 1} gets {w}/{w + 1}: linear_warmup({w + 1}, first_step_nonzero=True) during "
            f"the first {w} updates."
        )
    if not np.allclose(v[:w], ref[:w], atol=tol):
        bad = int(np.flatnonzero(np.abs(v[:w] - ref[:w]) > tol)[0])
        return Verdict.wrong(f"during the warmup: at update {bad} the multiplier should be {ref[bad]:.6g} "
                             f"((it + 1) / (warmup_iters + 1)), yours is {v[bad]:.6g}.")
    if abs(v[-1]) < tol:
        return Verdict.wrong(f"your schedule decays to 0; nanoGPT's ends at min_lr, multiplier {m:g} "
                             "(cosine_decay's min_factor).")
    if np.allclose(v[w:], cosine_decay(d, m).values(_NANO_N - w), atol=tol):
        return Verdict.wrong(f"your cosine lasts {d} updates after the warmup; nanoGPT's decay_ratio is "
                             f"(it - warmup_iters) / (lr_decay_iters - warmup_iters): it reaches min_lr at update {d}, "
                             f"so the decay lasts {d - w} updates.")
    bad = int(np.flatnonzero(np.abs(v - ref) > tol)[0])
    return Verdict.wrong(f"at update {bad} the multiplier should be {ref[bad]:.6g}, yours is {v[bad]:.6g}.")


def nanogpt_reference_schedule() -> Any:
    """The course schedule equal to nanoGPT's ``get_lr`` / ``learning_rate`` for :data:`NANOGPT_CONFIG` (tests)."""
    c = NANOGPT_CONFIG
    w = c["warmup_iters"]
    return with_warmup(linear_warmup(w + 1, first_step_nonzero=True),
                       cosine_decay(c["lr_decay_iters"] - w, c["min_lr"] / c["learning_rate"]), w)


QUIZ: list[dict[str, Any]] = [
    {
        "question": "DeepSpeed's WarmupLR(warmup_type='linear', warmup_num_steps=W), driven by its engine: which "
                    "update is the first at the peak LR?",
        "choices": ["update W - 1", "update W", "update W + 1", "it never reaches the peak"],
        "answer": 2,
        "why": "__init__ sets the LR from get_lr() at last_batch_iteration = -1 (warmup_min_lr) and the engine steps "
               "the scheduler after optimizer.step(), so update t runs at i = t - 1: updates 0 and 1 both get "
               "warmup_min_lr and the linear ramp (t - 1)/W reaches 1 at update W + 1.",
    },
    {
        "question": "With gradient accumulation over 4 micro-batches, scheduler.step() is called after every "
                    "micro-batch. A 100-update warmup then lasts ...",
        "choices": ["100 updates", "400 updates", "25 updates", "it depends on the optimizer"],
        "answer": 2,
        "why": "The schedule's clock runs 4x faster than the optimizer's: the warmup is over after 100/4 = 25 "
               "optimizer updates, and the whole schedule ends 4x too early.",
    },
    {
        "question": "A recipe found online says TrainingArguments(warmup_steps=0.06, max_steps=10_000). What warmup "
                    "does it get?",
        "choices": ["600 updates in transformers >= 5; in v4 a step count of 0.06, i.e. no real warmup",
                    "600 updates in every version", "6 % of each epoch", "0.06 updates in every version"],
        "answer": 0,
        "why": "transformers 5 reads a warmup_steps below 1 as a fraction (ceil(0.06 × 10,000) = 600); v4 used any "
               "value > 0 as a step count and had warmup_ratio for the fraction. Check the version a recipe was "
               "written for.",
    },
    {
        "question": "With AdamW, what happens to the decoupled weight decay during a warmup set through the scheduler?",
        "choices": ["nothing: it is applied at full strength from update 0", "it warms up too: torch multiplies "
                    "it by the current lr", "it is switched off until the warmup ends",
                    "it is divided by the learning rate"],
        "answer": 1,
        "why": "torch's AdamW shrinks each weight by lr × weight_decay per update, so a scheduler that lowers lr "
               "lowers the decay with it.",
    },
]
