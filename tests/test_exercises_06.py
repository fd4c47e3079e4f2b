"""Notebook 06's checkers accept the right answers and explain the typical wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from warmup_course import schedules as S
from warmup_course.cycles import cyclical
from warmup_course.exercises.core import quiz_problems
from warmup_course.exercises.nb06 import (
    CYCLIC,
    QUIZ,
    WSD,
    check_cyclic_lr,
    check_decay_choice,
    check_wsd,
    cyclic_lr_reference,
    hf_wsd_multipliers,
)

W, ST, D = WSD["warmup_steps"], WSD["stable_steps"], WSD["decay_steps"]


def test_wsd_from_pieces_passes_and_equals_the_library_preset():
    pieces = S.with_warmup(S.linear_warmup(W), S.with_warmup(S.constant(), S.sqrt_decay(D), ST))
    assert check_wsd(pieces).passed
    preset = S.warmup_stable_decay(W, D, stable_steps=ST, decay_shape="1-sqrt")
    assert check_wsd(preset).passed
    assert check_wsd(lambda t: float(hf_wsd_multipliers(W, ST, D, t + 1)[t])).passed  # any callable


def test_wsd_typical_mistakes_are_named():
    assert not check_wsd(...).attempted
    linear = S.with_warmup(S.linear_warmup(W), S.with_warmup(S.constant(), S.linear_decay(D), ST))
    v = check_wsd(linear)
    assert not v.passed and "linear cooldown" in v.message
    spliced = S.with_warmup(S.linear_warmup(W), S.splice(S.constant(), S.sqrt_decay(D), ST))
    v = check_wsd(spliced)
    assert not v.passed and "own clock" in v.message and "splice" in v.message
    v = check_wsd(S.with_warmup(S.linear_warmup(W, first_step_nonzero=True), S.constant()))
    assert not v.passed and "warmup differs" in v.message
    v = check_wsd(S.with_warmup(S.linear_warmup(W), S.sqrt_decay(ST + D)))
    assert not v.passed
    v = check_wsd(3)
    assert not v.passed and "schedule" in v.message


def test_cyclic_reference_is_torch_and_our_schedule():
    c = CYCLIC
    ref = cyclic_lr_reference(c["base_lr"], c["max_lr"], c["step_size_up"], c["mode"], c["t"])
    ours = c["max_lr"] * cyclical(c["step_size_up"], base_factor=c["base_lr"] / c["max_lr"], mode=c["mode"])(c["t"])
    assert ref == pytest.approx(ours, rel=1e-12)


def test_cyclic_lr_accepts_right_and_explains_mistakes():
    assert check_cyclic_lr(0.0325).passed
    assert not check_cyclic_lr(...).attempted
    assert "triangular2" in check_cyclic_lr(0.055).message
    assert "update 49" in check_cyclic_lr(0.03025).message
    assert "update 51" in check_cyclic_lr(0.03475).message
    assert "absolute" in check_cyclic_lr(0.0225).message
    for wrong in (0.1, 0.01, 0.04, "0.0325", None):
        assert not check_cyclic_lr(wrong).passed


def test_decay_choice_uses_the_measurements():
    losses = {"cosine": 0.010, "linear": 0.011, "step": 0.030, "none": 0.05}
    assert check_decay_choice("cosine", losses).passed and check_decay_choice("linear", losses).passed
    v = check_decay_choice("step", losses)
    assert not v.passed and "3.0×" in v.message
    assert not check_decay_choice("none", losses).passed
    assert not check_decay_choice("cosine warmup", losses).passed
    assert not check_decay_choice(..., losses).attempted
    # the verdict follows the data, not a fixed key
    assert check_decay_choice("step", {"cosine": 0.03, "step": 0.02}).passed


def test_quiz_is_well_formed():
    assert quiz_problems(QUIZ) == []
    assert 3 <= len(QUIZ) <= 4
    assert all(np.isfinite(q["answer"]) for q in QUIZ)
