"""Checks for notebook 08 (adaptive warmup).

1. :func:`check_loss_gap_rule` -- the learner writes the loss-gap rule ``lr(loss)`` of Riabinin et al. 2026
   (``K1 = 0``, ``rho = 2``, constants from the target lr and the peak gap ``D*``).
2. :func:`check_ratio_target` -- the learner picks the update-size controller's target ``r*`` from the
   update-ratio trace of a run that trained well (the median largest per-layer ratio at full lr).
3. :func:`check_warmup_prediction` -- the learner predicts from the probed critical lr whether a target lr
   needs warmup.

:data:`QUIZ` holds multiple-choice questions for the instructor (plain dicts: question, choices, answer, why).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from warmup_course.exercises.core import Verdict, check, check_choice, check_number, checker, compare_function
from warmup_course.validation import check_array, check_real

__all__ = [
    "QUIZ",
    "check_loss_gap_rule",
    "check_ratio_target",
    "check_warmup_prediction",
    "loss_gap_reference",
    "ratio_target_reference",
]


# --- exercise 1: the loss-gap rule ----------------------------------------------------------------------------


def loss_gap_reference(loss: float, target_lr: float, delta_peak: float, loss_star: float = 0.0) -> float:
    """``D / (K0 + Krho D^2)`` with ``D = max(loss - loss*, 0)``, ``K0 = D*/(2 lr)``, ``Krho = 1/(2 lr D*)``.

    Peaks at the target lr when ``D = D*`` (Riabinin et al. 2026, arXiv:2602.05813; the rule ``K0 = 1/(4 lr^2
    Krho)`` of brain-lab-research/llm-baselines ``lipschitz_scheduler.py``). Not clamped.
    """
    check_real("loss", loss)
    target_lr = check_real("target_lr", target_lr, 0.0, low_open=True)
    delta_peak = check_real("delta_peak", delta_peak, 0.0, low_open=True)
    check_real("loss_star", loss_star)
    d = max(loss - loss_star, 0.0)
    k0, krho = delta_peak / (2 * target_lr), 1.0 / (2 * target_lr * delta_peak)
    return d / (k0 + krho * d * d)


_GAP_INPUTS = [(loss, lr, dp, star) for lr, dp, star in ((3.2, 0.3, 0.0), (7e-3, 0.5, 0.1), (1.0, 1.0, 0.2))
               for loss in (2.3, 1.2, 0.9, 0.6, 0.35, 0.3, 0.1)]


@checker
def check_loss_gap_rule(fn: Any) -> Verdict:
    """The learner's ``fn(loss, target_lr, delta_peak, loss_star=0.0) -> lr``."""
    return compare_function(
        fn, loss_gap_reference, _GAP_INPUTS, rel=1e-6, abs=1e-12, name="loss_gap_lr",
        wrong={
            "K0 and Krho are swapped: K0 = D*/(2 lr) (it dominates when the gap is small, where the lr must fall "
            "with the gap), Krho = 1/(2 lr D*) (it dominates early, when the gap is large)":
                lambda loss, lr, dp, star=0.0: max(loss - star, 0) / (1 / (2 * lr * dp) + dp / (2 * lr) * max(loss - star, 0) ** 2),
            "the gap is loss - loss_star, not the loss itself":
                lambda loss, lr, dp, star=0.0: loss / (dp / (2 * lr) + loss**2 / (2 * lr * dp)),
            "that is the target lr at every loss: the rule's lr follows the gap, it reaches the target only at D = D*":
                lambda loss, lr, dp, star=0.0: lr,
            "with K0 = D*/lr and Krho = 1/(lr D*) the peak is only half the target: check lr(D*) = D*/(K0 + Krho D*^2)":
                lambda loss, lr, dp, star=0.0: max(loss - star, 0) / (dp / lr + max(loss - star, 0) ** 2 / (lr * dp)),
        },
        success="lr(D) = D / (K0 + Krho D^2): small while the loss gap is large, the target exactly at D = D*, "
                "then falling with the gap -- a warmup and a decay from one formula.",
    )


# --- exercise 2: an update-ratio target from a monitor trace -------------------------------------------------


def ratio_target_reference(ratios: Any, lrs: Any, target_lr: float) -> float:
    """The median largest per-layer ``||dW||/||W||`` over the updates taken at the full target lr."""
    ratios = check_array("ratios", ratios, nonempty=True)
    lrs = check_array("lrs", lrs, nonempty=True)
    target_lr = check_real("target_lr", target_lr, 0.0, low_open=True)
    if len(ratios) != len(lrs):
        raise ValueError(f"ratios and lrs must have the same length, got {len(ratios)} and {len(lrs)}")
    full = np.isclose(lrs, target_lr, rtol=1e-9) & np.isfinite(ratios)
    if not full.any():
        raise ValueError("lrs never reaches target_lr: no update at full lr to read a target from")
    return float(np.median(ratios[full]))


def check_ratio_target(answer: Any = ..., *, ratios: Any, lrs: Any, target_lr: float) -> Verdict:
    """``answer``: r* read from the trace of a well-trained run (within 25 % of the median at full lr)."""
    # The trace is the notebook's data, not the learner's answer: a bad one is refused by name here, before the
    # answer is judged (inside the check it would read as "your answer raised ValueError").
    ratio_target_reference(ratios, lrs, target_lr)
    return check(_check_ratio_target, answer, ratios=ratios, lrs=lrs, target_lr=target_lr)


