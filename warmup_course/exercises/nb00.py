"""Checks for notebook 00 (start here): the one warm-up exercise that shows how exercises work."""

from __future__ import annotations

from warmup_course.exercises.core import Verdict, check_number, checker


@checker
def check_multiplier_at_25(answer) -> Verdict:
    """``answer``: the multiplier of ``linear_warmup(100)`` at update ``t = 25`` (exactly 25/100)."""
    return check_number(
        answer, 0.25, rel=1e-9, name="answer",
        wrong={
            0.26: "that is the multiplier of update t = 26: updates count from t = 0, and t = 0 gets 0",
            25.0: "the schedule gives a multiplier of the peak learning rate, a number between 0 and 1",
            0.75: "warmup *increases* the learning rate: the multiplier is t / W, not 1 - t / W",
        },
        success="linear warmup over W = 100 updates gives t / W = 25 / 100 at t = 25.",
    )
