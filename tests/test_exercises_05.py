"""Notebook 05's checkers accept the right answers and explain the typical wrong ones; the quiz is well formed."""

from __future__ import annotations

import math

import pytest

from warmup_course.exercises.core import quiz_problems
from warmup_course.exercises.nb05 import QUIZ, check_warmup_updates, warmup_updates_reference


def right(epochs, n, b, workers, accum):
    return round(epochs * (n // (b * workers * accum)))


def test_reference_is_goyal_arithmetic():
    # ImageNet, 256 workers x 32 = 8192 per update: floor(1,281,167 / 8192) = 156 updates per epoch
    assert warmup_updates_reference(5, 1_281_167, 32, 256) == 5 * 156
    assert warmup_updates_reference(5, 1_437, 256, 2) == 5 * 2  # the digits at batch 512: 2 updates per epoch


def test_right_answer_passes():
    assert check_warmup_updates(right).passed
    assert check_warmup_updates(lambda e, n, b, w, a: float(right(e, n, b, w, a))).passed  # 780.0 is fine


def test_not_attempted():
    assert not check_warmup_updates().attempted


def test_typical_mistakes_are_explained():
    per_worker = check_warmup_updates(lambda e, n, b, w, a: round(e * (n // b)))
    assert not per_worker.passed and "per-worker batch" in per_worker.message
    no_accum = check_warmup_updates(lambda e, n, b, w, a: round(e * (n // (b * w))))
    assert not no_accum.passed and "accumulation" in no_accum.message
    examples = check_warmup_updates(lambda e, n, b, w, a: round(e * n))
    assert not examples.passed and "examples" in examples.message
    ceil = check_warmup_updates(lambda e, n, b, w, a: math.ceil(e * n / (b * w * a)))
    assert not ceil.passed and "partial batch" in ceil.message
    assert not check_warmup_updates(lambda e, n, b, w, a: "780").passed
    assert not check_warmup_updates(42).passed


def test_quiz_is_well_formed():
    assert quiz_problems(QUIZ) == []
    assert 3 <= len(QUIZ) <= 4


# ---------------------------------------------------------------- exercise 1: the playbook's choice of warmup length

from warmup_course.exercises.nb05 import (  # noqa: E402
    CHOICE_CASES, DASHBOARD_CHOICES, check_dashboard_reading, check_warmup_choice, shortest_stable_reference)


def learner_right(stable):
    lengths = sorted(stable)
    for i, w in enumerate(lengths):
        if all(all(stable[v]) for v in lengths[i:]):
            return w
    return None


def test_reference_on_hand_made_sweeps():
    assert shortest_stable_reference({0: [False], 4: [True], 8: [True]}) == 4
    # stable by luck at 2 (a longer length failed on one seed): not kept
    assert shortest_stable_reference({0: [False, False], 2: [True, True], 4: [True, False], 8: [True, True]}) == 8
    assert shortest_stable_reference({0: [True, True], 5: [True, True]}) == 0
    assert shortest_stable_reference({0: [False], 5: [False]}) is None


def test_reference_rejects_bad_sweeps():
    import pytest

    for bad in ({}, None, {0: []}, {0: "yes"}, {-1: [True]}, {0: [1, 0]}):
        with pytest.raises((TypeError, ValueError)):
            shortest_stable_reference(bad)


def test_choice_right_answer_passes_with_observed():
    observed = {0: [False] * 4, 1: [False, True, False, False], 4: [True] * 4, 8: [True] * 4, 60: [True] * 4}
    v = check_warmup_choice(learner_right, observed)
    assert v.passed and "W=4" in v.message
    assert check_warmup_choice(lambda s: None if learner_right(s) is None else int(learner_right(s))).passed
    assert not check_warmup_choice().attempted


def test_choice_typical_mistakes_are_explained():
    longest = check_warmup_choice(lambda s: max(s))
    assert not longest.passed and "SHORTEST" in longest.message
    majority = check_warmup_choice(lambda s: min(w for w in s if 2 * sum(s[w]) > len(s[w])))
    assert not majority.passed and "every seed" in majority.message
    lucky = check_warmup_choice(lambda s: min((w for w in s if all(s[w])), default=None))
    assert not lucky.passed and "by luck" in lucky.message
    never_none = check_warmup_choice(lambda s: learner_right(s) if learner_right(s) is not None else max(s))
    assert not never_none.passed and "None" in never_none.message
    index = check_warmup_choice(lambda s: sorted(s).index(learner_right(s)) if learner_right(s) is not None else None)
    assert not index.passed and "position" in index.message
    assert not check_warmup_choice(lambda s: "5").passed
    assert not check_warmup_choice(7).passed


def test_choice_cases_are_not_trivial():
    answers = [shortest_stable_reference(c) for c in CHOICE_CASES]
    assert None in answers and 0 in answers  # both edges are exercised
    assert len(set(answers)) == len(answers)


# ---------------------------------------------------------------- exercise 2: reading a dashboard


def test_dashboard_reading():
    assert check_dashboard_reading("A").passed
    assert check_dashboard_reading(" a ").passed
    for wrong in "BCD":
        v = check_dashboard_reading(wrong)
        assert not v.passed and v.message
    assert not check_dashboard_reading(...).attempted
    assert not check_dashboard_reading("E").passed
    assert not check_dashboard_reading(["A"]).passed
    assert set(DASHBOARD_CHOICES) == {"A", "B", "C", "D"}


@pytest.mark.parametrize("bad", [{}, [1, 2], {4: "yes"}, {4: [1, 0]}, {-1: [True]}])
def test_choice_bad_observed_data_is_named(bad):
    # the notebook's own data is untrusted input: a clear error naming `observed`, never a verdict on the learner
    with pytest.raises((TypeError, ValueError), match="observed"):
        check_warmup_choice(learner_right, bad)
