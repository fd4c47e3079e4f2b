from __future__ import annotations

from warmup_course.exercises.nb00 import check_multiplier_at_25
from warmup_course.schedules import linear_warmup


def test_right_answer_passes_and_matches_the_library():
    assert check_multiplier_at_25(linear_warmup(100)(25)).passed
    assert check_multiplier_at_25(0.25).passed


def test_stub_is_not_attempted():
    v = check_multiplier_at_25(...)
    assert not v.attempted and not v.passed


def test_typical_mistakes_are_explained():
    assert "t = 0" in check_multiplier_at_25(0.26).message
    assert "between 0 and 1" in check_multiplier_at_25(25).message
    assert "increases" in check_multiplier_at_25(0.75).message
    assert not check_multiplier_at_25(0.5).passed
    assert not check_multiplier_at_25("0.25").passed


def test_quiz_is_well_formed():
    from warmup_course.exercises.core import quiz_problems
    from warmup_course.exercises.nb00 import QUIZ

    assert quiz_problems(QUIZ) == [] and 3 <= len(QUIZ) <= 4
