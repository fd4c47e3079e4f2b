"""Checks for notebook 01 (what is learning-rate warmup, and why does it work?).

1. :func:`check_linear_warmup_lr` -- the learner writes linear warmup as a function of the update index.
2. :func:`check_lr_at_step` -- the learner predicts one learning rate of a warmup with a nonzero start.
3. :func:`check_divergence_cause` -- the learner picks why a run without warmup blew up.

Each knows the typical mistakes (counting updates from 1, dividing by ``W - 1``, returning the multiplier
instead of the learning rate, forgetting to stop at the peak...) and explains them.
"""

from __future__ import annotations

from warmup_course.exercises.core import Verdict, check_choice, check_number, checker, compare_function

__all__ = [
    "check_linear_warmup_lr",
    "check_lr_at_step",
    "check_divergence_cause",
    "linear_warmup_lr_reference",
    "LR_QUESTION",
    "DIVERGENCE_OPTIONS",
]


def linear_warmup_lr_reference(t: int, warmup_steps: int, peak_lr: float) -> float:
    """``peak_lr · min(1, t / W)`` for ``W >= 1`` (the course's ``linear_warmup`` with ``start_factor=0``)."""
    return peak_lr * min(1.0, t / warmup_steps)


# The first updates, mid-warmup, the last warmup update, the end of warmup, after it; several W and peaks.
_INPUTS = [
    (t, w, lr)
    for w, lr in ((10, 0.1), (20, 3.2), (7, 1e-3), (4, 0.5))
    for t in (0, 1, 2, w // 2, w - 1, w, w + 1, 3 * w + 5)
]

_LR_MISTAKES = {
    "updates count from t = 0, and the first update (t = 0) gets learning rate 0: use t, not t + 1":
        lambda t, w, lr: lr * min(1.0, (t + 1) / w),
    "the warmup reaches the peak at t = W (after W updates), so divide by W, not W - 1":
        lambda t, w, lr: lr * min(1.0, t / (w - 1)),
    "the function should return the learning rate, peak_lr times the multiplier min(1, t / W)":
        lambda t, w, lr: min(1.0, t / w),
    "after the warmup the learning rate stays at the peak: clip t / W at 1 (min(1, t / W))":
        lambda t, w, lr: lr * t / w,
    "warmup *raises* the learning rate from 0 to the peak: the multiplier is t / W, not 1 - t / W":
        lambda t, w, lr: lr * max(0.0, 1.0 - t / w),
    "t // W is integer division (0 until t = W, then 1): use t / W":
        lambda t, w, lr: lr * min(1, t // w),
}


@checker
def check_linear_warmup_lr(fn) -> Verdict:
    """The learner's ``fn(t, warmup_steps, peak_lr)``: the learning rate of update ``t`` under linear warmup."""
    return compare_function(
        fn,
        linear_warmup_lr_reference,
        _INPUTS,
        rel=1e-9,
        abs=1e-12,
        wrong=_LR_MISTAKES,
        success="η_t = η · min(1, t / W): 0 at the first update, the peak from update W on.",
    )


#: Exercise 2: the schedule and the update the learner predicts the learning rate for.
LR_QUESTION = {"peak_lr": 3.2, "warmup_steps": 20, "start_factor": 0.1, "t": 10}


def _start_factor_lr(t: float, w: float, start: float, peak: float) -> float:
    return peak * (start + (1.0 - start) * min(1.0, t / w))


@checker
def check_lr_at_step(answer) -> Verdict:
    """``answer``: the learning rate of update ``t = 10`` for ``linear_warmup(20, start_factor=0.1)`` at peak 3.2."""
    q = LR_QUESTION
    t, w, s, peak = q["t"], q["warmup_steps"], q["start_factor"], q["peak_lr"]
    expected = _start_factor_lr(t, w, s, peak)  # 3.2 * (0.1 + 0.9 * 10/20) = 1.76
    wrong = {
        peak * t / w: "that ignores start_factor: the ramp goes from 0.1 × peak to the peak, "
                      "start + (1 - start) · t / W",
        _start_factor_lr(t, w, s, peak) / peak: "that is the multiplier; the question asks for the learning "
                                                "rate (multiply by the peak, 3.2)",
        _start_factor_lr(t + 1, w, s, peak): "that is the learning rate of update 11: updates count from t = 0",
        _start_factor_lr(t, w - 1, s, peak): "the ramp reaches the peak at t = W = 20, so divide by W, not W - 1",
        peak * (s + t / w): "the multiplier is start + (1 - start) · t / W: the ramp covers the remaining "
                            "1 - start, so that it ends exactly at 1",
        peak: "update 10 is still inside the 20-update warmup, so the learning rate is below the peak",
    }
    return check_number(
        answer, expected, rel=1e-4, name="lr_at_step_10", wrong=wrong,
        hint="Use η_t = η · (s + (1 - s) · min(1, t / W)) with η = 3.2, s = 0.1, W = 20, t = 10.",
        success="3.2 · (0.1 + 0.9 · 10/20) = 3.2 · 0.55 = 1.76.",
    )


#: Exercise 3: why did the run without warmup blow up? Each option with the explanation the learner gets.
DIVERGENCE_OPTIONS = {
    "a": "No. A learning rate that is too small makes training slow, not unstable: the loss would fall slowly, "
         "not jump up. Here the same model trains fine at the same peak once it is reached gradually.",
    "b": "Yes. At initialisation the loss is sharply curved: its sharpness λ is far above the stability threshold "
         "(2 + 2β)/η of SGD with momentum β at the full learning rate η. The first full-size updates overshoot, "
         "the loss jumps up and the run either blows up or lands somewhere poor. Warmup keeps η below the "
         "threshold while the network moves to flatter regions where the peak learning rate is safe.",
    "c": "No. A larger batch makes the gradient *less* noisy; noise is not what sends the loss up here (the same "
         "batches train fine with warmup). Large batches call for warmup because they are used with a larger "
         "learning rate (the linear scaling rule).",
    "d": "No. With the learning rate at its peak from the first update, the early updates are the *largest* of "
         "the run relative to the weights, not too small (see the update-to-weight ratio in section 4).",
}


@checker
def check_divergence_cause(answer) -> Verdict:
    """``answer``: one of ``"a"``, ``"b"``, ``"c"``, ``"d"`` (see :data:`DIVERGENCE_OPTIONS`); ``"b"`` is right."""
    return check_choice(answer, "b", DIVERGENCE_OPTIONS, name="answer")
