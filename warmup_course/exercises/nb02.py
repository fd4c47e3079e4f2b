"""Checks for notebook 02 (linear vs exponential warmup).

1. :func:`check_geometric_warmup` -- the learner writes geometric warmup, ``s ** (1 - min(t, W) / W)``.
2. :func:`check_effective_length` -- the learner computes the effective warmup length of ``linear_warmup(10)``.
3. :func:`check_matching_tau` -- the learner finds the ``τ`` of exponential warmup that matches a linear
   warmup of ``W = 40`` updates in effective length.
4. :func:`check_untuned_nanogpt` -- the learner computes Ma & Yarats' untuned warmup length for nanoGPT's
   β₂ = 0.95 and compares it with nanoGPT's ``warmup_iters = 2000``.

:data:`QUIZ` holds multiple-choice questions for the instructor (plain dicts: question, choices, answer, why).

Effective warmup length (Ma & Yarats 2019, https://arxiv.org/abs/1910.04209): ``Σ_t (1 - ω_t)``, the number of
full-learning-rate updates that warmup "costs". For linear warmup from 0 over ``W`` updates it is ``(W + 1) / 2``;
for ``1 - exp(-t/τ)`` it is ``1 / (1 - exp(-1/τ)) ≈ τ + 1/2``.
"""

from __future__ import annotations

import math
from typing import Any

from warmup_course.exercises.core import Verdict, check_number, checker, compare_function
from warmup_course.validation import check_int, check_real

__all__ = [
    "check_geometric_warmup",
    "check_effective_length",
    "check_matching_tau",
    "geometric_warmup_reference",
    "MATCH_W",
    "matching_tau",
    "check_untuned_nanogpt",
    "NANOGPT_BETA2",
    "NANOGPT_WARMUP_ITERS",
    "QUIZ",
]

#: nanoGPT's train.py (https://github.com/karpathy/nanoGPT/blob/master/train.py): AdamW with ``beta2 = 0.95`` and
#: ``warmup_iters = 2000`` (for GPT-2 124M on OpenWebText).
NANOGPT_BETA2 = 0.95
NANOGPT_WARMUP_ITERS = 2000

#: The linear warmup length exercise 3 asks to match.
MATCH_W = 40


def geometric_warmup_reference(t: int, warmup_steps: int, start_factor: float) -> float:
    """``start_factor ** (1 - min(t, W) / W)``: a constant ratio per update, 1 from ``t = W`` on."""
    check_real("t", t, 0.0)
    check_int("warmup_steps", warmup_steps, 1, 10**15)
    check_real("start_factor", start_factor, 0.0, 1.0, low_open=True)
    return start_factor ** (1.0 - min(t, warmup_steps) / warmup_steps)


