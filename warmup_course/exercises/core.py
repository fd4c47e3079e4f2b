"""The exercise pattern: a stub the learner fills in, a check that answers with a :class:`Verdict`.

A check never raises into the notebook. An untouched stub gives "not attempted yet" (so CI can execute the
student notebook), an exception in the learner's code becomes a verdict naming the exception, and a wrong
answer gets a message pointing at the first input where it differs -- or, for the typical mistakes the
checker knows, an explanation of that mistake.

Writing a notebook's checkers (``exercises/nb01.py``...) with this module::

    from warmup_course.exercises.core import Verdict, checker, compare_function, check_number

    def _reference(t, warmup_steps, peak_lr):
        return peak_lr * min(t, warmup_steps) / warmup_steps

    @checker
    def check_linear_warmup(fn) -> Verdict:
        \"\"\"The learner's ``fn(t, warmup_steps, peak_lr)``.\"\"\"
        return compare_function(
            fn, _reference,
            [(t, 10, 0.1) for t in (0, 1, 5, 9, 10, 11, 50)] + [(3, 4, 2.0)],
            wrong={"the first update should get learning rate 0: use t, not t + 1":
                   lambda t, w, lr: lr * min(t + 1, w) / w},
            success="linear warmup reaches the peak at t = warmup_steps and stays there.",
        )

    @checker
    def check_lr_at_step(answer) -> Verdict:
        return check_number(answer, 0.03, rel=1e-6, name="lr_at_step_30",
                            wrong={0.031: "that is the LR of update 31; updates count from t = 0"})

In the notebook, the stub cell holds ``def linear_warmup_lr(t, warmup_steps, peak_lr): ...`` (or
``answer = ...``), the check cell ``check_linear_warmup(linear_warmup_lr)`` prints
``⏳ Not attempted yet — ...`` until the learner writes the body, then ``✅ Correct — ...`` or
``❌ Not yet: ...``. Inside a ``@checker`` function, ``assert condition, "hint"`` is a quick way to reject
with a message.
"""

from __future__ import annotations

import ast
import functools
import inspect
import math
import numbers
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Verdict",
    "is_stub",
    "check",
    "checker",
    "compare_function",
    "check_number",
    "check_choice",
]

_MARKS = {"passed": "✅ Correct", "failed": "❌ Not yet", "todo": "⏳ Not attempted yet"}


@dataclass(frozen=True)
class Verdict:
    """The answer of a check. ``bool(verdict)`` is ``passed``; printing gives one stable line (or a few)."""

    attempted: bool
    passed: bool
    message: str = ""

    def __post_init__(self) -> None:
        if self.passed and not self.attempted:
            raise ValueError("a Verdict cannot be passed without being attempted")

    @classmethod
    def correct(cls, message: str = "") -> Verdict:
        return cls(True, True, message)

    @classmethod
    def wrong(cls, message: str) -> Verdict:
        return cls(True, False, message)

    @classmethod
    def not_attempted(cls, message: str = "replace the ... with your answer, then run this cell again.") -> Verdict:
        return cls(False, False, message)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.passed:
            return _MARKS["passed"] + (f" — {self.message}" if self.message else "")
        if not self.attempted:
            return _MARKS["todo"] + (f" — {self.message}" if self.message else "")
        return _MARKS["failed"] + (f": {self.message}" if self.message else "")

    __repr__ = __str__

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython's display of a cell's value
        p.text(str(self))


# --------------------------------------------------------------------------------------------- stubs


