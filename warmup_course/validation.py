"""Argument checks shared by the library: a bad argument fails early with a message naming it and its value."""

from __future__ import annotations

import numbers
from typing import Any


def check_int(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int if it is an integer (Python or numpy, not bool) ``>= minimum``.

    Raises ``TypeError`` for a non-integer and ``ValueError`` below ``minimum``, both naming ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)
