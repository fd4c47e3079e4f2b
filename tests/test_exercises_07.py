from __future__ import annotations

import math

from warmup_course import schedules
from warmup_course.exercises.core import quiz_problems
from warmup_course.exercises.nb07 import (
    FINETUNE,
    QUIZ,
    check_finetune_warmup,
    check_noam_schedule,
    check_warmup_share,
    finetune_warmup_reference,
)

NOAM = schedules.with_warmup(schedules.linear_warmup(4000), schedules.inverse_sqrt_decay(4000))
PEAK = 512 ** -0.5 * 4000 ** -0.5


def test_noam_accepts_the_course_pieces_and_rejects_typical_mistakes():
    assert check_noam_schedule(NOAM, PEAK).passed
    assert not check_noam_schedule(..., ...).attempted
    v = check_noam_schedule(NOAM, 512 ** -0.5)
    assert not v.passed and "W^-0.5" in v.message
    # the decay on the wrong clock (timescale 1) falls far too fast after the warmup
    wrong = schedules.with_warmup(schedules.linear_warmup(4000), schedules.inverse_sqrt_decay(1))
    v = check_noam_schedule(wrong, PEAK)
    assert not v.passed and "inverse_sqrt_decay" in v.message
    assert not check_noam_schedule(lambda t: 1.0, PEAK).passed


def test_warmup_share_and_finetune_warmup():
    assert check_warmup_share(1.0).passed
    assert "percentage" in check_warmup_share(0.01).message
    expected = 3 * math.ceil(8_551 / 32)
    assert finetune_warmup_reference(**FINETUNE) == math.ceil(0.1 * expected) == 81
    assert check_finetune_warmup(81).passed
    assert "examples" in check_finetune_warmup(855).message
    assert "one epoch" in check_finetune_warmup(27).message
    assert not check_finetune_warmup(float("nan")).passed


def test_quiz_is_well_formed():
    assert quiz_problems(QUIZ) == []