def _body_is_placeholder(fn: Callable[..., Any]) -> bool | None:
    """True if the function's body is only a docstring and ``...`` / ``pass`` / ``raise NotImplementedError``;
    None when the source cannot be read."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis:
            continue
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis:
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


def is_stub(answer: Any) -> bool:
    """Whether ``answer`` is an untouched placeholder: ``...`` itself, or a function whose body is only
    ``...``, ``pass``, ``return ...`` or ``raise NotImplementedError`` (plus a docstring or comments).

    A function with any other statement counts as attempted, even if it later returns ``...`` or raises
    ``NotImplementedError`` -- :func:`compare_function` reports those cases as not attempted too.
    """
    if answer is Ellipsis:
        return True
    if inspect.isfunction(answer):
        placeholder = _body_is_placeholder(answer)
        if placeholder is not None:
            return placeholder
        # No source (e.g. exec'd code): `def f(): ...` compiles to the same bytecode as `lambda: None`.
        return answer.__code__.co_code == (lambda: None).__code__.co_code
    return False


# ------------------------------------------------------------------------------------------- running


class _NotAttempted(Exception):
    """Raised inside a check when learner code returned ``...`` or raised NotImplementedError."""


def _describe_exception(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check(test: Callable[..., Any], answer: Any, *args: Any, **kwargs: Any) -> Verdict:
    """Run ``test(answer, *args, **kwargs)`` so that nothing raises into the notebook.

    - ``answer`` is a stub (:func:`is_stub`) -> not attempted (``test`` is not called);
    - ``test`` returns a :class:`Verdict` -> that verdict; ``True``/``None`` -> correct; ``False`` -> wrong;
      a ``str`` -> correct with that message;
    - ``test`` raises ``AssertionError("hint")`` -> wrong, with the hint;
    - learner code returns ``...`` or raises ``NotImplementedError`` -> not attempted;
    - any other exception -> wrong, naming the exception type and its message.
    """
    if is_stub(answer):
        return Verdict.not_attempted()
    try:
        result = test(answer, *args, **kwargs)
    except _NotAttempted as exc:
        return Verdict.not_attempted(str(exc) or Verdict.not_attempted().message)
    except NotImplementedError:
        return Verdict.not_attempted()
    except AssertionError as exc:
        # pytest's assertion rewriting (in test files) appends "\nassert <expr>": keep only the hint.
        hint = str(exc).split("\nassert ", 1)[0].strip()
        return Verdict.wrong(hint or "the answer does not pass the check.")
    except Exception as exc:  # noqa: BLE001 - a check must never raise into the notebook
        return Verdict.wrong(f"your code raised {_describe_exception(exc)}")
    if isinstance(result, Verdict):
        return result
    if result is None or result is True:
        return Verdict.correct()
    if result is False:
        return Verdict.wrong("the answer does not pass the check.")
    if isinstance(result, str):
        return Verdict.correct(result)
    return Verdict.wrong(f"the checker returned {result!r}, not a Verdict (a bug in the checker)")


def checker(test: Callable[..., Any]) -> Callable[..., Verdict]:
    """Decorator: ``test(answer, ...)`` becomes a check that always returns a :class:`Verdict` (see :func:`check`)."""

    @functools.wraps(test)
    def run(answer: Any = ..., *args: Any, **kwargs: Any) -> Verdict:
        return check(test, answer, *args, **kwargs)

    return run


# ---------------------------------------------------------------------------------------- comparisons


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6, threshold=8)
    if isinstance(value, (list, tuple)) and len(value) > 8:
        return repr(type(value)(list(value[:8]))).rstrip(")]") + ", ...]"
    return repr(value)


def _fmt_input(args: tuple, kwargs: dict, names: Sequence[str]) -> str:
    parts = [f"{names[i]}={_fmt(a)}" if i < len(names) else _fmt(a) for i, a in enumerate(args)]
    parts += [f"{k}={_fmt(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _as_call(item: Any) -> tuple[tuple, dict]:
    if isinstance(item, Mapping):
        return (), dict(item)
    if isinstance(item, tuple):
        return item, {}
    return (item,), {}


def _close(got: Any, expected: Any, rel: float, abs_: float) -> bool:
    """Numbers/arrays with tolerance (nan equals nan, shapes must match); anything else with ``==``."""
    if isinstance(expected, (bool, np.bool_)):
        return isinstance(got, (bool, np.bool_)) and bool(got) == bool(expected)
    if isinstance(expected, str) or expected is None:
        return isinstance(got, type(expected)) and got == expected
    try:
        e = np.asarray(expected, dtype=float)
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return bool(got == expected)
    if g.shape != e.shape:
        return False
    return bool(np.allclose(g, e, rtol=rel, atol=abs_, equal_nan=True))


def _kind_problem(got: Any, expected: Any) -> str | None:
    """A message when the learner's value is of the wrong kind (before comparing values)."""
    if got is None and expected is not None:
        return "returned None — did you forget `return`?"
    if isinstance(expected, (numbers.Number, np.number)) and not isinstance(expected, bool):
        if isinstance(got, (str, bytes)) or not (np.ndim(got) == 0 and _is_number(got)):
            return f"returned {_fmt(got)} ({type(got).__name__}), expected a number"
    if isinstance(expected, np.ndarray) and np.shape(got) != expected.shape:
        return f"returned shape {np.shape(got)}, expected shape {expected.shape}"
    return None


def _is_number(x: Any) -> bool:
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return not isinstance(x, (str, bytes))


