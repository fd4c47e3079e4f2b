"""Checks for notebook 01 (what is learning-rate warmup, and why does it work?), and its instructor quiz.

1. :func:`check_stable_lr_prediction` -- the learner predicts the largest stable learning rate from the sharpness
   at initialisation ``λ₀`` with the quadratic rule, then sees how it compares with the sweep.
2. :func:`check_smallest_warmup` -- the learner finds, by experiment, the shortest linear warmup that makes peak
   learning rate 3.2 stable; the check re-reads the learner's runs, so it holds for any seeds.
3. :func:`check_divergence_cause` -- the learner picks why a run without warmup at learning rate 6.4 failed.

:data:`QUIZ` holds multiple-choice questions for the instructor (plain dicts: question, choices, answer, why).
Each check knows the typical mistakes and explains them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from warmup_course.diagnostics import is_stable_run
from warmup_course.exercises.core import Verdict, check_choice, check_number, checker
from warmup_course.validation import check_real

__all__ = [
    "DIVERGENCE_OPTIONS",
    "QUIZ",
    "WARMUP_QUESTION",
    "check_divergence_cause",
    "check_smallest_warmup",
    "check_stable_lr_prediction",
]


# --- exercise 1: predict the largest stable learning rate from λ₀ -------------------------------------------


@checker
def check_stable_lr_prediction(answer: Any, *, lam0: float, momentum: float, measured: float) -> Verdict:
    """``answer``: the largest stable learning rate that the quadratic rule predicts from the sharpness ``lam0``.

    The rule: heavy-ball SGD is stable on curvature ``λ`` while ``ηλ < 2 + 2β``, so ``η_max = (2 + 2β)/λ₀``.
    ``measured`` is the largest stable peak learning rate the notebook's sweep found without warmup; the verdict
    compares the two.
    """
    lam0 = check_real("lam0", lam0, 0.0, low_open=True)
    momentum = check_real("momentum", momentum, 0.0, 1.0, high_open=True)
    measured = check_real("measured", measured, 0.0)
    edge = 2.0 + 2.0 * momentum
    expected = edge / lam0
    wrong = {
        2.0 / lam0: f"that is the edge of plain gradient descent, 2/λ₀. This SGD has momentum β = {momentum:g}, "
                    f"which widens the stable range to ηλ < 2 + 2β = {edge:g}",
        edge * lam0: "that multiplies by λ₀; the condition is ηλ₀ < 2 + 2β, so η < (2 + 2β)/λ₀",
        1.0 / lam0: "the condition is ηλ₀ < 2 + 2β (a quadratic is stable up to ηλ = 2, momentum widens it), "
                    "not ηλ₀ < 1",
    }
    if measured > 0 and not math.isclose(measured, expected, rel_tol=0.05):
        wrong[measured] = ("that is the value the sweep measured; the exercise is to predict it from λ₀ alone, "
                           "then compare")
    if measured > 0:
        success = (
            f"(2 + 2β)/λ₀ = {edge:g}/{lam0:.2f} = {expected:.2f}. The sweep found {measured:g} stable without "
            f"warmup: {measured / expected:.1f}× the prediction, at ηλ₀ = {measured * lam0:.0f}. The quadratic edge "
            "is where the first updates start to push the sharpness down, not where training fails: a network is "
            "not a fixed quadratic, and between the edge and several times it the first updates flatten it "
            "without a loss spike (the sharpness-reduction phase of Kalra & Barkeshli 2023). Failure comes later, "
            "in the loss-catapult regime."
        )
    else:
        success = f"(2 + 2β)/λ₀ = {expected:.2f}."
    return check_number(
        answer, expected, rel=0.03, name="predicted_lr", wrong=wrong,
        hint=f"Use the heavy-ball edge: stable while η·λ < 2 + 2β, with λ = λ₀ = {lam0:.2f} and β = {momentum:g}.",
        success=success,
    )


# --- exercise 2: the shortest warmup that makes the peak stable ------------------------------------------------

#: Exercise 2: the run the learner warms up (notebook 01's headline configuration).
WARMUP_QUESTION = {"peak_lr": 3.2, "min_seeds": 3}


def _warmup_length(h: Any, peak: float) -> int | None:
    """The first update whose lr reaches ``peak`` (linear warmup over W updates: update W), None if never."""
    lr = np.asarray(getattr(h, "lr", []), dtype=float)
    reached = np.flatnonzero(lr >= peak * (1 - 1e-6))
    return int(reached[0]) if reached.size else None


@checker
def check_smallest_warmup(answer: Any, trials: Any = None) -> Verdict:
    """``answer``: the smallest warmup length ``W`` (updates) that makes peak lr 3.2 stable for most seeds.

    ``trials`` maps each ``W`` the learner tried to that configuration's Histories (one per seed, at least
    three). A run is stable by :func:`warmup_course.diagnostics.is_stable_run`; ``W`` is stable when most seeds
    are. The answer is right when it is the smallest stable ``W`` tried, and a shorter ``W`` that fails was
    tried close enough below it (within ``max(2, W/3)`` updates) to show that it is the smallest; no warmup
    (``W = 0``) counts as tried and failing, as notebook 01 shows.
    """
    peak = WARMUP_QUESTION["peak_lr"]
    if answer is Ellipsis:
        return Verdict.not_attempted(
            "replace the ... in `smallest_w = ...` with your answer, then run this cell again.")
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, np.integer)):
        return Verdict.wrong(f"smallest_w should be a whole number of updates, got {answer!r}.")
    answer = int(answer)
    if answer < 1:
        return Verdict.wrong("smallest_w must be at least 1 (W = 0 is no warmup, which fails at 3.2: section 3).")
    if not isinstance(trials, Mapping) or not trials:
        return Verdict.wrong("pass your experiments too: check_smallest_warmup(smallest_w, trials), with trials = "
                             "{W: [History, ...]} for every W you tried.")
    stable: dict[int, tuple[int, int]] = {}
    for w, runs in trials.items():
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, (int, np.integer)) or w < 1:
            return Verdict.wrong(f"the keys of trials should be warmup lengths W >= 1, got {w!r}.")
        if isinstance(runs, (str, bytes)) or not isinstance(runs, Sequence) or \
                not all(hasattr(h, "loss") and hasattr(h, "diverged") for h in runs):
            return Verdict.wrong(f"trials[{w}] should be a list of Histories (one per seed).")
        if len(runs) < WARMUP_QUESTION["min_seeds"]:
            return Verdict.wrong(f"trials[{w}] has {len(runs)} run(s): use at least {WARMUP_QUESTION['min_seeds']} "
                                 "seeds, since single runs are noisy (a majority decides).")
        for h in runs:
            if h.diverged:
                continue
            got = _warmup_length(h, peak)
            if got is None:
                return Verdict.wrong(f"the runs in trials[{w}] never reach the peak learning rate {peak:g}: "
                                     f"train at peak {peak:g}.")
            if got != int(w):
                return Verdict.wrong(f"the runs in trials[{w}] reach the peak at update {got}, not {int(w)}: "
                                     f"use schedule=linear_warmup({int(w)}) for W = {int(w)}.")
        stable[int(w)] = (sum(is_stable_run(h) for h in runs), len(runs))
    ok = {w for w, (k, n) in stable.items() if k > n / 2}
    if answer not in stable:
        return Verdict.wrong(f"you did not try W = {answer}: run it, add it to trials, and check again.")
    k, n = stable[answer]
    if answer not in ok:
        return Verdict.wrong(f"at W = {answer} only {k}/{n} seeds are stable: not a majority. Try longer warmups.")
    shorter_ok = sorted(w for w in ok if w < answer)
    if shorter_ok:
        return Verdict.wrong(f"W = {shorter_ok[0]} is shorter and also stable in your trials "
                             f"({stable[shorter_ok[0]][0]}/{stable[shorter_ok[0]][1]} seeds).")
    below = sorted(w for w in stable if w < answer)
    lo_w = below[-1] if below else 0  # W = 0, no warmup, is known to fail at 3.2 (section 3)
    if answer - lo_w > max(2, answer / 3):
        if not below:
            return Verdict.wrong(f"W = {answer} is stable, but you tried nothing shorter: how do you know a "
                                 "shorter warmup would fail? Try some.")
        return Verdict.wrong(f"W = {answer} is stable and W = {lo_w} is not, but the gap is wide: try "
                             f"something in between (bisect).")
    lo = f"; W = {lo_w}: {stable[lo_w][0]}/{stable[lo_w][1]}" if below else "; no warmup fails (section 3)"
    return Verdict.correct(
        f"W = {answer}: {k}/{n} seeds stable{lo}. A warmup much shorter than that is little better than none: "
        "the learning rate still reaches its peak while the network is sharp. Longer than needed costs little "
        "here (section 4)."
    )


# --- exercise 3: why did the run without warmup at 6.4 fail? ---------------------------------------------------

#: Exercise 3: each option with the explanation the learner gets.
DIVERGENCE_OPTIONS = {
    "a": "No. A learning rate that is too small makes training slow, not unstable: the loss would fall slowly, "
         "not jump up. The same network trains at this peak when it is reached gradually.",
    "b": "Not quite. Crossing the quadratic edge (2 + 2β)/η alone does not make a run fail: at learning rates "
         "0.8 and 1.6, ηλ₀ is already 1.5-3× past the edge, and those runs train without a loss spike (section "
         "6). The first updates push the sharpness down instead. What matters is how far past the edge.",
    "c": "Yes. At 6.4, ηλ₀ is more than ten times the edge (2 + 2β): far into the loss-catapult regime. The first "
         "updates throw the weights a long way (their norm grows several-fold), the loss jumps, and the network "
         "lands flat but far from where it was learning; some runs diverge outright. Warmup keeps ηλ small while "
         "the loss falls and the weights grow gradually.",
    "d": "No. With the learning rate at its peak from the first update, the early updates are the *largest* of "
         "the run relative to the weights (section 5), not too small.",
}


@checker
def check_divergence_cause(answer: Any) -> Verdict:
    """``answer``: one of ``"a"``, ``"b"``, ``"c"``, ``"d"`` (see :data:`DIVERGENCE_OPTIONS`); ``"c"`` is right."""
    return check_choice(answer, "c", DIVERGENCE_OPTIONS, name="answer")


# --- the instructor's quiz ----------------------------------------------------------------------------------------

#: Multiple-choice questions for the instructor: ``answer`` is the index of the right choice.
QUIZ: list[dict[str, Any]] = [
    {
        "question": "SGD with momentum β = 0.9 and learning rate η = 2 runs on a quadratic valley of curvature λ. "
                    "For which λ does it converge?",
        "choices": ["λ < 1", "λ < 1.9", "λ < 2", "λ < 3.8"],
        "answer": 1,
        "why": "Heavy-ball momentum is stable while ηλ < 2 + 2β = 3.8, so λ < 3.8/2 = 1.9. Without momentum it "
               "would be λ < 2/η = 1.",
    },
    {
        "question": "In notebook 01, runs without warmup at learning rate 0.8 start with ηλ₀ ≈ 6, past the "
                    "quadratic edge 2 + 2β = 3.8. What did they do?",
        "choices": [
            "They diverged in the first updates.",
            "They trained stably: the first updates lowered the sharpness, with no loss spike.",
            "The loss spiked several-fold, then recovered slowly.",
            "They never left the initial loss.",
        ],
        "answer": 1,
        "why": "A network is not a fixed quadratic: slightly past the edge its first updates push the sharpness "
               "down (Kalra & Barkeshli 2023's sharpness-reduction phase). The loss spike starts much further "
               "out, around ηλ₀ ≈ 20 on this task.",
    },
    {
        "question": "On the digits task, with the same 60 updates, what did warmup buy?",
        "choices": [
            "A higher test accuracy, thanks to the larger learning rate it allows.",
            "A wider range of peak learning rates that train, but no better best run.",
            "Faster training at the best learning rate.",
            "Nothing at any learning rate.",
        ],
        "answer": 1,
        "why": "Warmup made peak learning rates up to 3.2-4.5 train (against 1.6-2.3 without), but the best "
               "runs without warmup (LR 0.8-1.6) were as good. Warmup's value here is robustness: a learning rate set by "
               "something else (the linear scaling rule for a large batch) no longer breaks training.",
    },
    {
        "question": "A layer followed by BatchNorm has its weight norm grow five-fold during the first updates. "
                    "By about how much does the loss's curvature along that layer's weights fall?",
        "choices": ["5×", "25×", "It does not change.", "125×"],
        "answer": 1,
        "why": "BatchNorm makes the layer scale-invariant, so its Hessian scales as 1/||W||²: five-fold norm "
               "means 25× flatter, and an effective learning rate η/||W||² 25× smaller.",
    },
]
