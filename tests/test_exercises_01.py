"""The notebook-01 checkers accept the right answers and reject (and explain) the typical wrong ones."""

from __future__ import annotations

import math

import pytest

from warmup_course.exercises.nb01 import (
    DIVERGENCE_OPTIONS,
    LR_QUESTION,
    check_divergence_cause,
    check_linear_warmup_lr,
    check_lr_at_step,
)
from warmup_course.schedules import linear_warmup

# --- exercise 1: linear warmup as a function of the update index ---------------------------------------


def right(t, warmup_steps, peak_lr):
    return peak_lr * min(1, t / warmup_steps)


def test_right_answers_pass():
    assert check_linear_warmup_lr(right).passed
    assert check_linear_warmup_lr(lambda t, w, lr: lr * linear_warmup(w)(t)).passed  # the library agrees
    assert check_linear_warmup_lr(lambda t, w, lr: lr if t >= w else lr * t / w).passed


def test_untouched_stub_is_not_attempted():
    def linear_warmup_lr(t, warmup_steps, peak_lr):
        ...

    v = check_linear_warmup_lr(linear_warmup_lr)
    assert not v.attempted and not v.passed
    assert "Not attempted" in str(v)
    assert not check_linear_warmup_lr().attempted


@pytest.mark.parametrize(
    "mistake, words",
    [
        (lambda t, w, lr: lr * min(1, (t + 1) / w), "t + 1"),  # off by one: first update not at 0
        (lambda t, w, lr: lr * min(1, t / (w - 1)), "W - 1"),  # peak one update early
        (lambda t, w, lr: min(1, t / w), "return the learning rate"),  # the multiplier, not the lr
        (lambda t, w, lr: lr * t / w, "clip"),  # keeps growing after warmup
        (lambda t, w, lr: lr * max(0.0, 1 - t / w), "raises"),  # a decay, not a warmup
        (lambda t, w, lr: lr * min(1, t // w), "integer division"),
    ],
)
def test_typical_mistakes_are_rejected_and_explained(mistake, words):
    v = check_linear_warmup_lr(mistake)
    assert v.attempted and not v.passed
    assert words in v.message


def test_other_wrong_answers_are_rejected_with_the_first_mismatch():
    v = check_linear_warmup_lr(lambda t, w, lr: 0.5 * lr * min(1, t / w))
    assert not v.passed and "expected" in v.message

    def forgot_return(t, warmup_steps, peak_lr):
        lr = peak_lr * min(1, t / warmup_steps)  # noqa: F841

    v = check_linear_warmup_lr(forgot_return)
    assert not v.passed and "return" in v.message
    v = check_linear_warmup_lr(lambda t, w, lr: 1 / 0)
    assert not v.passed and "ZeroDivisionError" in v.message
    assert not check_linear_warmup_lr(0.32).passed  # not a function


# --- exercise 2: predict the learning rate at one update -----------------------------------------------


def test_lr_at_step_right_answer_matches_the_library():
    q = LR_QUESTION
    lr = q["peak_lr"] * linear_warmup(q["warmup_steps"], start_factor=q["start_factor"])(q["t"])
    assert math.isclose(lr, 1.76)
    assert check_lr_at_step(lr).passed
    assert check_lr_at_step(1.76).passed
    assert not check_lr_at_step(...).attempted


@pytest.mark.parametrize(
    "answer, words",
    [
        (1.6, "start_factor"),  # ignored the start factor
        (0.55, "multiplier"),  # the multiplier, not the lr
        (3.2 * (0.1 + 0.9 * 11 / 20), "update 11"),  # t + 1
        (3.2 * (0.1 + 0.9 * 10 / 19), "W - 1"),
        (3.2 * (0.1 + 10 / 20), "1 - start"),
        (3.2, "below the peak"),
    ],
)
def test_lr_at_step_typical_mistakes(answer, words):
    v = check_lr_at_step(answer)
    assert v.attempted and not v.passed
    assert words in v.message


def test_lr_at_step_other_wrong_answers():
    assert "too small" in check_lr_at_step(1.0).message
    assert not check_lr_at_step("1.76").passed
    assert not check_lr_at_step(float("nan")).passed


# --- exercise 3: why did the run diverge? ---------------------------------------------------------------


def test_divergence_cause():
    assert check_divergence_cause("b").passed
    assert check_divergence_cause(" B ").passed
    assert not check_divergence_cause(...).attempted
    for wrong in set(DIVERGENCE_OPTIONS) - {"b"}:
        v = check_divergence_cause(wrong)
        assert v.attempted and not v.passed
        assert v.message.startswith(f"answer = {wrong!r}: No.")
    v = check_divergence_cause("e")
    assert not v.passed and "not one of the options" in v.message
