"""The notebook-01 checkers accept the right answers, reject (and explain) the typical wrong ones, and the quiz is
well formed. Exercise 2's check is fed small fake Histories, so no training runs here."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from warmup_course.diagnostics import stability_threshold
from warmup_course.exercises.nb01 import (
    DIVERGENCE_OPTIONS,
    QUIZ,
    check_divergence_cause,
    check_smallest_warmup,
    check_stable_lr_prediction,
)

# --- exercise 1: predict the largest stable lr from λ₀ ----------------------------------------------------------

LAM0, BETA, MEASURED = 7.2, 0.9, 2.26


def test_prediction_right_answer_passes_and_reports_the_measurement():
    right = stability_threshold(1.0, BETA) / LAM0  # (2 + 2β)/λ₀, from the library
    v = check_stable_lr_prediction(right, lam0=LAM0, momentum=BETA, measured=MEASURED)
    assert v.passed
    assert "2.26" in v.message and "4.3×" in v.message  # the comparison with the sweep: 2.26 / 0.528
    assert check_stable_lr_prediction(round(right, 2), lam0=LAM0, momentum=BETA, measured=MEASURED).passed
    assert not check_stable_lr_prediction(..., lam0=LAM0, momentum=BETA, measured=MEASURED).attempted


@pytest.mark.parametrize(
    "answer, words",
    [
        (2 / LAM0, "momentum"),  # forgot momentum
        (3.8 * LAM0, "multiplies"),  # inverted
        (1 / LAM0, "not ηλ₀ < 1"),
        (MEASURED, "predict it from λ₀"),  # read off the sweep
        (5.0, "too large"),
    ],
)
def test_prediction_typical_mistakes(answer, words):
    v = check_stable_lr_prediction(answer, lam0=LAM0, momentum=BETA, measured=MEASURED)
    assert v.attempted and not v.passed
    assert words in v.message


def test_prediction_bad_context_is_reported_not_raised():
    v = check_stable_lr_prediction(0.5, lam0=-1.0, momentum=BETA, measured=MEASURED)
    assert not v.passed and "lam0" in v.message
    assert not check_stable_lr_prediction("0.53", lam0=LAM0, momentum=BETA, measured=MEASURED).passed


# --- exercise 2: the smallest warmup that makes 3.2 stable -------------------------------------------------------


def run(w: int, stable: bool, *, peak: float = 3.2, steps: int = 60, diverged: bool = False):
    """A fake History: linear warmup over w updates to `peak`; a loss that falls (stable) or jumps (unstable)."""
    t = np.arange(steps)
    lr = peak * np.minimum(1.0, t / w)
    loss = np.linspace(2.3, 0.01, steps) if stable else np.r_[2.3, 5.0, np.full(steps - 2, 1.0)]
    return SimpleNamespace(lr=lr, loss=loss, diverged=diverged)


def trial(w: int, k_stable: int, n: int = 3):
    return [run(w, i < k_stable) for i in range(n)]


def test_smallest_warmup_right_answer():
    trials = {20: trial(20, 3), 10: trial(10, 2), 5: trial(5, 2), 3: trial(3, 1), 2: trial(2, 0)}
    v = check_smallest_warmup(5, trials)
    assert v.passed, v.message
    assert "W = 5: 2/3" in v.message and "W = 3: 1/3" in v.message
    # W = 1 or 2 stable: "no warmup fails" (section 3) brackets it from below
    assert check_smallest_warmup(2, {20: trial(20, 3), 2: trial(2, 3)}).passed
    assert check_smallest_warmup(1, {1: trial(1, 2)}).passed


@pytest.mark.parametrize(
    "answer, trials, words",
    [
        (10, {20: trial(20, 3), 10: trial(10, 3), 5: trial(5, 2)}, "W = 5 is shorter"),
        (5, {20: trial(20, 3), 5: trial(5, 1), 3: trial(3, 0)}, "not a majority"),
        (7, {20: trial(20, 3), 5: trial(5, 1)}, "did not try W = 7"),
        (10, {10: trial(10, 3)}, "tried nothing shorter"),
        (12, {12: trial(12, 3), 4: trial(4, 0)}, "bisect"),
        (10, {10: trial(10, 3, n=2), 8: trial(8, 0, n=2)}, "at least 3"),
        (10, {10: [run(20, True)] * 3, 8: trial(8, 0)}, "linear_warmup(10)"),
        (10, {10: [run(10, True, peak=1.6)] * 3, 8: trial(8, 0)}, "never reach the peak"),
        (10, None, "pass your experiments"),
        (10, {"10": trial(10, 3)}, "keys of trials"),
        (10, {10: "abc"}, "list of Histories"),
        (10.0, {10: trial(10, 3)}, "whole number"),
        (0, {10: trial(10, 3)}, "at least 1"),
    ],
)
def test_smallest_warmup_mistakes(answer, trials, words):
    v = check_smallest_warmup(answer, trials)
    assert v.attempted and not v.passed
    assert words in v.message


def test_smallest_warmup_stub_and_diverged_runs():
    assert not check_smallest_warmup(..., {}).attempted
    diverged = [run(8, False, diverged=True)] * 3  # a diverged run is unstable, whatever its lr trace
    assert check_smallest_warmup(10, {10: trial(10, 3), 8: diverged}).passed


# --- exercise 3: why did it fail? ----------------------------------------------------------------------------------


def test_divergence_cause():
    v = check_divergence_cause("c")
    assert v.passed and "catapult" in v.message
    assert check_divergence_cause(" C ").passed
    for wrong in ("a", "b", "d"):
        v = check_divergence_cause(wrong)
        assert v.attempted and not v.passed and DIVERGENCE_OPTIONS[wrong][:20] in v.message
    assert "0.8" in DIVERGENCE_OPTIONS["b"]  # the counter-example the learner needs: past the edge, yet stable
    assert not check_divergence_cause("e").passed
    assert not check_divergence_cause(...).attempted


# --- the quiz -------------------------------------------------------------------------------------------------------


def test_quiz_is_well_formed():
    assert 3 <= len(QUIZ) <= 4
    for q in QUIZ:
        assert set(q) == {"question", "choices", "answer", "why"}
        assert isinstance(q["question"], str) and q["question"].strip()
        assert isinstance(q["choices"], list) and len(q["choices"]) >= 3
        assert len(set(q["choices"])) == len(q["choices"])
        assert isinstance(q["answer"], int) and 0 <= q["answer"] < len(q["choices"])
        assert isinstance(q["why"], str) and len(q["why"]) > 20


def test_quiz_momentum_answer_follows_from_the_formula():
    q = QUIZ[0]
    limit = stability_threshold(2.0, 0.9)  # (2 + 2·0.9)/2 = 1.9
    assert q["choices"][q["answer"]] == f"λ < {limit:g}"