_GEO_INPUTS = [(t, w, s) for w, s in ((10, 0.01), (25, 0.1), (4, 0.5)) for t in (0, 1, 2, w // 2, w - 1, w, w + 3)]


@checker
def check_geometric_warmup(fn) -> Verdict:
    """The learner's ``fn(t, warmup_steps, start_factor) -> multiplier``."""
    return compare_function(
        fn, geometric_warmup_reference, _GEO_INPUTS, rel=1e-9, abs=1e-12, name="geometric_warmup_fn",
        wrong={
            "the exponent runs the wrong way: at t = 0 the multiplier must be start_factor and at t = W it must be 1, "
            "so the exponent is 1 - t/W, not t/W":
                lambda t, w, s: s ** (min(t, w) / w),
            "after the warmup the multiplier must stay at 1: clip t at W (min(t, W))":
                lambda t, w, s: s ** (1.0 - t / w),
            "that is linear warmup from start_factor, not geometric: the multiplier must grow by the same *ratio* "
            "every update, s ** (1 - t/W)":
                lambda t, w, s: s + (1 - s) * min(t, w) / w,
            "that is the exponential-saturation warmup 1 - exp(-t/τ); geometric warmup multiplies by a constant "
            "ratio per update":
                lambda t, w, s: 1 - math.exp(-t / w),
        },
        success="geometric warmup multiplies the learning rate by start_factor ** (-1/W) every update: a straight "
                "line on a log axis, from start_factor at t = 0 to 1 at t = W.",
    )


@checker
def check_effective_length(answer) -> Verdict:
    """``answer``: Σ_{t=0}^{99} (1 - ω_t) for ``linear_warmup(10)`` (= 10 - 45/10 = 5.5)."""
    return check_number(
        answer, 5.5, rel=1e-9, name="effective_length",
        wrong={
            5.0: "that is W / 2; the sum counts t = 0 too, where 1 - ω_0 = 1: Σ_{t=0}^{9} (1 - t/10) = 5.5",
            4.5: "the sum starts at t = 0 (the first update, at multiplier 0, counts fully): 1 + 0.9 + ... + 0.1 = 5.5",
            94.5: "that is Σ ω_t, the sum of the multipliers; the effective length sums 1 - ω_t, what warmup *removes*",
            10.0: "that is W itself; an update at multiplier t/W removes only 1 - t/W of a full update",
        },
        hint="add up 1 - ω_t over the first 100 updates: schedules.linear_warmup(10).values(100) gives the ω_t",
        success="Σ (1 - t/10) for t = 0..9 = 10 - 4.5 = 5.5 = (W + 1) / 2: warmup costs 5.5 full-rate updates.",
    )


def matching_tau(warmup_steps: int) -> float:
    """The ``τ`` whose exponential warmup has the effective length ``(W + 1) / 2`` of linear warmup over ``W``.

    Solves ``1 / (1 - exp(-1/τ)) = (W + 1) / 2``: ``τ = -1 / ln(1 - 2 / (W + 1))``, for ``W >= 2`` (W = 1 has
    effective length 1, which no exponential warmup reaches: τ would be 0).
    """
    check_int("warmup_steps", warmup_steps, 2, 10**15)
    return -1.0 / math.log(1.0 - 2.0 / (warmup_steps + 1))


@checker
def check_matching_tau(answer) -> Verdict:
    """``answer``: τ matching ``linear_warmup(40)`` in effective length (≈ 20.0; within 2 % accepted)."""
    tau = matching_tau(MATCH_W)
    return check_number(
        answer, tau, rel=0.02, name="tau",
        wrong={
            float(MATCH_W): "τ = W gives an exponential warmup about twice as long as the linear one: its effective "
                            "length is about τ + 1/2, the linear one's (W + 1) / 2",
            float(MATCH_W + 1): "τ = W + 1 is about twice too long: the effective lengths are τ + 1/2 and (W + 1) / 2",
            2.0 * MATCH_W: "2W is four times too long: match τ + 1/2 ≈ (W + 1) / 2",
        },
        hint="effective lengths: linear (W + 1) / 2, exponential 1 / (1 - exp(-1/τ)) ≈ τ + 1/2; set them equal",
        success=f"τ ≈ W / 2 = {tau:.2f}: exponential warmup with τ ≈ {tau:.1f} removes as many full-rate updates as "
                f"linear warmup over {MATCH_W}.",
    )


@checker
def check_untuned_nanogpt(answer) -> Verdict:
    """``answer``: Ma & Yarats' untuned linear warmup length ``2 / (1 - β₂)`` for nanoGPT's β₂ = 0.95 (= 40)."""
    w = 2.0 / (1.0 - NANOGPT_BETA2)
    return check_number(
        answer, w, rel=1e-6, name="untuned_W",
        wrong={
            1.0 / (1.0 - NANOGPT_BETA2): "1 / (1 - β₂) = 20 is the untuned *exponential* warmup's τ (and the effective "
                                         "length of both rules); the untuned *linear* warmup lasts 2 / (1 - β₂)",
            2000.0: "2,000 is what the rule gives for Adam's default β₂ = 0.999 -- and what nanoGPT uses; with its "
                    "β₂ = 0.95 the rule gives a much shorter warmup",
            2.0 / (1.0 - 0.999): "that is the untuned length for β₂ = 0.999, not nanoGPT's 0.95",
        },
        hint="the untuned linear warmup lasts W = 2 / (1 - β₂) updates",
        success=f"2 / (1 - 0.95) = {w:.0f} updates: nanoGPT's warmup_iters = {NANOGPT_WARMUP_ITERS:,} is "
                f"{NANOGPT_WARMUP_ITERS / w:.0f}x longer than the untuned rule asks for. In its 600,000-update run the "
                "2,000 updates cost only 0.3 % of the budget, so a generous warmup is cheap there; in a short run "
                "the same habit would waste a large share.",
    )


QUIZ: list[dict[str, Any]] = [
    {
        "question": "Exponential warmup 1 - exp(-t/τ) and linear warmup over W cost the same number of full-rate "
                    "updates (the same effective length) when ...",
        "choices": ["τ = W", "τ ≈ W / 2", "τ ≈ 2W", "τ = ln W"],
        "answer": 1,
        "why": "Effective lengths: linear (W + 1)/2, exponential 1/(1 - e^(-1/τ)) ≈ τ + 1/2 (summing from t = 0; "
               "Ma & Yarats sum from t = 1, which shifts both by one and gives the same τ).",
    },
    {
        "question": "Geometric warmup from s = 0.01 over W = 100 updates multiplies the LR by about 1.047 every "
                    "update. Where does most of its *absolute* increase happen?",
        "choices": ["in the first few updates", "evenly over the warmup", "in the last few updates",
                    "after the warmup"],
        "answer": 2,
        "why": "The ratio per update is constant, so the step in LR is proportional to the LR itself: tiny at first, "
               "largest at the end. That late, fast arrival is what made geometric warmup fail for SGD in section 3.",
    },
    {
        "question": "What does torch.optim.RAdam do in its first few updates, while ρ_t ≤ 5?",
        "choices": ["it skips them: the parameters do not move", "it takes an un-adapted step, SGD with momentum "
                    "(lr × the bias-corrected first moment)", "it takes a normal Adam step",
                    "it takes an Adam step at learning rate 0"],
        "answer": 1,
        "why": "Below the threshold (torch 5, the paper 4) the variance of the adaptive LR is not defined and RAdam "
               "drops the division by sqrt(v). After it, r_t scales the adaptive step and rises like an untuned "
               "exponential warmup.",
    },
    {
        "question": "Post-LN with Adam at LR 7e-3 stays stuck without warmup. Which of these also trains it without "
                    "any warmup, in section 3?",
        "choices": ["only a longer run", "RAdam, a Pre-LN Transformer, or a lower LR", "only a larger batch",
                    "nothing: warmup is the only fix"],
        "answer": 1,
        "why": "The controls: RAdam (an update-size/variance fix in the optimizer), Pre-LN (an architecture that keeps "
               "gradients well scaled) and a lower LR all train without warmup. Warmup is one of several ways to "
               "keep the first updates small enough.",
    },
]
