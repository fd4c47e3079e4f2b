"""Learning-rate schedules as pure functions of the step: warmup shapes, decays, and their composition.

A schedule maps ``t``, the index of the optimizer update about to be applied (``t = 0`` is the very
first update), to a multiplier of the base learning rate. Schedules are values, not stateful objects:

>>> s = warmup_cosine(warmup_steps=100, total_steps=1000)
>>> s(0), s(50), s(100)            # int -> float
(0.0, 0.5, 1.0)
>>> s.values(1000).shape           # same as s(np.arange(1000)), vectorised
(1000,)

The same object draws a plot, drives :class:`warmup_course.scheduler.WarmupLR` and is checked in tests.
This module imports numpy only (no torch).

Step counts and "total steps"
-----------------------------
``W`` is the number of warmup steps, ``T`` the total number of optimizer updates. In this library
**T always includes the warmup** (as in HF transformers and optax). A decay used after a warmup is
given its own length, ``decay_steps = T - W``, and is evaluated at ``t - W`` by :func:`with_warmup`.
(Keras's ``CosineDecay(decay_steps=..., warmup_steps=...)`` counts ``decay_steps`` *after* the warmup;
timm's ``warmup_prefix=True`` does the same, its default ``False`` overlaps warmup and decay.)

Who gives the first update what, by default
-------------------------------------------
Libraries disagree about the multiplier of the first update, which with a short warmup matters:

================================================  ===========================================  =================
library / function                                multiplier at update t (0-indexed)           first update
================================================  ===========================================  =================
HF transformers ``get_*_schedule_with_warmup``    ``t / W``                                    0 (wasted)
pytorch_warmup ``LinearWarmup(warmup_period=τ)``  ``min(1, (t + 1) / τ)`` (evaluates at t+1)    ``1/τ``
pytorch_warmup ``ExponentialWarmup(τ)``           ``1 - exp(-(t + 1) / τ)``                     ``1 - exp(-1/τ)``
torch ``LinearLR(start_factor, total_iters)``     ``s + (1 - s)·min(t, W)/W``, 0 < s <= 1      ``start_factor`` (default 1/3, 0 not allowed)
timm ``*Scheduler(warmup_t, warmup_lr_init)``     ``init + t·(lr - init)/warmup_t``             ``warmup_lr_init/lr`` (default 0); steps per epoch unless ``t_in_epochs=False``
Keras ``CosineDecay(warmup_target, ...)``         ``init + (target - init)·t/W``                ``initial_learning_rate / warmup_target``
this module (default)                             ``s + (1 - s)·min(t, W)/W``, ``s = 0``        0, as HF
this module, ``first_step_nonzero=True``          warmup evaluated at ``t + 1``                 ``1/W`` (linear), as pytorch_warmup
================================================  ===========================================  =================

``first_step_nonzero=True`` shifts any warmup by one step so no update is spent at learning rate 0;
the warmup then reaches 1 at ``t = W - 1`` instead of ``t = W``.

Evaluation and validation
-------------------------
``s(t)`` accepts a non-negative int (-> float), a non-negative finite float (the continuous extension of
the formula, -> float), or a numpy array / list of them (-> float64 array of the same shape). ``t < 0``,
NaN or infinity raise ``ValueError``; bools, strings and other types raise ``TypeError``. Constructors
raise ``TypeError``/``ValueError`` naming the parameter and the offending value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from warmup_course.validation import MAX_ITEMS, describe, check_bool, check_choice, check_int, check_real

__all__ = [
    "Schedule",
    "linear_warmup",
    "exponential_warmup",
    "geometric_warmup",
    "untuned_warmup",
    "radam_warmup",
    "cosine_warmup",
    "constant_warmup",
    "deepspeed_warmup",
    "constant",
    "linear_decay",
    "cosine_decay",
    "inverse_sqrt_decay",
    "polynomial_decay",
    "step_decay",
    "multistep_decay",
    "warmup_stable_decay",
    "with_warmup",
    "warmup_cosine",
    "warmup_linear",
    "warmup_constant",
    "effective_warmup_length",
    "sqrt_decay",
    "product",
    "splice",
]

StepLike = Union[int, float, np.integer, np.floating, np.ndarray, Sequence[float]]


# --------------------------------------------------------------------------- validation helpers


def _check_int(name: str, value: Any, minimum: int = 0) -> int:
    """An int (numpy ints accepted, bools and floats rejected) that is >= minimum (and <= MAX_ITEMS: no
    schedule length or step count beyond it is meaningful, and bounding it keeps every float conversion exact)."""
    return check_int(name, value, minimum, MAX_ITEMS)


_check_real = check_real
_check_bool = check_bool


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    return check_choice(name, value, choices)


def _check_schedule(name: str, value: Any) -> Schedule:
    if not isinstance(value, Schedule):
        raise TypeError(f"{name} must be a Schedule, got {value!r} ({type(value).__name__})")
    return value


def _steps_array(t: Any) -> np.ndarray:
    """Validate an array of steps and return it as float64 (a copy only when needed)."""
    try:
        arr = np.asarray(t)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"step t must be a rectangular array of numbers ({exc})") from None
    kind = arr.dtype.kind
    if kind in "iu":
        if arr.size and arr.min() < 0:
            raise ValueError(f"step t must be >= 0, got {arr.min()!r} in the array")
        return arr.astype(np.float64, copy=False)
    if kind == "f":
        if arr.size:
            if not np.isfinite(arr).all():
                bad = arr[~np.isfinite(arr)][0]
                raise ValueError(f"step t must be finite, got {bad!r} in the array")
            if arr.min() < 0:
                raise ValueError(f"step t must be >= 0, got {arr.min()!r} in the array")
        return arr.astype(np.float64, copy=False)
    raise TypeError(f"step t must hold ints or floats, got an array of dtype {arr.dtype}")


# --------------------------------------------------------------------------- base class

# Python ints above this are not floats (float(10**400) overflows): a step that large is refused by name.
_MAX_STEP = int(np.finfo(np.float64).max)



class Schedule:
    """Base class: a map from update index ``t`` to a learning-rate multiplier.

    Subclasses implement ``_scalar(t)`` (pure Python, for one step: this is the path the torch adapter
    uses on every update, so it avoids numpy overhead) and ``_array(t)`` (numpy, vectorised over a
    float64 array). Both receive validated, non-negative steps. ``_args()`` lists the repr's arguments.
    """

    _name: str = "Schedule"

    def _scalar(self, t: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _array(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _args(self) -> list[tuple[str, Any]]:
        return []

    def __call__(self, t: StepLike) -> Any:
        """Multiplier at step ``t``: int/float -> float, array or list -> float64 array (same shape)."""
        if type(t) is int:  # the hot path: one step from a training loop
            if t < 0 or t > _MAX_STEP:
                if t < 0:
                    raise ValueError(f"step t must be >= 0, got {t!r}")
                raise ValueError(f"step t is too large for a float, got {describe(t)}")
            return self._scalar(t)
        if isinstance(t, (bool, np.bool_, str, bytes)):
            raise TypeError(f"step t must be an int, float or array of them, got {t!r} ({type(t).__name__})")
        if isinstance(t, (int, np.integer)):
            return self(int(t))
        if isinstance(t, (float, np.floating)):
            v = float(t)
            if not math.isfinite(v):
                raise ValueError(f"step t must be finite, got {t!r}")
            if v < 0:
                raise ValueError(f"step t must be >= 0, got {t!r}")
            return self._scalar(v)
        if isinstance(t, (np.ndarray, list, tuple)):
            return self._array(_steps_array(t))
        raise TypeError(f"step t must be an int, float or array of them, got {t!r} ({type(t).__name__})")

    def values(self, n: int) -> np.ndarray:
        """Multipliers for the first ``n`` updates: ``self(np.arange(n))`` as float64 (``n <= MAX_ITEMS``)."""
        n = _check_int("n", n)
        return self._array(np.arange(n, dtype=np.float64))

    def __repr__(self) -> str:
        return f"{self._name}({', '.join(f'{k}={v!r}' for k, v in self._args())})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))


class _Alias(Schedule):
    """A schedule built from others, shown under its own name (e.g. ``untuned_warmup(beta2=0.999)``)."""

    def __init__(self, name: str, args: list[tuple[str, Any]], inner: Schedule) -> None:
        self._name = name
        self._alias_args = args
        self.inner = inner
        # Bind the inner fast paths directly: no extra Python call per step.
        self._scalar = inner._scalar  # type: ignore[method-assign]
        self._array = inner._array  # type: ignore[method-assign]
        if hasattr(inner, "warmup_steps"):
            self.warmup_steps = inner.warmup_steps

    def _args(self) -> list[tuple[str, Any]]:
        return self._alias_args


# --------------------------------------------------------------------------- warmups


class _RampWarmup(Schedule):
    """A warmup over ``W`` updates that ends at exactly 1; a subclass gives its ramp on ``x = u / W`` in [0, 1)."""

    def __init__(self, warmup_steps: int, start_factor: float, first_step_nonzero: bool) -> None:
        self.warmup_steps = warmup_steps
        self.start_factor = start_factor
        self.first_step_nonzero = first_step_nonzero
        self._shift = 1 if first_step_nonzero else 0

    def _ramp(self, x: Any) -> Any:  # float or array, 0 <= x < 1
        raise NotImplementedError

    def _scalar(self, t: float) -> float:
        u = t + self._shift
        w = self.warmup_steps
        if u >= w:
            return 1.0  # exactly 1, also when warmup_steps == 0
        return self._ramp(u / w)

    def _array(self, t: np.ndarray) -> np.ndarray:
        w = self.warmup_steps
        u = t + self._shift
        if w == 0:
            return np.ones_like(u)
        return np.where(u >= w, 1.0, self._ramp(np.minimum(u, w) / w))

    def _args(self) -> list[tuple[str, Any]]:
        args: list[tuple[str, Any]] = [("warmup_steps", self.warmup_steps), ("start_factor", self.start_factor)]
        if self.first_step_nonzero:
            args.append(("first_step_nonzero", True))
        return args


class _LinearWarmup(_RampWarmup):
    _name = "linear_warmup"

    def _ramp(self, x: Any) -> Any:
        s = self.start_factor
        # x·(1-s) + s: same arithmetic as HF's get_wsd_schedule, and exactly u/W when s = 0.
        return x * (1.0 - s) + s


def linear_warmup(warmup_steps: int, start_factor: float = 0.0, *, first_step_nonzero: bool = False) -> Schedule:
    """Linear warmup: ``start + (1 - start) · min(t, W) / W``, then 1 forever.

    With the default ``start_factor=0`` the first update gets multiplier 0, as in HF transformers'
    ``get_linear_schedule_with_warmup`` (https://huggingface.co/docs/transformers/main_classes/optimizer_schedules).
    torch's ``LinearLR(start_factor, total_iters=W)`` is the same formula but requires ``start_factor > 0``.
    ``first_step_nonzero=True`` evaluates at ``t + 1`` (pytorch_warmup's ``LinearWarmup`` convention), so the
    first update gets ``start + (1 - start)/W`` and the multiplier is 1 from ``t = W - 1``.
    ``warmup_steps = 0`` means no warmup (1 from ``t = 0``). There is no total length: this is the warmup alone.

    Args:
        warmup_steps: W >= 0, updates until the multiplier reaches 1.
        start_factor: multiplier of the first update, in [0, 1].
        first_step_nonzero: shift the warmup by one update.
    """
    return _LinearWarmup(
        _check_int("warmup_steps", warmup_steps),
        _check_real("start_factor", start_factor, 0.0, 1.0),
        _check_bool("first_step_nonzero", first_step_nonzero),
    )


class _ExponentialWarmup(Schedule):
    _name = "exponential_warmup"

    def __init__(self, tau: float, first_step_nonzero: bool) -> None:
        self.tau = tau
        self.first_step_nonzero = first_step_nonzero
        self._shift = 1 if first_step_nonzero else 0

    def _scalar(self, t: float) -> float:
        return 1.0 - math.exp(-(t + self._shift) / self.tau)

    def _array(self, t: np.ndarray) -> np.ndarray:
        return 1.0 - np.exp(-(t + self._shift) / self.tau)

    def _args(self) -> list[tuple[str, Any]]:
        args: list[tuple[str, Any]] = [("tau", self.tau)]
        if self.first_step_nonzero:
            args.append(("first_step_nonzero", True))
        return args


def exponential_warmup(tau: float, *, first_step_nonzero: bool = False) -> Schedule:
    """Exponential warmup ``1 - exp(-t / τ)`` (Ma & Yarats 2019, https://arxiv.org/abs/1910.04209).

    It approaches 1 but never reaches it; its effective warmup length is about τ. pytorch_warmup's
    ``ExponentialWarmup(warmup_period=τ)`` evaluates the same formula at ``t + 1`` — use
    ``first_step_nonzero=True`` for that convention (first update gets ``1 - exp(-1/τ)`` instead of 0).
    No total length: this is the warmup alone; cut it with :func:`with_warmup` if a decay follows.

    Args:
        tau: time constant τ > 0, in updates (a float is fine).
        first_step_nonzero: evaluate at ``t + 1``.
    """
    return _ExponentialWarmup(
        _check_real("tau", tau, 0.0, low_open=True),
        _check_bool("first_step_nonzero", first_step_nonzero),
    )


class _GeometricWarmup(_RampWarmup):
    _name = "geometric_warmup"

    def _ramp(self, x: Any) -> Any:
        return self.start_factor ** (1.0 - x)


def geometric_warmup(warmup_steps: int, start_factor: float, *, first_step_nonzero: bool = False) -> Schedule:
    """Geometric warmup ``start_factor ** (1 - min(t, W) / W)``: grows by a constant ratio each update.

    A straight line on a log axis, from ``start_factor`` at ``t = 0`` to exactly 1 at ``t = W``
    (sometimes called "exponential warmup"; not to be confused with :func:`exponential_warmup`).
    ``warmup_steps = 0`` means no warmup. No total length: this is the warmup alone.

    Args:
        warmup_steps: W >= 0.
        start_factor: first multiplier, in (0, 1] (0 is impossible on a log scale).
        first_step_nonzero: evaluate at ``t + 1``.
    """
    return _GeometricWarmup(
        _check_int("warmup_steps", warmup_steps),
        _check_real("start_factor", start_factor, 0.0, 1.0, low_open=True),
        _check_bool("first_step_nonzero", first_step_nonzero),
    )


def _check_beta2(beta2: Any) -> float:
    return _check_real("beta2", beta2, 0.0, 1.0, low_open=True, high_open=True)


def untuned_warmup(beta2: float, shape: str = "linear", *, first_step_nonzero: bool = False) -> Schedule:
    """Ma & Yarats' "untuned" warmup for Adam, derived from β₂ alone (https://arxiv.org/abs/1910.04209).

    - ``shape="linear"``: :func:`linear_warmup` over ``W = round(2 / (1 - β₂))`` updates.
    - ``shape="exponential"``: :func:`exponential_warmup` with ``τ = 1 / (1 - β₂)`` (not rounded).

    Rounding: ``W`` is rounded to the *nearest* integer, so β₂ = 0.999 gives W = 2000. pytorch_warmup's
    ``UntunedLinearWarmup`` truncates ``int(2 / (1 - β₂))``, and because ``1 - 0.999`` is slightly more than
    0.001 in floating point it gets 1999 (and ``int(1/(1-β₂)) = 999`` for its exponential τ). pytorch_warmup
    also evaluates at ``t + 1``; ``first_step_nonzero=True`` reproduces that convention.
    No total length: this is the warmup alone.
    """
    b2 = _check_beta2(beta2)
    shape = _check_choice("shape", shape, ("linear", "exponential"))
    fsn = _check_bool("first_step_nonzero", first_step_nonzero)
    args: list[tuple[str, Any]] = [("beta2", b2), ("shape", shape)]
    if fsn:
        args.append(("first_step_nonzero", True))
    if shape == "linear":
        inner: Schedule = _LinearWarmup(int(math.floor(2.0 / (1.0 - b2) + 0.5)), 0.0, fsn)
    else:
        inner = _ExponentialWarmup(1.0 / (1.0 - b2), fsn)
    return _Alias("untuned_warmup", args, inner)


class _RAdamWarmup(Schedule):
    _name = "radam_warmup"

    def __init__(self, beta2: float) -> None:
        self.beta2 = beta2
        self.rho_inf = 2.0 / (1.0 - beta2) - 1.0
        self._log_b2 = math.log(beta2)
        self._denom = (self.rho_inf - 4.0) * (self.rho_inf - 2.0)

    def _scalar(self, t: float) -> float:
        n = t + 1.0  # Adam's step count is 1 at the first update
        b2n = math.exp(n * self._log_b2)
        # 2·(n·β₂ⁿ), not (2·n)·β₂ⁿ: for n near 1e308, 2·n overflows to inf while β₂ⁿ underflows to 0 (inf·0 = NaN)
        rho = self.rho_inf - 2.0 * (n * b2n) / -math.expm1(n * self._log_b2)
        if rho <= 4.0:
            return 0.0
        return math.sqrt((rho - 4.0) * (rho - 2.0) * self.rho_inf / (self._denom * rho))

    def _array(self, t: np.ndarray) -> np.ndarray:
        n = t + 1.0
        b2n = np.exp(n * self._log_b2)
        rho = self.rho_inf - 2.0 * (n * b2n) / -np.expm1(n * self._log_b2)
        ok = rho > 4.0
        safe = np.where(ok, rho, 5.0)  # keep sqrt's argument positive where the result is discarded
        r = np.sqrt((safe - 4.0) * (safe - 2.0) * self.rho_inf / (self._denom * safe))
        return np.where(ok, r, 0.0)

    def _args(self) -> list[tuple[str, Any]]:
        return [("beta2", self.beta2)]


def radam_warmup(beta2: float) -> Schedule:
    """RAdam's variance rectification term r_t as a multiplier (Liu et al. 2019, https://arxiv.org/abs/1908.03265).

    With n = t + 1 (Adam's 1-based step count), ``ρ_∞ = 2/(1-β₂) - 1``,
    ``ρ_n = ρ_∞ - 2 n β₂ⁿ / (1 - β₂ⁿ)`` and
    ``r_n = sqrt((ρ_n - 4)(ρ_n - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_n))`` while ``ρ_n > 4``, else 0
    (the paper's Algorithm 2; torch.optim.RAdam and the authors' code switch on at ``ρ_n > 5`` instead).
    It rises towards 1 and never quite reaches it: an implicit warmup RAdam applies to the adaptive step,
    plotted here beside explicit warmups. No total length.

    Args:
        beta2: Adam's β₂ in (0, 1); it must exceed 0.6 so that ρ_∞ > 4, otherwise r_t is never defined.
    """
    b2 = _check_beta2(beta2)
    if 2.0 / (1.0 - b2) - 1.0 <= 4.0:
        raise ValueError(f"beta2 must be > 0.6 for RAdam's rectification to switch on (rho_inf > 4), got {beta2!r}")
    return _RAdamWarmup(b2)


class _CosineWarmup(_RampWarmup):
    _name = "cosine_warmup"

    def _ramp(self, x: Any) -> Any:
        s = self.start_factor
        if isinstance(x, np.ndarray):
            return s + (1.0 - s) * 0.5 * (1.0 - np.cos(math.pi * x))
        return s + (1.0 - s) * 0.5 * (1.0 - math.cos(math.pi * x))


def cosine_warmup(warmup_steps: int, start_factor: float = 0.0, *, first_step_nonzero: bool = False) -> Schedule:
    """Cosine warmup ``s + (1 - s) · ½(1 - cos(π min(t, W) / W))``: slow, fast, slow; 1 from ``t = W`` on.

    The warm phase of torch's ``OneCycleLR`` (default ``anneal_strategy="cos"``, from ``max_lr / div_factor``,
    reaching the peak at update ``pct_start · total_steps - 1``), of fastai's ``fit_one_cycle`` (``SchedCos``) and
    of HF's ``get_wsd_schedule(warmup_type="cosine")``. Its effective warmup length is ``(W + 1) / 2`` from
    ``s = 0`` -- exactly that of :func:`linear_warmup` over the same W (``Σ_{t<W} cos(πt/W) = 1``).

    Args:
        warmup_steps: W >= 0 (0: no warmup).
        start_factor: multiplier of the first update, in [0, 1].
        first_step_nonzero: evaluate at ``t + 1``.
    """
    return _CosineWarmup(
        _check_int("warmup_steps", warmup_steps),
        _check_real("start_factor", start_factor, 0.0, 1.0),
        _check_bool("first_step_nonzero", first_step_nonzero),
    )


class _ConstantWarmup(_RampWarmup):
    _name = "constant_warmup"

    def _ramp(self, x: Any) -> Any:
        if isinstance(x, np.ndarray):
            return np.full_like(x, self.start_factor)
        return self.start_factor

    def _args(self) -> list[tuple[str, Any]]:
        return [("warmup_steps", self.warmup_steps), ("factor", self.start_factor)]


def constant_warmup(warmup_steps: int, factor: float) -> Schedule:
    """Constant warmup: ``factor`` for the first W updates, then 1 -- a jump, not a ramp.

    He et al. 2016 (https://arxiv.org/abs/1512.03385, §4.2) trained ResNet-110 at 0.01 until the training error
    fell below 80 % (about 400 iterations), then at 0.1; Goyal et al. 2017 (https://arxiv.org/abs/1706.02677,
    §2.2) used LR η/k for 5 epochs and found that it fails at large k: the jump to η still causes a spike, which
    is why they propose gradual warmup. torch's ``ConstantLR(factor, total_iters=W)`` gives the same multipliers.
    Effective warmup length ``W (1 - factor)``.

    Args:
        warmup_steps: W >= 0 (0: no warmup).
        factor: the multiplier during warmup, in [0, 1].
    """
    return _ConstantWarmup(_check_int("warmup_steps", warmup_steps), _check_real("factor", factor, 0.0, 1.0), False)


class _DeepSpeedWarmup(Schedule):
    _name = "deepspeed_warmup"

    def __init__(self, warmup_num_steps: int, warmup_type: str, min_factor: float) -> None:
        self.warmup_num_steps = warmup_num_steps
        self.warmup_type = warmup_type
        self.min_factor = min_factor
        self._w = max(2, warmup_num_steps)  # WarmupLR.__init__: warmup_num_steps = max(2, warmup_num_steps)
        self._inv_log = 1.0 / math.log(self._w)
        self.warmup_steps = self._w + 1  # the first update at the peak (log reaches it one update earlier)

    def _gamma(self, i: float) -> float:
        if i < 0:
            return 0.0  # get_lr() before the first step(): warmup_min_lr
        if i < self._w:
            return self._inv_log * math.log(i + 1) if self.warmup_type == "log" else i / self._w
        return 1.0

    def _scalar(self, t: float) -> float:
        return self.min_factor + (1.0 - self.min_factor) * self._gamma(t - 1)

    def _array(self, t: np.ndarray) -> np.ndarray:
        i = t - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            ramp = self._inv_log * np.log(np.maximum(i, 0.0) + 1) if self.warmup_type == "log" else i / self._w
        gamma = np.where(i < 0, 0.0, np.where(i < self._w, ramp, 1.0))
        return self.min_factor + (1.0 - self.min_factor) * gamma

    def _args(self) -> list[tuple[str, Any]]:
        return [("warmup_num_steps", self.warmup_num_steps), ("warmup_type", self.warmup_type),
                ("min_factor", self.min_factor)]


def deepspeed_warmup(warmup_num_steps: int, warmup_type: str = "log", min_factor: float = 0.0) -> Schedule:
    """What DeepSpeed's ``WarmupLR`` gives update ``t`` when its engine drives it (a multiplier of ``warmup_max_lr``).

    Source: ``deepspeed/runtime/lr_schedules.py`` (https://github.com/microsoft/DeepSpeed). With
    ``i = last_batch_iteration`` the LR is ``min + (max - min)·γ(i)``, ``γ = ln(i + 1)/ln W`` (``"log"``, the
    default) or ``i / W`` (``"linear"``) while ``i < W``, then 1, where ``W = max(2, warmup_num_steps)``.
    ``__init__`` sets the LR from ``get_lr()`` at ``i = -1``, which returns ``warmup_min_lr``, and the engine calls
    ``lr_scheduler.step()`` *after* ``optimizer.step()`` (``engine.py``, ``_take_model_step``), so update ``t`` runs
    at ``i = t - 1``: updates 0 and 1 both get ``min``; then ``ln(t)/ln W`` (log: 1 from update W) or
    ``(t - 1)/W`` (linear: the peak at update ``W + 1``). On an fp16 overflow the engine skips the scheduler's
    step too, so the schedule counts *applied* updates. ``min_factor = warmup_min_lr / warmup_max_lr``.

    Args:
        warmup_num_steps: DeepSpeed's ``warmup_num_steps`` (>= 1; values below 2 act as 2).
        warmup_type: ``"log"`` or ``"linear"``.
        min_factor: ``warmup_min_lr / warmup_max_lr``, in [0, 1].
    """
    return _DeepSpeedWarmup(
        _check_int("warmup_num_steps", warmup_num_steps, 1),
        _check_choice("warmup_type", warmup_type, ("log", "linear")),
        _check_real("min_factor", min_factor, 0.0, 1.0),
    )


# --------------------------------------------------------------------------- decays (start at 1 at t = 0)


class _Constant(Schedule):
    _name = "constant"

    def _scalar(self, t: float) -> float:
        return 1.0

    def _array(self, t: np.ndarray) -> np.ndarray:
        return np.ones_like(t)


def constant() -> Schedule:
    """Multiplier 1 at every step (HF ``get_constant_schedule``). No length."""
    return _Constant()


class _LinearDecay(Schedule):
    _name = "linear_decay"

    def __init__(self, decay_steps: int, end_factor: float) -> None:
        self.decay_steps = decay_steps
        self.end_factor = end_factor

    def _scalar(self, t: float) -> float:
        d = self.decay_steps
        if t >= d:
            return self.end_factor
        # (D - t)/D: the same arithmetic as HF's (T - step)/(T - W), exactly.
        return ((d - t) / d) * (1.0 - self.end_factor) + self.end_factor

    def _array(self, t: np.ndarray) -> np.ndarray:
        d = self.decay_steps
        e = self.end_factor
        return np.where(t >= d, e, ((d - np.minimum(t, d)) / d) * (1.0 - e) + e)

    def _args(self) -> list[tuple[str, Any]]:
        return [("decay_steps", self.decay_steps), ("end_factor", self.end_factor)]


def linear_decay(decay_steps: int, end_factor: float = 0.0) -> Schedule:
    """Linear decay ``end + (1 - end) · (D - min(t, D)) / D``: 1 at t = 0, ``end_factor`` from t = D on.

    As the decay phase of HF's ``get_linear_schedule_with_warmup``. ``decay_steps`` counts the decay only;
    after a warmup of W steps use ``decay_steps = T - W`` (see :func:`warmup_linear`, whose T includes W).

    Args:
        decay_steps: D > 0.
        end_factor: final multiplier in [0, 1].
    """
    return _LinearDecay(_check_int("decay_steps", decay_steps, 1), _check_real("end_factor", end_factor, 0.0, 1.0))


class _CosineDecay(Schedule):
    _name = "cosine_decay"

    def __init__(self, decay_steps: int, min_factor: float) -> None:
        self.decay_steps = decay_steps
        self.min_factor = min_factor

    def _scalar(self, t: float) -> float:
        d = self.decay_steps
        if t >= d:
            return self.min_factor
        m = self.min_factor
        return 0.5 * (1.0 + math.cos(math.pi * (t / d))) * (1.0 - m) + m

    def _array(self, t: np.ndarray) -> np.ndarray:
        d = self.decay_steps
        m = self.min_factor
        return np.where(t >= d, m, 0.5 * (1.0 + np.cos(math.pi * (np.minimum(t, d) / d))) * (1.0 - m) + m)

    def _args(self) -> list[tuple[str, Any]]:
        return [("decay_steps", self.decay_steps), ("min_factor", self.min_factor)]


def cosine_decay(decay_steps: int, min_factor: float = 0.0) -> Schedule:
    """Half-cosine decay ``m + (1 - m) · ½(1 + cos(π · min(t, D) / D))`` (SGDR, https://arxiv.org/abs/1608.03983).

    1 at t = 0, ``min_factor`` from t = D on (held there; HF's cosine lambda instead rises again past its T,
    torch's ``CosineAnnealingLR`` is periodic). ``decay_steps`` counts the decay only; after a warmup of W
    steps use ``decay_steps = T - W`` (see :func:`warmup_cosine`, whose T includes W).

    Args:
        decay_steps: D > 0.
        min_factor: final multiplier m in [0, 1] (HF's ``min_lr_rate``, torch's ``eta_min / base_lr``).
    """
    return _CosineDecay(_check_int("decay_steps", decay_steps, 1), _check_real("min_factor", min_factor, 0.0, 1.0))


class _InverseSqrtDecay(Schedule):
    _name = "inverse_sqrt_decay"

    def __init__(self, timescale: float) -> None:
        self.timescale = timescale

    def _scalar(self, t: float) -> float:
        return 1.0 / math.sqrt((t + self.timescale) / self.timescale)

    def _array(self, t: np.ndarray) -> np.ndarray:
        return 1.0 / np.sqrt((t + self.timescale) / self.timescale)

    def _args(self) -> list[tuple[str, Any]]:
        return [("timescale", self.timescale)]


def inverse_sqrt_decay(timescale: float) -> Schedule:
    """Inverse square-root decay ``1 / sqrt((t + τ) / τ)`` with timescale τ: 1 at t = 0, no end.

    The Transformer's "Noam" schedule (Vaswani et al. 2017, https://arxiv.org/abs/1706.03762) and fairseq's
    ``inverse_sqrt`` decay ∝ 1/sqrt(step) after the warmup. Used after a warmup of W steps with τ = W, it gives
    ``sqrt(W / t)`` at update t ≥ W — fairseq's ``inverse_sqrt`` (with ``warmup_init_lr=0``) and HF's
    ``get_inverse_sqrt_schedule`` (whose ``timescale`` defaults to W). Unbounded: there is no total length.

    Args:
        timescale: τ > 0, in updates.
    """
    return _InverseSqrtDecay(_check_real("timescale", timescale, 0.0, low_open=True))


class _PolynomialDecay(Schedule):
    _name = "polynomial_decay"

    def __init__(self, decay_steps: int, power: float, end_factor: float) -> None:
        self.decay_steps = decay_steps
        self.power = power
        self.end_factor = end_factor

    def _scalar(self, t: float) -> float:
        d = self.decay_steps
        if t >= d:
            return self.end_factor
        return (1.0 - self.end_factor) * (1.0 - t / d) ** self.power + self.end_factor

    def _array(self, t: np.ndarray) -> np.ndarray:
        d = self.decay_steps
        e = self.end_factor
        return np.where(t >= d, e, (1.0 - e) * (1.0 - np.minimum(t, d) / d) ** self.power + e)

    def _args(self) -> list[tuple[str, Any]]:
        return [("decay_steps", self.decay_steps), ("power", self.power), ("end_factor", self.end_factor)]


def polynomial_decay(decay_steps: int, power: float = 1.0, end_factor: float = 0.0) -> Schedule:
    """Polynomial decay ``end + (1 - end) · (1 - min(t, D) / D) ** power``.

    torch's ``PolynomialLR(total_iters=D, power)`` (end 0) and the decay phase of HF's
    ``get_polynomial_decay_schedule_with_warmup`` (``end = lr_end / lr_init``; HF's ``num_training_steps``
    includes the warmup, so ``D = T - W``). ``power = 1`` is :func:`linear_decay`.

    Args:
        decay_steps: D > 0, the decay only.
        power: exponent > 0.
        end_factor: final multiplier in [0, 1].
    """
    return _PolynomialDecay(
        _check_int("decay_steps", decay_steps, 1),
        _check_real("power", power, 0.0, low_open=True),
        _check_real("end_factor", end_factor, 0.0, 1.0),
    )


class _StepDecay(Schedule):
    _name = "step_decay"

    def __init__(self, step_size: int, gamma: float) -> None:
        self.step_size = step_size
        self.gamma = gamma

    def _scalar(self, t: float) -> float:
        return self.gamma ** (t // self.step_size)

    def _array(self, t: np.ndarray) -> np.ndarray:
        return self.gamma ** np.floor_divide(t, self.step_size)

    def _args(self) -> list[tuple[str, Any]]:
        return [("step_size", self.step_size), ("gamma", self.gamma)]


def step_decay(step_size: int, gamma: float = 0.1) -> Schedule:
    """Step decay ``gamma ** floor(t / step_size)``, as torch's ``StepLR``. Unbounded: no total length.

    Args:
        step_size: updates between drops, > 0.
        gamma: factor per drop, in (0, 1].
    """
    return _StepDecay(_check_int("step_size", step_size, 1), _check_real("gamma", gamma, 0.0, 1.0, low_open=True))


class _CosineRamp(Schedule):
    """Warmup ``½(1 - cos(π p))`` or ``1 - sqrt(1 - p)`` rescaled to start at s (HF get_wsd_schedule shapes).

    Internal: only reachable through :func:`warmup_stable_decay`, which shows its own repr.
    """

    _name = "_curved_warmup"

    def __init__(self, warmup_steps: int, start_factor: float, shape: str, first_step_nonzero: bool) -> None:
        self.warmup_steps = warmup_steps
        self.start_factor = start_factor
        self.shape = shape
        self.first_step_nonzero = first_step_nonzero
        self._shift = 1 if first_step_nonzero else 0

    def _args(self) -> list[tuple[str, Any]]:
        return [("warmup_steps", self.warmup_steps), ("start_factor", self.start_factor), ("shape", self.shape),
                ("first_step_nonzero", self.first_step_nonzero)]

    def _scalar(self, t: float) -> float:
        u = t + self._shift
        w = self.warmup_steps
        if u >= w:
            return 1.0
        p = u / w
        f = 0.5 * (1.0 - math.cos(math.pi * p)) if self.shape == "cosine" else 1.0 - math.sqrt(1.0 - p)
        return f * (1.0 - self.start_factor) + self.start_factor

    def _array(self, t: np.ndarray) -> np.ndarray:
        w = self.warmup_steps
        u = t + self._shift
        if w == 0:
            return np.ones_like(u)
        p = np.minimum(u, w) / w
        f = 0.5 * (1.0 - np.cos(math.pi * p)) if self.shape == "cosine" else 1.0 - np.sqrt(1.0 - p)
        return np.where(u >= w, 1.0, f * (1.0 - self.start_factor) + self.start_factor)


class _SqrtDecay(Schedule):
    """Decay ``1 - sqrt(t / D)`` rescaled to end at m (HF get_wsd_schedule's "1-sqrt", Hägele et al. 2024).

    Internal: only reachable through :func:`warmup_stable_decay`, which shows its own repr.
    """

    _name = "_sqrt_decay"

    def __init__(self, decay_steps: int, min_factor: float) -> None:
        self.decay_steps = decay_steps
        self.min_factor = min_factor

    def _args(self) -> list[tuple[str, Any]]:
        return [("decay_steps", self.decay_steps), ("min_factor", self.min_factor)]

    def _scalar(self, t: float) -> float:
        d = self.decay_steps
        if t >= d:
            return self.min_factor
        return (1.0 - math.sqrt(t / d)) * (1.0 - self.min_factor) + self.min_factor

    def _array(self, t: np.ndarray) -> np.ndarray:
        d = self.decay_steps
        m = self.min_factor
        return np.where(t >= d, m, (1.0 - np.sqrt(np.minimum(t, d) / d)) * (1.0 - m) + m)


# --------------------------------------------------------------------------- composition


class _WithWarmup(Schedule):
    _name = "with_warmup"

    def __init__(self, warmup: Schedule, then: Schedule, warmup_steps: int) -> None:
        self.warmup = warmup
        self.then = then
        self.warmup_steps = warmup_steps
        # Bound once: the per-step path is two attribute-free calls.
        self._w_scalar = warmup._scalar
        self._t_scalar = then._scalar

    def _scalar(self, t: float) -> float:
        w = self.warmup_steps
        if t < w:
            return self._w_scalar(t)
        return self._t_scalar(t - w)

    def _array(self, t: np.ndarray) -> np.ndarray:
        w = self.warmup_steps
        if w == 0:
            return self.then._array(t)
        in_warmup = t < w
        # Both parts see clipped steps (in their own domain); np.where keeps the right one.
        return np.where(in_warmup, self.warmup._array(np.minimum(t, w)), self.then._array(np.maximum(t - w, 0.0)))

    def _args(self) -> list[tuple[str, Any]]:
        return [("warmup", self.warmup), ("then", self.then), ("warmup_steps", self.warmup_steps)]

    def __repr__(self) -> str:
        return f"with_warmup({self.warmup!r}, {self.then!r}, warmup_steps={self.warmup_steps!r})"


def with_warmup(warmup: Schedule, then: Schedule, warmup_steps: int | None = None) -> Schedule:
    """``warmup(t)`` for ``t < W``, then ``then(t - W)``: the one mechanism behind every preset.

    Continuous at ``t = W`` when the warmup has reached 1 there and ``then(0) = 1`` (true for all warmups
    with a ``warmup_steps`` and all decays here). ``then`` is evaluated on its own clock, so a decay after a
    W-step warmup in a T-step run gets ``decay_steps = T - W`` (the total includes the warmup).

    Args:
        warmup: the schedule used during the first W updates.
        then: the schedule that follows, started at 0.
        warmup_steps: W >= 0; defaults to ``warmup.warmup_steps`` when the warmup has one.
    """
    _check_schedule("warmup", warmup)
    _check_schedule("then", then)
    if warmup_steps is None:
        if getattr(warmup, "warmup_steps", None) is None:
            raise ValueError(f"warmup_steps must be given for a warmup without its own length, got None for {warmup!r}")
        warmup_steps = warmup.warmup_steps  # type: ignore[attr-defined]
    return _WithWarmup(warmup, then, _check_int("warmup_steps", warmup_steps))


def _warmup_part(shape: str, warmup_steps: int, start_factor: float, first_step_nonzero: bool) -> Schedule:
    shape = _check_choice("shape", shape, ("linear", "geometric"))
    if shape == "geometric":
        return geometric_warmup(warmup_steps, start_factor, first_step_nonzero=first_step_nonzero)
    return linear_warmup(warmup_steps, start_factor, first_step_nonzero=first_step_nonzero)


def _decay_steps(warmup_steps: Any, total_steps: Any) -> int:
    w = _check_int("warmup_steps", warmup_steps)
    t = _check_int("total_steps", total_steps, 1)
    if t <= w:
        raise ValueError(f"total_steps (which includes warmup) must exceed warmup_steps={w!r}, got total_steps={t!r}")
    return t - w


def warmup_cosine(
    warmup_steps: int,
    total_steps: int,
    min_factor: float = 0.0,
    *,
    shape: str = "linear",
    start_factor: float = 0.0,
    first_step_nonzero: bool = False,
) -> Schedule:
    """Warmup over W updates, then half-cosine to ``min_factor`` at T; **T includes the warmup**.

    With the defaults it equals HF's ``get_cosine_schedule_with_warmup(num_warmup_steps=W,
    num_training_steps=T)`` multiplier at every step 0..T (``min_factor`` = HF's ``min_lr_rate`` of
    ``get_cosine_with_min_lr_schedule_with_warmup``); after T it stays at ``min_factor``.
    ``shape`` is "linear" or "geometric" (the latter needs ``start_factor > 0``).
    """
    return with_warmup(_warmup_part(shape, warmup_steps, start_factor, first_step_nonzero), cosine_decay(_decay_steps(warmup_steps, total_steps), min_factor), warmup_steps)


def warmup_linear(
    warmup_steps: int,
    total_steps: int,
    end_factor: float = 0.0,
    *,
    shape: str = "linear",
    start_factor: float = 0.0,
    first_step_nonzero: bool = False,
) -> Schedule:
    """Warmup over W updates, then linear decay to ``end_factor`` at T; **T includes the warmup**.

    With the defaults it equals HF's ``get_linear_schedule_with_warmup(num_warmup_steps=W,
    num_training_steps=T)`` multiplier at every step. ``shape`` is "linear" or "geometric".
    """
    return with_warmup(_warmup_part(shape, warmup_steps, start_factor, first_step_nonzero), linear_decay(_decay_steps(warmup_steps, total_steps), end_factor), warmup_steps)


def warmup_constant(
    warmup_steps: int, *, shape: str = "linear", start_factor: float = 0.0, first_step_nonzero: bool = False
) -> Schedule:
    """Warmup over W updates, then constant 1 (no total length).

    With the defaults it equals HF's ``get_constant_schedule_with_warmup(num_warmup_steps=W)`` at every step.
    """
    return with_warmup(_warmup_part(shape, warmup_steps, start_factor, first_step_nonzero), constant(), warmup_steps)


def warmup_stable_decay(
    warmup_steps: int,
    decay_steps: int,
    total_steps: int | None = None,
    *,
    stable_steps: int | None = None,
    min_factor: float = 0.0,
    warmup_shape: str = "linear",
    decay_shape: str = "cosine",
    first_step_nonzero: bool = False,
) -> Schedule:
    """Warmup-stable-decay ("trapezoidal", Hägele et al. 2024, https://arxiv.org/abs/2405.18392).

    Warmup from ``min_factor`` to 1 over W updates, hold 1 for S updates, decay to ``min_factor`` over D
    updates, then stay at ``min_factor``. **T includes the warmup**: ``T = W + S + D``. Give either
    ``total_steps`` (then ``S = T - W - D``) or ``stable_steps`` (both only if consistent).
    Conventions follow HF's ``get_wsd_schedule``: same argument order, ``warmup_shape`` in
    {"linear", "cosine", "1-sqrt"}, ``decay_shape`` in {"linear", "cosine", "1-sqrt"}, ``min_factor`` (HF's
    ``min_lr_ratio``) is both the warmup's start and the decay's end; HF's ``num_cycles`` is fixed at 0.5.
    Unlike HF, D must be > 0 and inconsistent W + S + D != T is an error, not a warning.
    """
    w = _check_int("warmup_steps", warmup_steps)
    d = _check_int("decay_steps", decay_steps, 1)
    m = _check_real("min_factor", min_factor, 0.0, 1.0)
    _check_choice("warmup_shape", warmup_shape, ("linear", "cosine", "1-sqrt"))
    _check_choice("decay_shape", decay_shape, ("linear", "cosine", "1-sqrt"))
    fsn = _check_bool("first_step_nonzero", first_step_nonzero)
    if stable_steps is None and total_steps is None:
        raise ValueError("give total_steps or stable_steps, got neither (total_steps=None, stable_steps=None)")
    if stable_steps is None:
        total = _check_int("total_steps", total_steps, 1)
        s = total - w - d
        if s < 0:
            raise ValueError(
                f"total_steps={total!r} must be >= warmup_steps + decay_steps = {w + d} (it includes the warmup)"
            )
    else:
        s = _check_int("stable_steps", stable_steps)
        if total_steps is not None and _check_int("total_steps", total_steps, 1) != w + s + d:
            raise ValueError(
                f"total_steps={total_steps!r} != warmup_steps + stable_steps + decay_steps = {w + s + d}"
            )
    if warmup_shape == "linear":
        up: Schedule = _LinearWarmup(w, m, fsn)
    else:
        up = _CosineRamp(w, m, warmup_shape, fsn)
    if decay_shape == "linear":
        down: Schedule = _LinearDecay(d, m)
    elif decay_shape == "cosine":
        down = _CosineDecay(d, m)
    else:
        down = _SqrtDecay(d, m)
    inner = _WithWarmup(up, _WithWarmup(_Constant(), down, s), w)
    args: list[tuple[str, Any]] = [
        ("warmup_steps", w),
        ("stable_steps", s),
        ("decay_steps", d),
        ("min_factor", m),
        ("warmup_shape", warmup_shape),
        ("decay_shape", decay_shape),
    ]
    if fsn:
        args.append(("first_step_nonzero", True))
    return _Alias("warmup_stable_decay", args, inner)


# --------------------------------------------------------------------------- measures


def effective_warmup_length(schedule: Schedule, n: int) -> float:
    """``Σ_{t<n} (1 - schedule(t))``: Ma & Yarats' effective warmup period (https://arxiv.org/abs/1910.04209).

    Summed over the first ``n`` updates (choose n past the warmup). Linear warmup from 0 over W steps gives
    ``(W + 1) / 2`` here (``(W - 1) / 2`` with ``first_step_nonzero``); exponential warmup gives about τ.
    The paper sums from its 1-based t, i.e. uses the ``first_step_nonzero`` convention.
    """
    _check_schedule("schedule", schedule)
    n = _check_int("n", n)
    return float(np.sum(1.0 - schedule.values(n)))


# --------------------------------------------------------------------------- cooldown and combinators (notebook 06)


def sqrt_decay(decay_steps: int, min_factor: float = 0.0) -> Schedule:
    """The "1 - sqrt" cooldown ``m + (1 - m) · (1 - sqrt(min(t, D) / D))`` (Hägele et al. 2024, arXiv:2405.18392).

    Hägele et al. found this cooldown shape better than a linear one for warmup-stable-decay (WSD) runs; it is HF's
    ``get_wsd_schedule(decay_type="1-sqrt")`` decay phase. It drops fast at first (half the distance to ``m`` is gone
    after a quarter of the decay) and slowly at the end. 1 at t = 0, ``min_factor`` from t = D on.
    A whole WSD run from pieces: ``with_warmup(linear_warmup(W), with_warmup(constant(), sqrt_decay(D), S))`` --
    hold for S updates after the warmup, then cool down -- or :func:`warmup_stable_decay` with
    ``decay_shape="1-sqrt"``.

    Args:
        decay_steps: D >= 1, the cooldown only.
        min_factor: final multiplier m in [0, 1] (HF's ``min_lr_ratio``).
    """
    d = _check_int("decay_steps", decay_steps, 1)
    m = check_real("min_factor", min_factor, 0.0, 1.0)
    return _Alias("sqrt_decay", [("decay_steps", d), ("min_factor", m)], _SqrtDecay(d, m))


class _Product(Schedule):
    _name = "product"

    def __init__(self, factors: list[Any]) -> None:
        self.factors = factors
        self._fns = [f._scalar if isinstance(f, Schedule) else None for f in factors]

    def _scalar(self, t: float) -> float:
        out = 1.0
        for f, fn in zip(self.factors, self._fns):
            out *= f if fn is None else fn(t)
        return out

    def _array(self, t: np.ndarray) -> np.ndarray:
        out = np.ones_like(t)
        for f in self.factors:
            out = out * (f._array(t) if isinstance(f, Schedule) else f)
        return out

    def __repr__(self) -> str:
        return f"product({', '.join(repr(f) for f in self.factors)})"


def product(*factors: Schedule | float) -> Schedule:
    """``s(t) = f_1(t) · f_2(t) · ...``: schedules (and constant numbers) multiplied on the same clock.

    This is what torch's ``ChainedScheduler([LinearLR(...), CosineAnnealingLR(T_max=T)])`` does: the warmup
    multiplies a decay that started at update 0, so the peak 1 is never reached. Shapes built from it: a warmup on
    top of any cycle, ``product(linear_warmup(W), cyclical(...))``; TF Model Garden's ``LinearWarmup``, whose ramp
    ends at the decay's value at W, ``splice(product(linear_warmup(W), decay(W)), decay, W)``.

    Args:
        factors: at least one; each a :class:`Schedule` or a finite number >= 0.
    """
    if not factors:
        raise ValueError("factors must hold at least one Schedule or number, got none")
    checked: list[Any] = []
    for i, f in enumerate(factors):
        if isinstance(f, Schedule):
            checked.append(f)
        else:
            checked.append(check_real(f"factors[{i}]", f, 0.0))
    return _Product(checked)


class _Splice(Schedule):
    _name = "splice"

    def __init__(self, first: Schedule, then: Schedule, at: int) -> None:
        self.first = first
        self.then = then
        self.at = at
        self._f = first._scalar
        self._g = then._scalar

    def _scalar(self, t: float) -> float:
        return self._f(t) if t < self.at else self._g(t)

    def _array(self, t: np.ndarray) -> np.ndarray:
        if self.at == 0:
            return self.then._array(t)
        return np.where(t < self.at, self.first._array(t), self.then._array(t))

    def _args(self) -> list[tuple[str, Any]]:
        return [("first", self.first), ("then", self.then), ("at", self.at)]


def splice(first: Schedule, then: Schedule, at: int) -> Schedule:
    """``first(t)`` for ``t < at``, then ``then(t)`` on the **same** clock (no shift, unlike :func:`with_warmup`).

    The overlapping convention some libraries use: timm's ``CosineLRScheduler(warmup_prefix=False)`` (the default)
    is ``splice(linear_warmup(W), cosine_decay(T), W)`` -- the cosine has already run for W updates when the
    warmup hands over, so the lr falls at ``t = W`` from 1 to ``cosine_decay(T)(W)`` (with ``warmup_prefix=True`` it
    is :func:`with_warmup`). The original BERT ``optimization.py`` switches from its warmup to a polynomial decay
    that started at step 0 the same way.

    Args:
        first: used for ``t < at``.
        then: used from ``t = at`` on, evaluated at ``t``.
        at: the switch, >= 0.
    """
    _check_schedule("first", first)
    _check_schedule("then", then)
    return _Splice(first, then, _check_int("at", at))


class _MultiStepDecay(Schedule):
    _name = "multistep_decay"

    def __init__(self, milestones: tuple[int, ...], gamma: float) -> None:
        self.milestones = milestones
        self.gamma = gamma
        self._edges = np.asarray(milestones, dtype=np.float64)

    def _scalar(self, t: float) -> float:
        return self.gamma ** sum(1 for m in self.milestones if t >= m)

    def _array(self, t: np.ndarray) -> np.ndarray:
        return self.gamma ** np.searchsorted(self._edges, t, side="right").astype(np.float64)

    def _args(self) -> list[tuple[str, Any]]:
        return [("milestones", list(self.milestones)), ("gamma", self.gamma)]


def multistep_decay(milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """``gamma ** (number of milestones <= t)``, as torch's ``MultiStepLR``: drops at chosen updates.

    Goyal et al. 2017's ResNet-50 schedule divides by 10 at epochs 30, 60 and 80; DeepSeek LLM (2024) multiplies
    by 0.316 at 80 % and again at 90 % of the tokens. Unbounded: no total length.

    Args:
        milestones: strictly increasing updates >= 1 at which the factor drops.
        gamma: factor per drop, in (0, 1].
    """
    if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
        raise TypeError(f"milestones must be a sequence of ints, got {describe(milestones)}")
    ms = tuple(check_int(f"milestones[{i}]", m, 1) for i, m in enumerate(milestones))
    if not ms:
        raise ValueError("milestones must not be empty")
    if any(b <= a for a, b in zip(ms, ms[1:])):
        raise ValueError(f"milestones must be strictly increasing, got {list(ms)}")
    return _MultiStepDecay(ms, check_real("gamma", gamma, 0.0, 1.0, low_open=True))
