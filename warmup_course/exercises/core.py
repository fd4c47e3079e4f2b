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

from warmup_course.validation import check_bool, check_callable, check_mapping, check_real, check_str, describe

__all__ = [
    "Verdict",
    "is_stub",
    "check",
    "checker",
    "compare_function",
    "check_number",
    "check_choice",
    "quiz_problems",
    "load_quiz",
    "check_quiz_answer",
    "render_quiz",
]

_MARKS = {"passed": "✅ Correct", "failed": "❌ Not yet", "todo": "⏳ Not attempted yet"}


@dataclass(frozen=True)
class Verdict:
    """The answer of a check. ``bool(verdict)`` is ``passed``; printing gives one stable line (or a few)."""

    attempted: bool
    passed: bool
    message: str = ""

    def __post_init__(self) -> None:
        check_bool("attempted", self.attempted)
        check_bool("passed", self.passed)
        check_str("message", self.message, nonempty=False)
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


def _check_optional_mapping(name: str, value: Any) -> None:
    if value is not None:
        check_mapping(name, value)


def _describe_exception(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_LIBRARY_DIR = __file__.rsplit("exercises", 1)[0]  # .../warmup_course/


def _raised_in_learner_code(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by code outside this library (the learner's), judged from its traceback.

    The innermost frame that is not numpy's, torch's or the standard library's decides: in
    ``warmup_course`` it is the checker's own failure (e.g. on a NaN answer), not something the learner's
    code raised.
    """
    tb = exc.__traceback__
    last_own: bool | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(_LIBRARY_DIR):
            last_own = False
        elif "site-packages" not in filename and "/lib/python" not in filename and not filename.startswith("<frozen"):
            last_own = True  # a notebook cell, a test file, a learner's module
        tb = tb.tb_next
    return bool(last_own)


def _exception_verdict(exc: BaseException) -> Verdict:
    if _raised_in_learner_code(exc):
        return Verdict.wrong(f"your code raised {_describe_exception(exc)}")
    # The checker could not handle this answer: judge the answer, never accuse the learner's code.
    return Verdict.wrong(
        f"this answer could not be checked ({_describe_exception(exc)}); make sure it returns finite numbers "
        "of the expected kind"
    )


def check(test: Callable[..., Any], answer: Any, *args: Any, **kwargs: Any) -> Verdict:
    """Run ``test(answer, *args, **kwargs)`` so that nothing raises into the notebook.

    - ``answer`` is a stub (:func:`is_stub`) -> not attempted (``test`` is not called);
    - ``test`` returns a :class:`Verdict` -> that verdict; ``True``/``None`` -> correct; ``False`` -> wrong;
      a ``str`` -> correct with that message;
    - ``test`` raises ``AssertionError("hint")`` -> wrong, with the hint;
    - learner code returns ``...`` or raises ``NotImplementedError`` -> not attempted;
    - any other exception -> wrong, naming the exception type and its message.
    """
    check_callable("test", test)
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
    except KeyboardInterrupt:  # the learner pressed stop: let it stop the cell
        raise
    except BaseException as exc:  # noqa: BLE001 - a check must never raise (SystemExit included) into the notebook
        return _exception_verdict(exc)
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
    check_callable("test", test)

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
    except OverflowError:  # an int beyond float range is still a number
        return isinstance(x, numbers.Integral)
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
    # The checker author's arguments are checked first (a mistake there is the checker's bug, raised);
    # the learner's ``fn`` only ever gets a verdict.
    if not callable(reference):
        raise TypeError(f"reference must be callable, got {type(reference).__name__}")
    if isinstance(inputs, (str, bytes, Mapping)) or not isinstance(inputs, Iterable):
        raise TypeError(f"inputs must be a list of argument tuples, dicts or single arguments, got {describe(inputs)}")
    rel = check_real("rel", rel, 0.0)
    abs = check_real("abs", abs, 0.0)  # noqa: A001
    if name is not None:
        check_str("name", name)
    _check_optional_mapping("wrong", wrong)
    check_str("success", success, nonempty=False)
    if is_stub(fn):
        return Verdict.not_attempted()
    if not callable(fn):
        return Verdict.wrong(f"expected a function, got {_fmt(fn)} ({type(fn).__name__})")
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
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - learner code (SystemExit included): report, never raise
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
    expected = check_real("expected", expected)
    rel = check_real("rel", rel, 0.0)
    abs = check_real("abs", abs, 0.0)  # noqa: A001
    check_str("name", name)
    _check_optional_mapping("wrong", wrong)
    check_str("hint", hint, nonempty=False)
    check_str("success", success, nonempty=False)
    if answer is Ellipsis:
        return Verdict.not_attempted(f"replace the ... in `{name} = ...` with your answer, then run this cell again.")
    extra = f" {hint}" if hint else ""
    if isinstance(answer, (bool, np.bool_)) or not _is_number(answer) or np.ndim(answer) != 0:
        return Verdict.wrong(f"{name} should be a number, got {_fmt(answer)} ({type(answer).__name__}).{extra}")
    try:
        value = float(answer)
    except OverflowError:  # an int beyond float range (10**400): a verdict, not a crash
        value = math.inf if answer > 0 else -math.inf
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
    _check_optional_mapping("explanations", explanations)
    check_str("name", name)
    check_str("success", success, nonempty=False)
    if answer is Ellipsis:
        return Verdict.not_attempted(f"set {name} to one of the options (it is still ...), then run this cell again.")

    def norm(x: Any) -> Any:
        return x.strip().lower() if isinstance(x, str) else x

    options = {norm(k): v for k, v in (explanations or {}).items()}
    try:
        hash(answer)
    except TypeError:  # a list or dict cannot be one of the options: a verdict, never an exception
        return Verdict.wrong(f"{name} = {_fmt(answer)} is not one of the options"
                             + (f" {', '.join(map(repr, explanations))}." if explanations else "."))
    if options and norm(answer) not in options:
        return Verdict.wrong(f"{name} = {answer!r} is not one of the options {', '.join(map(repr, explanations))}.")
    why = options.get(norm(answer), "")
    if norm(answer) == norm(expected):
        return Verdict.correct(success or why)
    return Verdict.wrong(f"{name} = {answer!r}" + (f": {why}" if why else " is not the best answer."))


# ---------------------------------------------------------------------------------------------- quizzes
#
# Each ``exercises/nbNN.py`` may define ``QUIZ = [{"question": str, "choices": [str, ...], "answer": int,
# "why": str}, ...]`` -- plain dicts, ``answer`` the 0-based index of the right choice. The instructors' quiz and
# its answer key are rendered from them (``python -m warmup_course quiz``), and a test checks every key with
# :func:`check_quiz_answer`, the same machinery as the exercises.

_QUIZ_KEYS = {"question": str, "choices": list, "answer": int, "why": str}


def quiz_problems(quiz: Any) -> list[str]:
    """What makes ``quiz`` ill-formed (empty list: well-formed): a non-empty list of dicts with exactly the keys
    question (str), choices (list of >= 2 distinct non-empty str), answer (int index into choices), why (str)."""
    if not isinstance(quiz, (list, tuple)) or not quiz:
        return [f"QUIZ must be a non-empty list of questions, got {type(quiz).__name__}"]
    problems = []
    for i, q in enumerate(quiz):
        where = f"question {i}"
        if not isinstance(q, Mapping):
            problems.append(f"{where} is a {type(q).__name__}, not a dict")
            continue
        keys = set(q)
        if keys != set(_QUIZ_KEYS):
            problems.append(f"{where}: keys {sorted(keys)} != {sorted(_QUIZ_KEYS)}")
        for key, kind in _QUIZ_KEYS.items():
            value = q.get(key)
            if key in q and (not isinstance(value, kind) or isinstance(value, bool)):
                problems.append(f"{where}: {key} must be a {kind.__name__}, got {type(value).__name__}")
        if isinstance(q.get("question"), str) and not q["question"].strip():
            problems.append(f"{where}: the question is empty")
        if isinstance(q.get("why"), str) and not q["why"].strip():
            problems.append(f"{where}: 'why' is empty (the key must explain the answer)")
        choices = q.get("choices")
        if isinstance(choices, list):
            if len(choices) < 2:
                problems.append(f"{where}: needs at least 2 choices")
            if not all(isinstance(c, str) and c.strip() for c in choices):
                problems.append(f"{where}: every choice must be a non-empty string")
            elif len({c.strip().lower() for c in choices}) != len(choices):
                problems.append(f"{where}: two choices are the same")
            answer = q.get("answer")
            if isinstance(answer, int) and not isinstance(answer, bool) and not 0 <= answer < len(choices):
                problems.append(f"{where}: answer {answer} is not an index of its {len(choices)} choices")
    return problems


def load_quiz(nb: Any) -> list[dict[str, Any]]:
    """The validated ``QUIZ`` of notebook ``nb`` (``1``, ``"01"`` or ``"nb01"``); ValueError naming what is wrong."""
    import importlib

    if isinstance(nb, bool) or not isinstance(nb, (int, str)):
        raise TypeError(f"nb must be a notebook number such as 1 or '01', got {nb!r}")
    digits = nb[2:] if isinstance(nb, str) and nb.startswith("nb") else nb
    try:
        number = int(digits)
    except ValueError:
        raise ValueError(f"nb must be a notebook number such as 1 or '01', got {nb!r}") from None
    if not 0 <= number <= 99:
        raise ValueError(f"nb must be a notebook number in 0..99, got {nb!r}")
    try:
        module = importlib.import_module(f"warmup_course.exercises.nb{number:02d}")
    except ModuleNotFoundError:
        raise ValueError(f"nb: there is no warmup_course.exercises.nb{number:02d}") from None
    quiz = getattr(module, "QUIZ", None)
    if quiz is None:
        raise ValueError(f"nb: warmup_course.exercises.nb{number:02d} defines no QUIZ")
    problems = quiz_problems(quiz)
    if problems:
        raise ValueError(f"nb{number:02d}.QUIZ is ill-formed: " + "; ".join(problems))
    return list(quiz)


def check_quiz_answer(nb: Any, index: Any, answer: Any) -> Verdict:
    """Check a learner's (or the key's) ``answer`` to question ``index`` of notebook ``nb``'s quiz.

    ``answer`` is the 0-based index of a choice, its letter (``"a"``, ``"B"``) or the choice's text; ``...`` is
    not attempted. The verdict explains with the question's ``why``.
    """
    quiz = load_quiz(nb)
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"index must be an int, got {type(index).__name__}")
    if not 0 <= index < len(quiz):
        raise ValueError(f"index must be in 0..{len(quiz) - 1}, got {index}")
    q = quiz[index]
    letters = "abcdefghijklmnopqrstuvwxyz"
    if answer is Ellipsis:
        return Verdict.not_attempted("set the answer to a choice's letter, then run this cell again.")
    chosen: int | None = None
    if isinstance(answer, (int, np.integer)) and not isinstance(answer, (bool, np.bool_)):
        chosen = int(answer) if 0 <= int(answer) < len(q["choices"]) else None
    elif isinstance(answer, str):
        a = answer.strip().lower().rstrip(").")
        if len(a) == 1 and a in letters[: len(q["choices"])]:
            chosen = letters.index(a)
        else:
            texts = [c.strip().lower() for c in q["choices"]]
            chosen = texts.index(answer.strip().lower()) if answer.strip().lower() in texts else None
    if chosen is None:
        options = ", ".join(letters[i] for i in range(len(q["choices"])))
        return Verdict.wrong(f"{answer!r} is not one of the choices ({options}).")
    if chosen == q["answer"]:
        return Verdict.correct(q["why"])
    # no "why" here: it explains the right answer, and a learner should get another try first
    return Verdict.wrong(f"({letters[chosen]}) is not the best answer; read the question again: {q['question']}")


def render_quiz(quiz: Any, *, key: bool = False, title: str = "") -> str:
    """Markdown for ``quiz``: numbered questions with lettered choices; ``key=True`` adds the answer and why."""
    check_bool("key", key)
    check_str("title", title, nonempty=False)
    problems = quiz_problems(quiz)
    if problems:
        raise ValueError("quiz is ill-formed: " + "; ".join(problems))
    letters = "abcdefghijklmnopqrstuvwxyz"
    lines = [f"### {title}", ""] if title else []
    for i, q in enumerate(quiz, 1):
        lines.append(f"{i}. {q['question']}")
        lines += [f"   - ({letters[j]}) {c}" for j, c in enumerate(q["choices"])]
        if key:
            lines.append(f"   - **Answer: ({letters[q['answer']]})** — {q['why']}")
        lines.append("")
    return "\n".join(lines)
