from __future__ import annotations

import math

import pytest

from warmup_course import schedules
from warmup_course.exercises.nb02 import (
    MATCH_W,
    check_effective_length,
    check_geometric_warmup,
    check_matching_tau,
    geometric_warmup_reference,
    matching_tau,
)


def test_reference_is_the_library_schedule():
    for w, s in ((10, 0.01), (7, 0.3)):
        lib = schedules.geometric_warmup(w, s)
        for t in range(3 * w):
            assert geometric_warmup_reference(t, w, s) == pytest.approx(lib(t), rel=1e-12)


def test_geometric_accepts_right_and_explains_typical_mistakes():
    assert check_geometric_warmup(lambda t, w, s: s ** (1 - min(t, w) / w)).passed

    def stub(t, warmup_steps, start_factor):
        ...

    assert not check_geometric_warmup(stub).attempted
    v = check_geometric_warmup(lambda t, w, s: s ** (min(t, w) / w))
    assert not v.passed and "wrong way" in v.message
    v = check_geometric_warmup(lambda t, w, s: s ** (1 - t / w))
    assert not v.passed and "min(t, W)" in v.message
    v = check_geometric_warmup(lambda t, w, s: s + (1 - s) * min(t, w) / w)
    assert not v.passed and "ratio" in v.message
    v = check_geometric_warmup(lambda t, w, s: 1 - math.exp(-t / w))
    assert not v.passed and "exponential-saturation" in v.message
    v = check_geometric_warmup(lambda t, w, s: 1 / 0)
    assert not v.passed and "ZeroDivisionError" in v.message


def test_effective_length_matches_the_library_and_rejects_mistakes():
    lib = schedules.effective_warmup_length(schedules.linear_warmup(10), 100)
    assert check_effective_length(lib).passed and check_effective_length(5.5).passed
    assert not check_effective_length(...).attempted
    assert "t = 0" in check_effective_length(5.0).message
    assert "1 - ω_t" in check_effective_length(94.5).message
    # off by one: counting from t = 1, or using (t + 1) / W as the multiplier, gives 4.5
    assert not check_effective_length(4.5).passed and "t = 0" in check_effective_length(4.5).message
    assert "W itself" in check_effective_length(10.0).message
    for wrong in (6.0, 6.5, 50.5):
        assert not check_effective_length(wrong).passed


def test_matching_tau_is_right_and_mistakes_are_named():
    tau = matching_tau(MATCH_W)
    # the defining property, checked with the library's schedules
    lin = schedules.effective_warmup_length(schedules.linear_warmup(MATCH_W), 2000)
    exp = schedules.effective_warmup_length(schedules.exponential_warmup(tau), 2000)
    assert exp == pytest.approx(lin, rel=1e-9)
    assert check_matching_tau(tau).passed
    assert check_matching_tau(MATCH_W / 2).passed  # the rule of thumb τ ≈ W/2 is within 2 %
    assert not check_matching_tau(...).attempted
    assert "twice" in check_matching_tau(float(MATCH_W)).message
    assert not check_matching_tau(MATCH_W).passed  # an int W, too
    assert "twice" in check_matching_tau(MATCH_W + 1).message
    assert "four times" in check_matching_tau(2 * MATCH_W).message
    assert not check_matching_tau(30).passed and not check_matching_tau(10).passed
    assert math.isclose(tau, 19.9958, rel_tol=1e-4)


def test_untuned_nanogpt_accepts_the_rule_and_explains_mistakes():
    from warmup_course.exercises.nb02 import NANOGPT_BETA2, check_untuned_nanogpt

    assert check_untuned_nanogpt(2 / (1 - NANOGPT_BETA2)).passed
    assert check_untuned_nanogpt(schedules.untuned_warmup(NANOGPT_BETA2).warmup_steps).passed
    assert "exponential" in check_untuned_nanogpt(20).message
    assert "0.999" in check_untuned_nanogpt(2000).message
    assert not check_untuned_nanogpt(41).passed and not check_untuned_nanogpt("40").passed
    assert not check_untuned_nanogpt(...).attempted


def test_quiz_is_well_formed():
    from warmup_course.exercises.core import quiz_problems
    from warmup_course.exercises.nb02 import QUIZ

    assert quiz_problems(QUIZ) == [] and 3 <= len(QUIZ) <= 4
