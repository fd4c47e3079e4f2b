"""Exercise checks for the notebooks: the shared pattern in :mod:`~warmup_course.exercises.core`, one module
per notebook (``nb01``, ``nb02``, ...) with its ``check_*`` functions.

Importing this package is light (numpy only); a notebook imports its own module::

    from warmup_course.exercises import nb01
    nb01.check_linear_warmup(linear_warmup_lr)    # ⏳ / ❌ / ✅ verdict, never an exception
"""

from __future__ import annotations

from warmup_course.exercises.core import (
    Verdict,
    check,
    check_choice,
    check_number,
    checker,
    compare_function,
    is_stub,
)

__all__ = ["Verdict", "check", "check_choice", "check_number", "checker", "compare_function", "is_stub"]