def _check_ratio_target(answer: Any, *, ratios: Any, lrs: Any, target_lr: float) -> Verdict:
    ref = ratio_target_reference(ratios, lrs, target_lr)
    r = np.asarray(ratios, dtype=float)
    early = float(np.nanmax(r[: max(1, int(np.argmax(np.isclose(lrs, target_lr))))]))
    return check_number(
        answer, ref, rel=0.25, name="r_star",
        wrong={
            float(np.nanmax(r)): "that is the single largest ratio of the run (an early spike); r* is the size the "
                                 "run kept at full lr: its median there",
            early: "that is the largest ratio during the warmup; read the target from the updates at full lr",
            float(np.nanmedian(r)): "that median includes the warmup updates, taken at a lower lr; use only the "
                                    "updates at the full target lr",
        },
        hint="take the updates where lrs == target_lr and the median of their ratios",
        success=f"r* ≈ {ref:.3g}: the controller will raise the lr until the largest layer moves by this fraction "
                "of its norm per update -- what the good run did at full lr.",
    )


# --- exercise 3: does this target lr need warmup? --------------------------------------------------------------


def check_warmup_prediction(answer: Any = ..., *, target_lr: float, critical_lr: float) -> Verdict:
    """``answer``: True if ``target_lr`` exceeds the probed critical lr by more than 1.5x, False if below it."""
    # The notebook's data, not the learner's answer: refused by name before the answer is judged.
    target_lr = check_real("target_lr", target_lr, 0.0, low_open=True)
    critical_lr = check_real("critical_lr", critical_lr, 0.0, low_open=True)
    ratio = target_lr / critical_lr
    if 1.0 <= ratio <= 1.5:
        raise ValueError(f"target_lr / critical_lr = {ratio:.2f} is too close to 1 for a clear prediction")
    return check(_check_warmup_prediction, answer, ratio=ratio)


def _check_warmup_prediction(answer: Any, *, ratio: float) -> Verdict:
    if answer is not Ellipsis and not isinstance(answer, (bool, np.bool_)):
        return Verdict.wrong(f"needs_warmup should be True or False, got {answer!r}")
    expected = ratio > 1.5
    return check_choice(
        answer if answer is Ellipsis else bool(answer), expected,
        {
            True: f"the target is {ratio:.2g}x the lr at which one step already raises the loss: started at "
                  "once, the first updates overshoot -- warm up (or start the ramp near eta_c)",
            False: f"the target is {ratio:.2g}x eta_c: one step at the target still lowers the loss, so the run "
                   "can start at full lr",
        },
        name="needs_warmup",
    )


# --- quiz ---------------------------------------------------------------------------------------------------

QUIZ: list[dict[str, Any]] = [
    {
        "question": "The update-size controller measures ||ΔW||/||W|| per layer after each step. Why is that a poor "
                    "stability signal in a BatchNorm network at a very high lr?",
        "choices": [
            "BatchNorm makes the loss invariant to each layer's weight scale, so the weights grow and the ratio "
            "stays near the target while the loss explodes",
            "the ratio cannot be measured with momentum",
            "BatchNorm layers have no weight matrices",
            "the ratio is always zero with BatchNorm",
        ],
        "answer": 0,
        "why": "scale invariance: a large step inflates ||W||, which shrinks the next ratio; the controller sees a "
               "normal ratio while the function changes wildly (measured on task A at lr 6.4 in the prototype).",
    },
    {
        "question": "With K1 = 0 and ρ = 2, where does the loss-gap rule lr = Δ/(K0 + Kρ Δ²) reach its largest value?",
        "choices": ["at Δ = sqrt(K0/Kρ)", "at Δ = 0", "at the first update, where Δ is largest", "at Δ = K0/Kρ"],
        "answer": 0,
        "why": "d/dΔ [Δ/(K0 + KρΔ²)] = 0 gives K0 = KρΔ²; the peak value there is 1/(2 sqrt(K0 Kρ)), which the "
               "paper's code sets to the target lr: K0 = 1/(4 lr² Kρ).",
    },
    {
        "question": "The probe finds η_c = 3.4e-3 for a Post-LN Transformer with Adam. Your target lr is 7e-3. "
                    "What does that suggest?",
        "choices": [
            "start below η_c and let the lr rise (warmup), or the first steps will overshoot",
            "no warmup is needed: the target is within a factor of 10",
            "use a smaller batch",
            "the target must be lowered to η_c for the whole run",
        ],
        "answer": 0,
        "why": "η_c is where one step starts to raise the loss at initialisation; a target 2x above it overshoots "
               "early. Later the landscape flattens and the target becomes safe -- which is what warmup waits for.",
    },
    {
        "question": "Which of these tuning knobs did the adaptive controllers NOT remove?",
        "choices": [
            "the controller's own setting (r*, Δ*, σ) and its start value",
            "the warmup length W only",
            "nothing remains to tune",
            "the peak lr only",
        ],
        "answer": 0,
        "why": "the knob moved: r* is set per optimizer family (0.2 for SGD, 0.03 for Adam), Δ* and σ change where "
               "the lr settles. They are easier to transfer than W, but they are still choices.",
    },
]