def compare_function(
    fn: Any,
    reference: Callable[..., Any],
    inputs: Iterable[Any],
    *,
    rel: float = 1e-6,
    abs: float = 1e-9,  # noqa: A002 - mirrors pytest.approx / math.isclose
    name: str | None = None,
    wrong: Mapping[str, Callable[..., Any]] | None = None,
    success: str = "",
) -> Verdict:
    """Compare the learner's ``fn`` with ``reference`` on every input.

    Args:
        fn: the learner's function.
        reference: the right answer, called the same way.
        inputs: each item is a tuple of positional arguments, a dict of keyword arguments, or a single argument.
        rel, abs: tolerances (``numpy.allclose``: ``|got - expected| <= abs + rel·|expected|``); non-numbers
            are compared with ``==``.
        name: how to call the function in messages (default: its ``__name__``).
        wrong: ``{explanation: function}`` for typical mistakes; if ``fn`` agrees with one of them on every
            input, the verdict gives that explanation instead of the first mismatch.
        success: message of the pass verdict.

    Returns a Verdict: not attempted if ``fn`` is a stub or returns ``...``/raises NotImplementedError; wrong
    with the first mismatching input (``for t=0, warmup_steps=10: expected 0, got 0.1``), the learner's
    exception, or a known mistake's explanation; correct otherwise.
    """
    if is_stub(fn):
        return Verdict.not_attempted()
    if not callable(fn):
        return Verdict.wrong(f"expected a function, got {_fmt(fn)} ({type(fn).__name__})")
    if not callable(reference):
        raise TypeError(f"reference must be callable, got {type(reference).__name__}")
    calls = [_as_call(item) for item in inputs]
    if not calls:
        raise ValueError("inputs must not be empty")
    label = name or getattr(fn, "__name__", "")
    if not label.isidentifier():  # a lambda, a functools.partial...
        label = "your function"
    try:
        names = list(inspect.signature(reference).parameters)
    except (TypeError, ValueError):
        names = []
    expected_all = [reference(*a, **k) for a, k in calls]
    first_bad: str | None = None
    got_all = []
    for (a, k), expected in zip(calls, expected_all):
        where = _fmt_input(a, k, names)
        try:
            got = fn(*a, **k)
        except NotImplementedError:
            return Verdict.not_attempted()
        except Exception as exc:  # noqa: BLE001 - learner code: report, never raise
            return Verdict.wrong(f"{label}({where}) raised {_describe_exception(exc)}")
        if got is Ellipsis:
            return Verdict.not_attempted(f"{label} still returns ... — write the body, then run this cell again.")
        got_all.append(got)
        if first_bad is None:
            problem = _kind_problem(got, expected)
            if problem:
                return Verdict.wrong(f"{label}({where}) {problem}")
            if not _close(got, expected, rel, abs):
                first_bad = f"for {where}: expected {_fmt(expected)}, got {_fmt(got)}"
    if first_bad is None:
        return Verdict.correct(success or f"{label} matches the reference on all {len(calls)} inputs.")
    for explanation, mistake in (wrong or {}).items():
        try:
            if all(_close(g, mistake(*a, **k), rel, abs) for g, (a, k) in zip(got_all, calls)):
                return Verdict.wrong(f"{explanation} ({first_bad})")
        except Exception:  # noqa: BLE001 - a mistake model that does not apply to these inputs
            continue
    return Verdict.wrong(first_bad)


def check_number(
    answer: Any,
    expected: float,
    *,
    rel: float = 1e-6,
    abs: float = 0.0,  # noqa: A002 - mirrors pytest.approx / math.isclose
    name: str = "answer",
    wrong: Mapping[float, str] | None = None,
    hint: str = "",
    success: str = "",
) -> Verdict:
    """Check a number: ``|answer - expected| <= max(abs, rel·|expected|)``.

    ``wrong`` maps typical wrong values to an explanation (matched with the same tolerance); ``hint`` is added
    to any other rejection. ``...`` -> not attempted; a string, None or an array -> wrong, saying so.
    """
    if answer is Ellipsis:
        return Verdict.not_attempted(f"replace the ... in `{name} = ...` with your answer, then run this cell again.")
    extra = f" {hint}" if hint else ""
    if isinstance(answer, (bool, np.bool_)) or not _is_number(answer) or np.ndim(answer) != 0:
        return Verdict.wrong(f"{name} should be a number, got {_fmt(answer)} ({type(answer).__name__}).{extra}")
    value = float(answer)
    tol = max(abs, rel * math.fabs(expected))
    if math.isfinite(value) and math.fabs(value - expected) <= tol:
        return Verdict.correct(success or f"{name} = {_fmt(value)}.")
    for bad, explanation in (wrong or {}).items():
        if math.fabs(value - bad) <= max(abs, rel * math.fabs(bad)):
            return Verdict.wrong(f"{name} = {_fmt(value)}: {explanation}")
    direction = "too large" if value > expected else "too small"
    if not math.isfinite(value):
        direction = "not a finite number"
    return Verdict.wrong(f"{name} = {_fmt(value)} is {direction}.{extra}")


def check_choice(
    answer: Any,
    expected: Any,
    explanations: Mapping[Any, str] | None = None,
    *,
    name: str = "answer",
    success: str = "",
) -> Verdict:
    """Multiple choice: ``answer == expected`` (strings compared case- and space-insensitively).

    ``explanations`` maps each option to why it is right or wrong; it also lists the valid options, so an
    answer outside them is told what the options are.
    """
    if answer is Ellipsis:
        return Verdict.not_attempted(f"set {name} to one of the options (it is still ...), then run this cell again.")

    def norm(x: Any) -> Any:
        return x.strip().lower() if isinstance(x, str) else x

    options = {norm(k): v for k, v in (explanations or {}).items()}
    if options and norm(answer) not in options:
        return Verdict.wrong(f"{name} = {answer!r} is not one of the options {', '.join(map(repr, explanations))}.")
    why = options.get(norm(answer), "")
    if norm(answer) == norm(expected):
        return Verdict.correct(success or why)
    return Verdict.wrong(f"{name} = {answer!r}" + (f": {why}" if why else " is not the best answer."))
