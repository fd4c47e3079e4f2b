from __future__ import annotations

import numpy as np
import pytest

from warmup_course import adaptive
from warmup_course.exercises.core import quiz_problems
from warmup_course.exercises.nb08 import (
    QUIZ,
    check_loss_gap_rule,
    check_ratio_target,
    check_warmup_prediction,
    loss_gap_reference,
    ratio_target_reference,
)


def test_reference_is_the_library_rule():
    for lr, dp, star in ((3.2, 0.3, 0.0), (7e-3, 0.5, 0.1)):
        k0, krho = adaptive.loss_gap_constants(lr, dp)
        for loss in (2.3, 0.9, 0.3 + star, 0.05 + star):
            want = adaptive.loss_gap_lr(loss - star, k0, 0.0, krho, 2.0)
            assert loss_gap_reference(loss, lr, dp, star) == pytest.approx(want, rel=1e-12)
        assert loss_gap_reference(dp + star, lr, dp, star) == pytest.approx(lr, rel=1e-12)  # the peak is the target


def test_loss_gap_checker_accepts_right_and_explains_mistakes():
    def right(loss, target_lr, delta_peak, loss_star=0.0):
        d = max(loss - loss_star, 0.0)
        return d / (delta_peak / (2 * target_lr) + d * d / (2 * target_lr * delta_peak))

    assert check_loss_gap_rule(right).passed

    def stub(loss, target_lr, delta_peak, loss_star=0.0):
        ...

    assert not check_loss_gap_rule(stub).attempted
    v = check_loss_gap_rule(lambda loss, lr, dp, star=0.0: lr)
    assert not v.passed and "target lr at every loss" in v.message
    v = check_loss_gap_rule(lambda loss, lr, dp, star=0.0: loss / (dp / (2 * lr) + loss**2 / (2 * lr * dp)))
    assert not v.passed and "loss_star" in v.message
    v = check_loss_gap_rule(lambda loss, lr, dp, star=0.0: max(loss - star, 0) / (dp / lr + max(loss - star, 0) ** 2 / (lr * dp)))
    assert not v.passed and "half the target" in v.message
    assert not check_loss_gap_rule(lambda *a: 1 / 0).passed


def test_ratio_target():
    lrs = np.r_[np.linspace(0, 3.2, 20, endpoint=False), np.full(40, 3.2)]
    ratios = np.r_[np.full(20, 0.5), np.linspace(0.1, 0.3, 40)]
    ref = ratio_target_reference(ratios, lrs, 3.2)
    assert ref == pytest.approx(np.median(np.linspace(0.1, 0.3, 40)))
    assert check_ratio_target(ref * 1.1, ratios=ratios, lrs=lrs, target_lr=3.2).passed
    assert not check_ratio_target(..., ratios=ratios, lrs=lrs, target_lr=3.2).attempted
    v = check_ratio_target(0.5, ratios=ratios, lrs=lrs, target_lr=3.2)
    assert not v.passed and "largest" in v.message
    assert not check_ratio_target(ref * 3, ratios=ratios, lrs=lrs, target_lr=3.2).passed
    assert not check_ratio_target("0.2", ratios=ratios, lrs=lrs, target_lr=3.2).passed
    with pytest.raises(ValueError, match="target_lr"):
        ratio_target_reference(ratios, lrs, 10.0)


def test_warmup_prediction():
    assert check_warmup_prediction(True, target_lr=7e-3, critical_lr=3.4e-3).passed
    assert not check_warmup_prediction(False, target_lr=7e-3, critical_lr=3.4e-3).passed
    assert check_warmup_prediction(False, target_lr=1e-3, critical_lr=3.4e-3).passed
    assert not check_warmup_prediction(..., target_lr=1e-3, critical_lr=3.4e-3).attempted
    assert not check_warmup_prediction("yes", target_lr=1e-3, critical_lr=3.4e-3).passed
    assert check_warmup_prediction(np.bool_(True), target_lr=7e-3, critical_lr=3.4e-3).passed


def test_quiz_is_well_formed():
    assert quiz_problems(QUIZ) == []
    assert 3 <= len(QUIZ) <= 4
