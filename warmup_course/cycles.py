"""Cyclical, one-cycle and restarting schedules as pure values, equal to torch's own schedulers at every step.

Like everything in :mod:`warmup_course.schedules`, each schedule here maps the update index ``t`` (0 = the first
update) to a multiplier of the peak learning rate, accepts an int, a float or an array of steps, and drives
:class:`warmup_course.scheduler.WarmupLR` unchanged::

    s = one_cycle(total_steps=1000)               # = OneCycleLR(opt, max_lr=lr, total_steps=1000)
    sched = WarmupLR(torch.optim.SGD(params, lr=0.1), s)     # lr_t = 0.1 * s(t)

**Multipliers of the peak.** torch's ``CyclicLR`` and ``OneCycleLR`` take *absolute* learning rates (``base_lr``,
``max_lr``) and overwrite the optimizer's ``lr``. Here the peak is the optimizer's ``lr`` (``WarmupLR``'s base lr)
and everything else is a fraction of it: ``CyclicLR(base_lr=b, max_lr=M)`` is ``cyclical(..., base_factor=b/M)``
with the optimizer's lr set to ``M``; ``OneCycleLR(max_lr=M, div_factor, final_div_factor)`` is ``one_cycle(...)``
with lr ``M``, starting at ``1/div_factor`` and ending at ``1/(div_factor·final_div_factor)``. The values agree with
torch's to rounding (relative error ~1e-16, tested over long runs in ``tests/test_cycles.py``). Momentum, which
both torch schedulers also cycle (opposite to the lr), is not part of a learning-rate schedule.

Sources: Smith 2017, *Cyclical learning rates for training neural networks* (https://arxiv.org/abs/1506.01186);
Smith & Topin 2018, *Super-convergence* (https://arxiv.org/abs/1708.07120); Loshchilov & Hutter 2017, *SGDR*
(https://arxiv.org/abs/1608.03983); torch's ``torch/optim/lr_scheduler.py`` (``CyclicLR``, ``OneCycleLR``,
``CosineAnnealingWarmRestarts``), whose arithmetic the scalar paths below repeat operation for operation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from warmup_course.schedules import Schedule
from warmup_course.validation import MAX_ITEMS, check_bool, check_choice, check_int, check_real

__all__ = ["cyclical", "one_cycle", "cosine_restarts"]


# --------------------------------------------------------------------------------------------- cyclical


class _Cyclical(Schedule):
    _name = "cyclical"

    def __init__(self, step_size_up: int, step_size_down: int, base_factor: float, mode: str, gamma: float) -> None:
        self.step_size_up = step_size_up
        self.step_size_down = step_size_down
        self.base_factor = base_factor
        self.mode = mode
        self.gamma = gamma
        # As CyclicLR.__init__: float sizes, the rising share of a cycle.
        self._total = float(step_size_up) + float(step_size_down)
        self._ratio = float(step_size_up) / self._total

    def _scalar(self, t: float) -> float:
        # CyclicLR.get_lr, with base_lr = base_factor and max_lr = 1.
        cycle = math.floor(1 + t / self._total)
        x = 1.0 + t / self._total - cycle
        if x <= self._ratio:
            scale = x / self._ratio
        else:
            scale = (x - 1) / (self._ratio - 1)
        if self.mode == "triangular":
            amp = 1.0
        elif self.mode == "triangular2":
            amp = 1 / (2.0 ** (cycle - 1))
        else:  # exp_range scales by gamma ** (iterations), not by cycle
            amp = self.gamma**t
        b = self.base_factor
        return b + (1.0 - b) * scale * amp

    def _array(self, t: np.ndarray) -> np.ndarray:
        cycle = np.floor(1 + t / self._total)
        x = 1.0 + t / self._total - cycle
        rising = x <= self._ratio
        scale = np.where(rising, x / self._ratio, (x - 1) / (self._ratio - 1))
        if self.mode == "triangular":
            amp: Any = 1.0
        elif self.mode == "triangular2":
            amp = 1 / (2.0 ** (cycle - 1))
        else:
            amp = self.gamma**t
        b = self.base_factor
        return b + (1.0 - b) * scale * amp

    def _args(self) -> list[tuple[str, Any]]:
        args: list[tuple[str, Any]] = [("step_size_up", self.step_size_up), ("step_size_down", self.step_size_down),
                                       ("base_factor", self.base_factor), ("mode", self.mode)]
        if self.mode == "exp_range":
            args.append(("gamma", self.gamma))
        return args


def cyclical(
    step_size_up: int,
    step_size_down: int | None = None,
    *,
    base_factor: float,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Schedule:
    """Smith's cyclical learning rate (https://arxiv.org/abs/1506.01186), as ``torch.optim.lr_scheduler.CyclicLR``.

    The multiplier climbs linearly from ``b = base_factor`` to 1 over ``step_size_up`` updates, falls back to ``b``
    over ``step_size_down`` (default: the same), and repeats. With ``c = floor(1 + t/L)`` the cycle (from 1),
    ``L`` the cycle length and ``x = 1 + t/L - c`` the position in it (torch's ``get_lr``)::

        scale = x / r            if x <= r  (r = step_size_up / L, the rising share)
              = (x - 1)/(r - 1)  otherwise
        s(t)  = b + (1 - b) · scale · amp,  amp = 1 (triangular), 1/2^(c-1) (triangular2), γ^t (exp_range)

    ``CyclicLR(opt, base_lr=b·M, max_lr=M, ...)`` gives ``M · s(t)``: use ``lr = M`` in the optimizer and
    ``base_factor = base_lr / max_lr`` (torch's lrs are absolute; these are multipliers of the peak). The rising
    half of every cycle is a linear warmup from ``b`` over ``step_size_up`` updates.

    Args:
        step_size_up: updates from the bottom to the peak (torch's default 2000), >= 1.
        step_size_down: updates from the peak back to the bottom, >= 1; None: ``step_size_up``.
        base_factor: ``b = base_lr / max_lr``, the bottom of the cycle, in [0, 1).
        mode: "triangular", "triangular2" (amplitude halves each cycle) or "exp_range" (amplitude × γ^t).
        gamma: γ in (0, 1], used by "exp_range" only.
    """
    up = check_int("step_size_up", step_size_up, 1, MAX_ITEMS)
    down = up if step_size_down is None else check_int("step_size_down", step_size_down, 1, MAX_ITEMS)
    b = check_real("base_factor", base_factor, 0.0, 1.0, high_open=True)
    mode = check_choice("mode", mode, ("triangular", "triangular2", "exp_range"))
    g = check_real("gamma", gamma, 0.0, 1.0, low_open=True)
    return _Cyclical(up, down, b, mode, g)


# --------------------------------------------------------------------------------------------- one-cycle


class _OneCycle(Schedule):
    _name = "one_cycle"

    def __init__(self, total_steps: int, pct_start: float, anneal_strategy: str, div_factor: float,
                 final_div_factor: float, three_phase: bool) -> None:
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.anneal_strategy = anneal_strategy
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.three_phase = three_phase
        initial = 1.0 / div_factor
        final = initial / final_div_factor
        n = total_steps
        # OneCycleLR._schedule_phases: (end_step, start, end); a phase covers (previous end, end].
        if three_phase:
            self._phases = [(float(pct_start * n) - 1, initial, 1.0),
                            (float(2 * pct_start * n) - 2, 1.0, initial),
                            (n - 1, initial, final)]
        else:
            self._phases = [(float(pct_start * n) - 1, initial, 1.0), (n - 1, 1.0, final)]
        self._last = n - 1

    def _anneal(self, start: Any, end: Any, pct: Any, cos: Any) -> Any:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _scalar(self, t: float) -> float:
        t = min(t, self._last)  # held at the end: OneCycleLR refuses to step past total_steps
        start_step = 0.0
        for i, (end_step, lo, hi) in enumerate(self._phases):
            if t <= end_step or i == len(self._phases) - 1:
                return self._anneal(lo, hi, (t - start_step) / (end_step - start_step), math.cos)
            start_step = end_step
        raise AssertionError("unreachable")  # pragma: no cover

    def _array(self, t: np.ndarray) -> np.ndarray:
        t = np.minimum(t, self._last)
        out = np.empty_like(t)
        done = np.zeros(t.shape, dtype=bool)
        start_step = 0.0
        for i, (end_step, lo, hi) in enumerate(self._phases):
            here = ~done if i == len(self._phases) - 1 else (~done & (t <= end_step))
            out[here] = self._anneal(lo, hi, (t[here] - start_step) / (end_step - start_step), np.cos)
            done |= here
            start_step = end_step
        return out

    def _args(self) -> list[tuple[str, Any]]:
        return [("total_steps", self.total_steps), ("pct_start", self.pct_start),
                ("anneal_strategy", self.anneal_strategy), ("div_factor", self.div_factor),
                ("final_div_factor", self.final_div_factor), ("three_phase", self.three_phase)]


def one_cycle(
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """Smith & Topin's one-cycle policy (https://arxiv.org/abs/1708.07120), as ``OneCycleLR``, as a multiplier.

    With ``T = total_steps``, ``p = pct_start``, ``a = 1/div_factor`` and ``z = a/final_div_factor``:
    from ``a`` up to 1 over updates ``0 .. pT - 1``, then down to ``z`` at update ``T - 1`` (cosine or linear
    interpolation, ``anneal_strategy``). With ``three_phase=True``: up over ``pT - 1``, back down to ``a`` by
    ``2pT - 2``, then to ``z`` at ``T - 1`` (fastai's and Smith's original shape). The rising phase is a warmup
    from ``a`` (by default 4 % of the peak) over ``p`` of the run; its cosine version is
    ``a + (1 - a)·½(1 - cos(π·pct))``. Phase boundaries and arithmetic are OneCycleLR's ``get_lr``, so
    ``OneCycleLR(opt, max_lr=M, total_steps=T, ...)`` gives ``M · s(t)`` for ``t = 0 .. T - 1``. Past ``T - 1``
    the multiplier stays at ``z`` (torch raises "Tried to step ... times" after ``T``).

    Args:
        total_steps: T >= 2, the run length in updates.
        pct_start: p in (0, 1), the share of the run spent rising; ``pT`` must exceed 1 (torch divides by zero
            otherwise), and with ``three_phase`` ``2pT - 2 < T - 1``.
        anneal_strategy: "cos" or "linear".
        div_factor: peak / initial lr, >= 1 (torch's default 25).
        final_div_factor: initial / final lr, >= 1 (torch's default 1e4).
        three_phase: rise, fall back to the initial lr, then anneal to the final one.
    """
    n = check_int("total_steps", total_steps, 2, MAX_ITEMS)
    p = check_real("pct_start", pct_start, 0.0, 1.0, low_open=True, high_open=True)
    anneal = check_choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
    div = check_real("div_factor", div_factor, 1.0, 1e12)
    final_div = check_real("final_div_factor", final_div_factor, 1.0, 1e12)
    three = check_bool("three_phase", three_phase)
    if float(p * n) - 1 <= 0:
        raise ValueError(f"pct_start * total_steps must exceed 1 (the rise needs two updates), got {p!r} * {n}")
    if float(p * n) - 1 >= n - 1:
        raise ValueError(f"pct_start must leave at least one update for the descent, got {p!r} with {n} updates")
    if three and not float(p * n) - 1 < float(2 * p * n) - 2 < n - 1:
        raise ValueError(f"pct_start with three_phase needs 1 < pct_start * total_steps < (total_steps + 1) / 2, "
                         f"got {p!r} * {n}")
    return _OneCycle(n, p, anneal, div, final_div, three)


# --------------------------------------------------------------------------------------------- SGDR


class _CosineRestarts(Schedule):
    _name = "cosine_restarts"

    def __init__(self, cycle_steps: int, cycle_mult: int, min_factor: float, rewarmup_steps: int) -> None:
        self.cycle_steps = cycle_steps
        self.cycle_mult = cycle_mult
        self.min_factor = min_factor
        self.rewarmup_steps = rewarmup_steps

    def _cycle_of(self, t: float) -> tuple[int, float, int]:
        """(cycle index, step within it, cycle length): torch's T_cur and T_i after t integer steps."""
        t0, mult = self.cycle_steps, self.cycle_mult
        if mult == 1:
            n = int(t // t0)
            return n, t - n * t0, t0
        n, start, length = 0, 0, t0
        while t >= start + length:  # at most log_mult(t) turns
            start += length
            length *= mult
            n += 1
        return n, t - start, length

    def _value(self, n: Any, cur: Any, length: Any, cos: Any, where: Any) -> Any:
        m, r = self.min_factor, self.rewarmup_steps
        # CosineAnnealingWarmRestarts.get_lr with base_lr = 1, eta_min = m
        plain = m + (1 - m) * (1 + cos(math.pi * cur / length)) / 2
        if r == 0:
            return plain
        ramp = m + (1 - m) * cur / r
        after = m + (1 - m) * (1 + cos(math.pi * (cur - r) / (length - r))) / 2
        return where(n == 0, plain, where(cur < r, ramp, after))

    def _scalar(self, t: float) -> float:
        n, cur, length = self._cycle_of(t)
        return self._value(n, cur, length, math.cos, lambda c, a, b: a if c else b)

    def _array(self, t: np.ndarray) -> np.ndarray:
        t0, mult = self.cycle_steps, self.cycle_mult
        if mult == 1:
            n = np.floor_divide(t, t0)
            cur = t - n * t0
            length = np.full_like(t, float(t0))
        else:
            top = float(t.max()) if t.size else 0.0
            starts = [0]
            lengths = [t0]
            while starts[-1] + lengths[-1] <= top:
                starts.append(starts[-1] + lengths[-1])
                lengths.append(lengths[-1] * mult)
            n = np.searchsorted(np.asarray(starts, dtype=np.float64), t, side="right") - 1
            cur = t - np.asarray(starts, dtype=np.float64)[n]
            length = np.asarray(lengths, dtype=np.float64)[n]
        return np.asarray(self._value(n, cur, length, np.cos, np.where), dtype=np.float64)

    def _args(self) -> list[tuple[str, Any]]:
        args: list[tuple[str, Any]] = [("cycle_steps", self.cycle_steps), ("cycle_mult", self.cycle_mult),
                                       ("min_factor", self.min_factor)]
        if self.rewarmup_steps:
            args.append(("rewarmup_steps", self.rewarmup_steps))
        return args


def cosine_restarts(
    cycle_steps: int, cycle_mult: int = 1, min_factor: float = 0.0, *, rewarmup_steps: int = 0
) -> Schedule:
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017, https://arxiv.org/abs/1608.03983).

    Cycle ``i`` lasts ``T_i = cycle_steps · cycle_mult^i`` updates; inside it, after ``u`` updates,
    ``s = m + (1 - m)·½(1 + cos(π u / T_i))`` with ``m = min_factor``; at a restart ``u`` returns to 0 and the
    multiplier jumps back to 1. Equal to ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=cycle_steps,
    T_mult=cycle_mult, eta_min=m·lr)`` stepped once per update.

    ``rewarmup_steps = R > 0`` replaces the jump at every restart (not the first cycle, which starts at the peak
    as in torch) by a linear re-warmup ``m + (1 - m)·u/R`` over the cycle's first ``R`` updates, followed by the
    half-cosine over the remaining ``T_i - R``; cycles keep their lengths. Re-warming is what continual
    pre-training does when a new stage starts from a decayed checkpoint (Gupta et al. 2023,
    https://arxiv.org/abs/2308.04014; Ibrahim et al. 2024, https://arxiv.org/abs/2403.08763). To warm up the
    first cycle too, put a warmup in front: ``with_warmup(linear_warmup(W), cosine_restarts(...))``.

    Args:
        cycle_steps: T_0 >= 1, the first cycle's length in updates.
        cycle_mult: integer growth factor of the cycle length, >= 1 (torch's T_mult).
        min_factor: m in [0, 1], the bottom of each cycle (torch's ``eta_min / lr``).
        rewarmup_steps: R >= 0, < cycle_steps: re-warmup length at each restart (0: instant restarts, as torch).
    """
    t0 = check_int("cycle_steps", cycle_steps, 1, MAX_ITEMS)
    mult = check_int("cycle_mult", cycle_mult, 1, 1000)
    m = check_real("min_factor", min_factor, 0.0, 1.0)
    r = check_int("rewarmup_steps", rewarmup_steps, 0, MAX_ITEMS)
    if r >= t0:
        raise ValueError(f"rewarmup_steps must be < cycle_steps = {t0} (a cycle must also decay), got {r}")
    return _CosineRestarts(t0, mult, m, r)
