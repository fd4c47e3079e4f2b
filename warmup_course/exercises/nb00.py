"""Checks for notebook 00 (start here): the one warm-up exercise that shows how exercises work.

:data:`QUIZ` holds multiple-choice questions for the instructor (plain dicts: question, choices, answer, why).
"""

from __future__ import annotations

from typing import Any

from warmup_course.exercises.core import Verdict, check_number, checker

__all__ = ["check_multiplier_at_25"]

__all__ = ["check_multiplier_at_25", "QUIZ"]


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


QUIZ: list[dict[str, Any]] = [
    {
        "question": "In the course, what does the t of a schedule count?",
        "choices": ["epochs", "optimizer updates", "micro-batches (forward/backward passes)", "training examples seen"],
        "answer": 1,
        "why": "Every schedule is a function of the optimizer update about to be applied (t = 0 is the first). With "
               "gradient accumulation several micro-batches make one update; notebook 03 shows what goes wrong when "
               "the scheduler is stepped per micro-batch or per epoch.",
    },
    {
        "question": "warmup_cosine(W=100, T=1000): which update is the first one at the peak learning rate, and over "
                    "how many updates does the cosine decay run?",
        "choices": ["update 100; the decay runs over 900 updates", "update 99; the decay runs over 1,000 updates",
                    "update 100; the decay runs over 1,000 updates", "update 0; the decay runs over 900 updates"],
        "answer": 0,
        "why": "The multiplier is t/W during warmup, so update 100 is the first at 1; the total T includes the warmup "
               "(as in HF transformers and optax), so the cosine is compressed into the remaining T - W = 900 updates.",
    },
    {
        "question": "The Post-LN Transformer in section 1 stays at loss ≈ ln 16 without warmup. What does that loss mean?",
        "choices": ["the model diverged to infinity", "the model predicts every symbol with equal probability",
                    "the model has learned half of the task", "the learning rate is too small to move the weights"],
        "answer": 1,
        "why": "With 16 symbols, a uniform guess has cross-entropy ln 16 ≈ 2.77: the run did not blow up, it got stuck "
               "at chance. Notebook 02 shows what removes the need for warmup there (RAdam, Pre-LN, a lower LR).",
    },
    {
        "question": "An assert in a notebook passes for seeds 0, 1, 2. What makes the claim trustworthy?",
        "choices": ["nothing more is needed: it passed", "it holds with a margin for the typical run (a median or a "
                    "majority) under many seed offsets", "it holds for every single seed ever tried",
                    "the figure looks convincing"],
        "answer": 1,
        "why": "A claim is about what a typical run does. The course asserts medians or paired differences with a "
               "stated margin and checks them under many WARMUP_COURSE_SEED_OFFSET values; claims about every single "
               "seed break on the next unlucky one.",
    },
]
