"""warmup_course.exercises.core: right answers pass, typical wrong ones are explained, stubs are 'not attempted',
and nothing raises into the notebook."""

from __future__ import annotations

import numpy as np
import pytest

from warmup_course import schedules as S
from warmup_course.exercises import Verdict, check, check_choice, check_number, checker, compare_function, is_stub


def reference(t, warmup_steps, peak_lr):
    return peak_lr * min(t, warmup_steps) / warmup_steps


INPUTS = [(t, 10, 0.1) for t in (0, 1, 5, 9, 10, 11, 50)] + [(3, 4, 2.0)]
MISTAKES = {"the first update should get learning rate 0: use t, not t + 1":
            lambda t, w, lr: lr * min(t + 1, w) / w}


@checker
def check_linear_warmup(fn) -> Verdict:
    """The pattern a notebook checker follows (see the core module's docstring)."""
    return compare_function(fn, reference, INPUTS, wrong=MISTAKES, success="it reaches the peak at t = W.")


# ---------------------------------------------------------------------------------------------- Verdict


def test_verdict_text_and_truth():
    ok, bad, todo = Verdict.correct("well done"), Verdict.wrong("t starts at 0"), Verdict.not_attempted()
    assert str(ok) == "✅ Correct — well done" and repr(ok) == str(ok)
    assert str(bad) == "❌ Not yet: t starts at 0"
    assert str(todo).startswith("⏳ Not attempted yet — ")
    assert bool(ok) and not bad and not todo
    assert (ok.attempted, bad.attempted, todo.attempted) == (True, True, False)

    class Printer:
        def __init__(self):
            self.out = ""

        def text(self, s):
            self.out += s

    p = Printer()
    bad._repr_pretty_(p, False)
    assert p.out == str(bad)
    with pytest.raises(ValueError):
        Verdict(attempted=False, passed=True)


# ------------------------------------------------------------------------------------------------ stubs


def stub_ellipsis(t, warmup_steps, peak_lr):
    ...


def stub_doc(t, warmup_steps, peak_lr):
    """Return the learning rate at update t."""
    # your code here
    ...


def stub_pass(t, warmup_steps, peak_lr):
    pass


def stub_raise(t, warmup_steps, peak_lr):
    raise NotImplementedError("write me")


def stub_return_ellipsis(t, warmup_steps, peak_lr):
    return ...


def attempted(t, warmup_steps, peak_lr):
    x = t / warmup_steps
    return ...


@pytest.mark.parametrize("stub", [..., stub_ellipsis, stub_doc, stub_pass, stub_raise, stub_return_ellipsis])
def test_stubs_are_not_attempted(stub):
    assert is_stub(stub)
    v = check_linear_warmup(stub)
    assert not v.attempted and not v.passed and str(v).startswith("⏳ Not attempted yet")


def test_not_a_stub():
    assert not is_stub(reference) and not is_stub(0.5) and not is_stub(None) and not is_stub(attempted)
    assert not is_stub(lambda t: t)


def test_stub_without_source_uses_bytecode():
    ns: dict = {}
    exec("def f(t):\n    ...\ndef g(t):\n    return t\n", ns)  # no source file: inspect.getsource fails
    assert is_stub(ns["f"]) and not is_stub(ns["g"])


def test_returning_ellipsis_or_not_implemented_later_is_not_attempted():
    assert not check_linear_warmup(attempted).attempted
    assert not check_linear_warmup(lambda t, w, lr: ...).attempted

    def half_done(t, warmup_steps, peak_lr):
        if t > 5:
            raise NotImplementedError
        return reference(t, warmup_steps, peak_lr)

    assert not check_linear_warmup(half_done).attempted
    assert not check_linear_warmup().attempted  # called with nothing at all


# ------------------------------------------------------------------------------------- compare_function


def test_right_answers_pass():
    def mine(t, warmup_steps, peak_lr):
        return peak_lr * t / warmup_steps if t < warmup_steps else peak_lr

    v = check_linear_warmup(mine)
    assert v.passed and str(v) == "✅ Correct — it reaches the peak at t = W."
    # The library's own schedule, used as a learner answer, passes too.
    assert check_linear_warmup(lambda t, w, lr: lr * S.linear_warmup(w)(t)).passed
    # Tolerance: a float32-sized error passes.
    assert check_linear_warmup(lambda t, w, lr: float(np.float32(reference(t, w, lr)))).passed


