"""Explicit seeds for everything random in the course.

Every seed the library and the notebooks use comes from here, shifted by the environment variable
``WARMUP_COURSE_SEED_OFFSET`` (default 0). A maintainer checks that the notebooks' asserted claims are not an
accident of the seeds with::

    WARMUP_COURSE_SEED_OFFSET=1000 make test-lax
"""

from __future__ import annotations

import os

from warmup_course.validation import MAX_SEED, check_int

__all__ = ["SEED_OFFSET_ENV", "seed", "seed_offset", "seeds"]

SEED_OFFSET_ENV = "WARMUP_COURSE_SEED_OFFSET"
#: The most seeds one call hands out (a notebook uses a handful; a robustness scan a few hundred).
MAX_SEEDS = 10**6


def seed_offset() -> int:
    """The offset added to every seed: ``int($WARMUP_COURSE_SEED_OFFSET)``, 0 when unset or empty."""
    raw = os.environ.get(SEED_OFFSET_ENV, "").strip()
    if not raw:
        return 0
    try:
        offset = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_OFFSET_ENV} must be an integer, got {raw!r}") from None
    if not 0 <= offset <= MAX_SEED // 2:
        raise ValueError(f"{SEED_OFFSET_ENV} must be in [0, {MAX_SEED // 2}], got {offset}")
    return offset


def seed(base: int) -> int:
    """The seed to use for ``base``: ``base + seed_offset()``."""
    # base + offset must stay a valid seed (< 2**63) for torch.manual_seed and numpy
    base = check_int("base", base, 0, MAX_SEED // 2)
    return base + seed_offset()


def seeds(n: int, base: int = 0) -> list[int]:
    """``n`` consecutive seeds starting at ``seed(base)``: ``[seed(base), ..., seed(base + n - 1)]``."""
    n = check_int("n", n, 1, MAX_SEEDS)
    base = check_int("base", base, 0, MAX_SEED // 2 - n)
    return [seed(base + i) for i in range(n)]
