"""Checks for notebook 06 (warmup and the other learning-rate strategies).

1. :func:`check_wsd` -- the learner builds a warmup-stable-decay schedule with the 1 - sqrt cooldown from the
   library's pieces; the check evaluates HF transformers' own ``get_wsd_schedule`` (executed, not copied) with
   the same lengths and compares every step.
2. :func:`check_cyclic_lr` -- the learner predicts the learning rate torch's ``CyclicLR`` gives one update; the
   check steps a real ``CyclicLR`` to that update.
3. :func:`check_decay_choice` -- the learner picks a decay for a fixed budget from the notebook's own measurements.

:data:`QUIZ` holds multiple-choice questions for the instructor (plain dicts: question, choices, answer, why).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from warmup_course.exercises.core import Verdict, check, check_number, checker
from warmup_course.schedules import constant, linear_decay, linear_warmup, splice, sqrt_decay, with_warmup
from warmup_course.validation import check_choice, check_int, check_real

__all__ = [
    "WSD",
    "check_wsd",
    "hf_wsd_multipliers",
    "CYCLIC",
    "cyclic_lr_reference",
    "check_cyclic_lr",
    "check_decay_choice",
    "QUIZ",
]

#: Exercise 1: the lengths (updates) of the WSD schedule to build; the run is 100 updates long.
WSD: dict[str, int] = {"warmup_steps": 10, "stable_steps": 60, "decay_steps": 30}


def hf_wsd_multipliers(warmup_steps: int, stable_steps: int, decay_steps: int, n: int) -> np.ndarray:
    """The multipliers of HF transformers' ``get_wsd_schedule(..., decay_type="1-sqrt", min_lr_ratio=0)`` for updates
    ``0 .. n-1``, read from its ``LambdaLR`` (transformers and torch are imported here, on first use)."""
    warmup_steps = check_int("warmup_steps", warmup_steps, 0, 10**6)
    stable_steps = check_int("stable_steps", stable_steps, 0, 10**6)
    decay_steps = check_int("decay_steps", decay_steps, 1, 10**6)
    n = check_int("n", n, 1, 10**6)
    import torch
    from transformers import get_wsd_schedule

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = get_wsd_schedule(opt, num_warmup_steps=warmup_steps, num_decay_steps=decay_steps,
                             num_stable_steps=stable_steps, decay_type="1-sqrt", min_lr_ratio=0.0)
    return np.array([sched.lr_lambdas[0](t) for t in range(n)], dtype=float)


def _values(schedule: Any, n: int) -> np.ndarray:
    if hasattr(schedule, "values"):
        return np.asarray(schedule.values(n), dtype=float)
    return np.array([float(schedule(t)) for t in range(n)], dtype=float)


@checker
def check_wsd(schedule) -> Verdict:
    """``schedule``: a course Schedule (or any ``t -> multiplier``) for WSD with the lengths in :data:`WSD`."""
    if schedule is Ellipsis:
        return Verdict.not_attempted("replace the ... with your schedule, then run this cell again.")
    if not callable(schedule):
        return Verdict.wrong(f"expected a schedule (a function of the step), got {type(schedule).__name__}")
    w, s, d = WSD["warmup_steps"], WSD["stable_steps"], WSD["decay_steps"]
    n = w + s + d + 10
    ref = hf_wsd_multipliers(w, s, d, n)
    try:
        got = _values(schedule, n)
    except Exception as exc:  # noqa: BLE001 - learner code
        return Verdict.wrong(f"evaluating your schedule raised {type(exc).__name__}: {exc}")
    if got.shape != ref.shape or not np.isfinite(got).all():
        return Verdict.wrong("your schedule must give one finite multiplier per update")
    if np.allclose(got, ref, rtol=1e-9, atol=1e-12):
        return Verdict.correct(f"equal to transformers' get_wsd_schedule(decay_type='1-sqrt') at all {n} updates: "
                               f"a warmup of {w}, {s} updates at the peak, then the 1 - sqrt cooldown over {d}.")
    bad = int(np.flatnonzero(~np.isclose(got, ref, rtol=1e-9, atol=1e-12))[0])
    where = f"(first difference at update {bad}: expected {ref[bad]:.4g}, got {got[bad]:.4g})"
    if bad < w:
        return Verdict.wrong(f"the warmup differs: linear from 0, t / {w} at update t {where}")
    lin = _values(with_warmup(linear_warmup(w), with_warmup(constant(), linear_decay(d), s)), n)
    if np.allclose(got, lin, rtol=1e-9, atol=1e-12):
        return Verdict.wrong(f"that is the linear cooldown; WSD's '1-sqrt' cooldown is 1 - sqrt(u / D) {where}")
    spliced = _values(with_warmup(linear_warmup(w), splice(constant(), sqrt_decay(d), s)), n)
    if np.allclose(got, spliced, rtol=1e-9, atol=1e-12):
        return Verdict.wrong(f"splice keeps the clock running, so the cooldown is evaluated at u >= {s} > D = {d}: "
                             f"already over. The cooldown must start on its own clock: with_warmup(constant(), "
                             f"sqrt_decay(D), S) {where}")
    if bad < w + s:
        return Verdict.wrong(f"the multiplier must stay at 1 for the {s} stable updates after the warmup {where}")
    same_clock = _values(with_warmup(linear_warmup(w), sqrt_decay(s + d)), n)
    if np.allclose(got, same_clock, rtol=1e-9, atol=1e-12):
        return Verdict.wrong(f"that cools down over stable + decay updates with no stable phase {where}")
    return Verdict.wrong(f"not yet {where}")


#: Exercise 2: the CyclicLR to predict (absolute lrs, as torch takes them) and the update asked about.
CYCLIC: dict[str, Any] = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 20, "mode": "triangular2", "t": 50}


def cyclic_lr_reference(base_lr: float, max_lr: float, step_size_up: int, mode: str, t: int) -> float:
    """The lr ``torch.optim.lr_scheduler.CyclicLR`` gives update ``t`` (0-based), by stepping a real one."""
    max_lr = check_real("max_lr", max_lr, 0.0, 1e6, low_open=True)
    base_lr = check_real("base_lr", base_lr, 0.0, max_lr)
    step_size_up = check_int("step_size_up", step_size_up, 1, 10**6)
    mode = check_choice("mode", mode, ("triangular", "triangular2", "exp_range"))
    t = check_int("t", t, 0, 10**6)
    import torch
    from torch.optim.lr_scheduler import CyclicLR

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=max_lr, momentum=0.9)
    sched = CyclicLR(opt, base_lr=base_lr, max_lr=max_lr, step_size_up=step_size_up, mode=mode)
    for _ in range(t):
        opt.step()
        sched.step()
    return float(opt.param_groups[0]["lr"])


def _triangular(base: float, peak: float, up: int, t: int, halve: bool) -> float:
    cycle = math.floor(1 + t / (2 * up))
    x = abs(t / up - 2 * cycle + 1)
    amp = 1 / 2 ** (cycle - 1) if halve else 1.0
    return base + (peak - base) * max(0.0, 1 - x) * amp


@checker
def check_cyclic_lr(answer) -> Verdict:
    """``answer``: the lr of update ``CYCLIC["t"]`` under ``CyclicLR(**CYCLIC)`` (0.0325)."""
    c = CYCLIC
    ref = cyclic_lr_reference(c["base_lr"], c["max_lr"], c["step_size_up"], c["mode"], c["t"])
    b, m, up, t = c["base_lr"], c["max_lr"], c["step_size_up"], c["t"]
    wrong = {
        _triangular(b, m, up, t, False): "that is mode='triangular': with 'triangular2' the height above base_lr "
                                         "halves every cycle, and update 50 is in the second cycle",
        _triangular(b, m, up, t - 1, True): "that is update 49: updates count from t = 0, and CyclicLR's "
                                            "last_epoch is t",
        _triangular(b, m, up, t + 1, True): "that is update 51: updates count from t = 0",
        (m - b) * 0.5 * 0.5: "CyclicLR's lrs are absolute: base_lr + (max_lr - base_lr) · scale, not (max_lr - "
                             "base_lr) · scale",
        m * 0.5 * 0.5: "the cycle runs between base_lr and max_lr: base_lr + (max_lr - base_lr) · scale",
    }
    wrong.pop(ref, None)
    return check_number(
        answer, ref, rel=1e-6, name="lr_at_50", wrong=wrong,
        hint="a cycle is 2 · step_size_up = 40 updates; find the cycle (from 1) and the position x in it, then "
             "base_lr + (max_lr - base_lr) · scale / 2^(cycle - 1)",
        success=f"update {t} is in cycle 2, a quarter of the way in (halfway up): base_lr + (max_lr - base_lr) "
                f"· 0.5 · ½ = {ref:.4g}. Torch's CyclicLR agrees.",
    )


def check_decay_choice(answer, final_losses) -> Verdict:
    """``answer``: the decay (a key of ``final_losses``) to use for this budget; ``final_losses``: ``{decay: median
    final loss}`` as measured in the notebook. Any decay within 1.5× of the best measured one is a good pick."""
    # The notebook's measurements, not the learner's answer: a bad table is refused by name here, before the answer
    # is judged (inside the check it would mark the answer wrong, "this answer could not be checked").
    if not isinstance(final_losses, Mapping) or not final_losses:
        raise TypeError("final_losses must be a non-empty mapping decay -> median final loss")
    for name, value in final_losses.items():
        check_real(f"final_losses[{name!r}]", value, 0.0, low_open=True, allow_inf=True)  # inf: a diverged decay
    return check(_check_decay_choice, answer, final_losses)


def _check_decay_choice(answer, final_losses) -> Verdict:
    if answer is Ellipsis:
        return Verdict.not_attempted("set choice to one of the decays, then run this cell again.")
    if not isinstance(answer, str) or answer not in final_losses:
        return Verdict.wrong(f"choice must be one of {list(final_losses)}, got {answer!r}")
    best = min(final_losses, key=final_losses.get)
    ratio = final_losses[answer] / final_losses[best]
    if answer in ("none", "constant", "no decay"):
        return Verdict.wrong("a constant learning rate after the warmup is not a decay: section 1 showed the decay "
                             "sets the final loss")
    if ratio <= 1.5:
        where = "the lowest measured" if answer == best else f"within {ratio:.2f}× of the best ({best})"
        return Verdict.correct(f"{answer}: median final loss {final_losses[answer]:.3g}, {where}. Several decays tie "
                               f"at this budget; having one matters more than which.")
    return Verdict.wrong(f"{answer}: median final loss {final_losses[answer]:.3g} is {ratio:.1f}× the best "
                         f"({best}, {final_losses[best]:.3g}); pick one of the decays that end near the bottom of "
                         f"the table")


QUIZ: list[dict[str, Any]] = [
    {
        "question": "torch's OneCycleLR(max_lr=0.1, total_steps=1000) with its defaults: what does the first update use, "
                    "and when is 0.1 reached?",
        "choices": ["0 at update 0; 0.1 at update 300", "0.004 at update 0; 0.1 at update 299",
                    "0.1 from update 0 (one-cycle has no warmup)", "0.01 at update 0; 0.1 at update 500"],
        "answer": 1,
        "why": "div_factor = 25 starts at max_lr/25 = 0.004, and the rise ends at pct_start · T - 1 = 299. The rising "
               "phase of one-cycle is a warmup over 30 % of the run (cosine-shaped by default).",
    },
    {
        "question": "In the 2×2 of section 1, which part of the schedule removed the loss spike in the first updates?",
        "choices": ["the decay", "the warmup", "both equally", "neither: the spike is random"],
        "answer": 1,
        "why": "Decay alone starts at the peak, so it spikes as much as a constant lr; the warmup keeps the first "
               "updates small. The decay acts at the end of the run: it sets the final loss.",
    },
    {
        "question": "SGDR restarts the learning rate at its peak. What do continual pre-training recipes do when a "
                    "new stage starts from a decayed checkpoint?",
        "choices": ["keep the small final lr forever", "jump straight back to the peak",
                    "re-warm: ramp the lr up again over a warmup, then decay",
                    "switch to a constant lr without decay"],
        "answer": 2,
        "why": "Gupta et al. 2023 and Ibrahim et al. 2024 re-warm and re-decay; re-warming raises the loss at first but "
               "lets the model adapt to new data, and with replay it matches training from scratch on the union.",
    },
    {
        "question": "An LR range test suggests a peak lr. Why is that suggestion a peak for a schedule with a ramp, "
                    "not a safe constant lr from update 0?",
        "choices": ["because the test uses a different optimizer",
                    "because the test's own lr grows from tiny values: it is a warmup, so the loss at a large lr is "
                    "that of a network already trained a little at small ones",
                    "because the test ignores the loss", "because the test runs on the test set"],
        "answer": 1,
        "why": "The range test sweeps the lr upward over a hundred or more updates, exactly like a (geometric) warmup, "
               "so the loss it shows at a large lr is that of a network the sweep has already warmed up. In section 5 "
               "the lr at its lowest smoothed loss came out above the largest lr that trained without warmup.",
    },
]
