"""Explicit seeds for everything random in the course.

Every seed the library and the notebooks use comes from here, shifted by the environment variable
``WARMUP_COURSE_SEED_OFFSET`` (default 0). A maintainer checks that the notebooks' asserted claims are not an
accident of the seeds with::

    WARMUP_COURSE_SEED_OFFSET=1000 make test-lax
"""

from __future__ import annotations

import os

SEED_OFFSET_ENV = "WARMUP_COURSE_SEED_OFFSET"


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    return value


def seed_offset() -> int:
    """The offset added to every seed: ``int($WARMUP_COURSE_SEED_OFFSET)``, 0 when unset or empty."""
    raw = os.environ.get(SEED_OFFSET_ENV, "").strip()
    if not raw:
        return 0
    try:
        offset = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_OFFSET_ENV} must be an integer, got {raw!r}") from None
    if offset < 0:
        raise ValueError(f"{SEED_OFFSET_ENV} must be >= 0, got {offset}")
    return offset


def seed(base: int) -> int:
    """The seed to use for ``base``: ``base + seed_offset()``."""
    base = _check_int("base", base)
    if base < 0:
        raise ValueError(f"base must be >= 0, got {base}")
    return base + seed_offset()


def seeds(n: int, base: int = 0) -> list[int]:
    """``n`` consecutive seeds starting at ``seed(base)``: ``[seed(base), ..., seed(base + n - 1)]``."""
    n = _check_int("n", n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return [seed(base + i) for i in range(n)]
