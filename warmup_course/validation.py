"""The library's one validation vocabulary: a bad argument fails early, with a message naming it and its value.

Every public function checks its arguments with these helpers, so the same kind of mistake gets the same kind of
error everywhere: ``TypeError`` for the wrong kind of value, ``ValueError`` for a value out of range, and the
parameter's name first in the message. Numpy-only (no torch import): ``check_tensor`` duck-types torch tensors, so
``schedules`` and ``audit`` can use this module too.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "MAX_ITEMS",
    "MAX_SEED",
    "check_array",
    "check_bool",
    "check_callable",
    "check_choice",
    "check_int",
    "check_mapping",
    "check_real",
    "check_seed",
    "check_str",
    "check_tensor",
    "describe",
]

# The largest count (steps, items, updates) any function accepts: larger requests are refused up front rather than
# ending in a MemoryError or a cell that never returns.
MAX_ITEMS = 10**8


def describe(value: Any) -> str:
    """``value``'s repr, cut to 80 characters, and its type: what an error message shows."""
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int if it is an integer (Python or numpy, not bool) in ``[minimum, maximum]``.

    Raises ``TypeError`` for a non-integer and ``ValueError`` outside the bounds, both naming ``name``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {v}")
    return v


#: Seeds are refused from 2**63 on: torch.manual_seed and numpy's generators take at most a 64-bit value, and
#: ``seed + offset`` must stay below that too.
MAX_SEED = 2**63 - 1


def check_seed(name: str, value: Any) -> int:
    """``value`` as an int seed in ``[0, 2**63 - 1]`` (larger values overflow torch's and numpy's generators)."""
    return check_int(name, value, 0, MAX_SEED)


def check_real(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """``value`` as a float if it is a real number (bools rejected) in ``[low, high]`` (ends open when asked).

    NaN is always refused; ±inf only with ``allow_inf=True``. Integers too large for a float (``10**400``) are a
    ``ValueError`` naming ``name``, not an ``OverflowError``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    try:
        v = float(value)
    except OverflowError:
        raise ValueError(f"{name} is too large for a float, got {describe(value)}") from None
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {value!r}")
    too_low = v <= low if low_open else v < low
    too_high = v >= high if high_open else v > high
    if too_low or too_high:
        lb = "(" if low_open else "["
        hb = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {lb}{low:g}, {high:g}{hb}, got {value!r}")
    return v


def check_bool(name: str, value: Any) -> bool:
    """``value`` if it is ``True`` or ``False`` (numpy bools too): a flag is never "any truthy value"."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices`` (compared by equality; a list or other unhashable value is refused)."""
    try:
        ok = any(type(value) is type(c) and value == c for c in choices)
    except Exception:  # an object whose __eq__ raises is not a choice either
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {list(choices)!r}, got {describe(value)}")
    return value


def check_str(name: str, value: Any, *, nonempty: bool = True) -> str:
    """``value`` if it is a string (non-empty unless ``nonempty=False``)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {describe(value)}")
    if nonempty and not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


def check_mapping(name: str, value: Any, *, keys: Sequence[str] | None = None) -> Mapping:
    """``value`` if it is a mapping; with ``keys``, each of them must be present (the first missing one is named)."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping (dict), got {describe(value)}")
    for key in keys or ():
        if key not in value:
            raise ValueError(f"{name} is missing the key {key!r} (it has {sorted(map(str, value))})")
    return value


def check_callable(name: str, value: Any) -> Callable:
    """``value`` if it can be called."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {describe(value)}")
    return value


def check_array(
    name: str,
    value: Any,
    *,
    ndim: int | None = 1,
    finite: bool = False,
    nonempty: bool = False,
    minimum: float | None = None,
) -> np.ndarray:
    """``value`` as a float64 numpy array of ``ndim`` dimensions (any with ``ndim=None``).

    Ragged lists, strings, objects and complex numbers are a ``TypeError``/``ValueError`` naming ``name``.
    ``finite`` refuses NaN and ±inf, ``nonempty`` an empty array, ``minimum`` values below it.
    """
    if isinstance(value, (str, bytes, Mapping)) or value is None:
        raise TypeError(f"{name} must be an array of numbers, got {describe(value)}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers ({exc})") from None
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if nonempty and arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if finite and arr.size and not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr.ravel()))[0])
        raise ValueError(f"{name} must be finite, got {arr.ravel()[bad]!r} at index {bad}")
    if minimum is not None and arr.size and np.nanmin(arr) < minimum:
        raise ValueError(f"{name} must be >= {minimum:g}, got {np.nanmin(arr)!r}")
    return arr


def check_tensor(
    name: str,
    value: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    floating: bool | None = None,
) -> Any:
    """``value`` if it is a torch tensor with ``ndim`` dimensions (one of them, given several) and, with
    ``floating=True``/``False``, a floating-point / integer dtype. Duck-typed, so this module imports no torch."""
    if type(value).__module__.split(".")[0] != "torch" or not hasattr(value, "dim"):
        raise TypeError(f"{name} must be a torch.Tensor, got {describe(value)}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if value.dim() not in allowed:
            want = allowed[0] if len(allowed) == 1 else f"one of {list(allowed)}"
            raise ValueError(f"{name} must have {want} dimensions, got shape {tuple(value.shape)}")
    if floating is not None and bool(value.is_floating_point()) != floating:
        kind = "a floating-point" if floating else "an integer"
        raise TypeError(f"{name} must have {kind} dtype, got {value.dtype}")
    return value