def test_wrong_answer_names_the_first_mismatching_input():
    v = check_linear_warmup(lambda t, warmup_steps, peak_lr: peak_lr * t / warmup_steps)  # never stops at the peak
    assert v.attempted and not v.passed
    assert "for t=11, warmup_steps=10, peak_lr=0.1: expected 0.1, got 0.11" in v.message


def test_typical_mistake_is_explained():
    v = check_linear_warmup(lambda t, w, lr: lr * min(t + 1, w) / w)
    assert not v.passed and v.message.startswith("the first update should get learning rate 0")
    assert "t=0" in v.message


def test_learner_exceptions_become_verdicts():
    v = check_linear_warmup(lambda t, w, lr: lr * t / (w - 10))
    assert not v.passed and v.attempted
    assert v.message == "your function(t=0, warmup_steps=10, peak_lr=0.1) raised ZeroDivisionError: float division by zero"

    def forgot_return(t, warmup_steps, peak_lr):
        peak_lr * min(t, warmup_steps) / warmup_steps

    assert "forget `return`" in check_linear_warmup(forgot_return).message
    assert "expected a number" in check_linear_warmup(lambda t, w, lr: "0.1").message
    assert "expected a function" in check_linear_warmup(0.1).message


def test_arrays_and_keyword_inputs():
    ref = lambda t, w: np.minimum(np.asarray(t) / w, 1.0)  # noqa: E731
    grid = [{"t": np.arange(20), "w": 10}]
    assert compare_function(lambda t, w: np.clip(t / w, 0, 1), ref, grid).passed
    v = compare_function(lambda t, w: t / w, ref, grid)
    assert not v.passed and "expected" in v.message
    v = compare_function(lambda t, w: np.arange(3), ref, grid)
    assert "shape" in v.message
    single = compare_function(lambda x: 2 * x, lambda x: 2 * x, [1, 2.5])  # single-argument inputs
    assert single.passed
    with pytest.raises(ValueError, match="inputs"):
        compare_function(lambda x: x, lambda x: x, [])


# ------------------------------------------------------------------------------------------ check_number


def test_check_number():
    assert check_number(0.03, 0.03).passed
    assert check_number(np.float64(0.0300000001), 0.03, name="lr").passed
    v = check_number(0.031, 0.03, name="lr", wrong={0.031: "that is update 31's LR; updates count from 0"})
    assert str(v) == "❌ Not yet: lr = 0.031: that is update 31's LR; updates count from 0"
    assert "too large" in check_number(0.05, 0.03, hint="Use t / W.").message
    assert "Use t / W." in check_number(0.05, 0.03, hint="Use t / W.").message
    assert "too small" in check_number(0.01, 0.03).message
    assert "should be a number" in check_number("0.03", 0.03).message
    assert "should be a number" in check_number(True, 1.0).message
    assert "not a finite" in check_number(float("nan"), 0.03).message
    assert not check_number(..., 0.03, name="lr_at_30").attempted
    assert check_number(10.4, 10.0, abs=0.5).passed


def test_check_choice():
    options = {"a": "the LR was too small", "b": "the first updates were too large for the random weights"}
    assert check_choice(" B ", "b", options).passed
    v = check_choice("a", "b", options)
    assert not v.passed and "too small" in v.message
    assert "not one of the options" in check_choice("c", "b", options).message
    assert not check_choice(..., "b", options).attempted


# ------------------------------------------------------------------------------------------------ check


def test_check_never_raises_and_reads_results():
    def test(answer):
        assert answer["lr"] > 0, "the learning rate must be positive"
        return answer["lr"] == 1

    assert check(test, {"lr": 1}).passed
    assert check(test, {"lr": 2}).message == "the answer does not pass the check."
    assert check(test, {"lr": -1}).message == "the learning rate must be positive"
    v = check(test, {})
    assert not v.passed and v.message == "your code raised KeyError: 'lr'"
    assert check(lambda a: None, 1).passed and check(lambda a: "fine", 1).message == "fine"
    assert not check(test, ...).attempted
    assert "bug in the checker" in check(lambda a: 42, 1).message


def test_checker_keeps_name_and_doc():
    assert check_linear_warmup.__name__ == "check_linear_warmup"
    assert "pattern" in check_linear_warmup.__doc__
