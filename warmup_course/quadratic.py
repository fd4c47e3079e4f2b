"""Gradient descent on a one-dimensional quadratic: the edge of stability in miniature (numpy only).

On ``L(x) = ½ λ x²`` the gradient is ``λ x``, so one step of gradient descent with learning rate ``η`` multiplies
``x`` by ``1 - ηλ``: it shrinks only while ``0 < ηλ < 2``. With heavy-ball momentum ``β`` as in
``torch.optim.SGD(momentum=β)`` (``v_t = β v_{t-1} + g_t``, ``x_{t+1} = x_t - η v_t``, the first ``v`` being the
first gradient) the pair ``(x_t, x_{t-1})`` evolves by a 2×2 matrix whose eigenvalues are the roots of
``z² - (1 + β - ηλ) z + β = 0``; both lie inside the unit circle exactly while ``0 < ηλ < 2 + 2β``
(Polyak 1964; Goh 2017, "Why Momentum Really Works", https://distill.pub/2017/momentum/). For a network, ``λ`` is
the sharpness (the top eigenvalue of the Hessian of the loss) and ``(2 + 2β)/η`` the *edge of stability*
(Cohen et al. 2021, https://arxiv.org/abs/2103.00065).

:func:`quadratic_descent` runs that recursion with a learning rate and a curvature that may change from update
to update (a warmup; a curvature that decays as training moves to flatter regions); :func:`growth_factor` is
the factor by which one update multiplies the distance from the minimum, asymptotically; and
:func:`decaying_curvature` is a curvature that relaxes exponentially from ``λ₀`` to ``λ_∞``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from warmup_course.validation import MAX_ITEMS, check_int, check_real

__all__ = ["QuadraticRun", "decaying_curvature", "growth_factor", "quadratic_descent"]

PerStep = Union[float, Callable[[int], float], np.ndarray]


@dataclass(frozen=True)
class QuadraticRun:
    """One run of :func:`quadratic_descent`: ``x[t]`` and ``loss[t] = ½ λ_t x_t²`` before update ``t``
    (``t = 0 .. steps``; the last entry uses the last update's curvature), and the ``lr[t]``, ``curvature[t]``
    used by update ``t`` (``t = 0 .. steps - 1``)."""

    x: np.ndarray
    loss: np.ndarray
    lr: np.ndarray
    curvature: np.ndarray

    @property
    def sharpness_times_lr(self) -> np.ndarray:
        """``η_t λ_t`` per update: the quantity to compare with ``2`` (or ``2 + 2β`` with momentum)."""
        return self.lr * self.curvature


def _per_step(name: str, value: Any, steps: int, low: float) -> np.ndarray:
    """A float, a callable ``t -> float`` or an array of length ``steps``, as an array of finite values >= low."""
    if callable(value):
        out = np.empty(steps)
        for t in range(steps):
            out[t] = check_real(f"{name}({t})", value(t), low)
        return out
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, a callable t -> number or an array, got {value!r}")
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value)
        if arr.dtype == object or arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        arr = arr.astype(float)
        if arr.ndim != 1 or arr.size != steps:
            raise ValueError(f"{name} must have one value per update ({steps}), got shape {arr.shape}")
        if not np.isfinite(arr).all() or (arr < low).any():
            raise ValueError(f"{name} must hold finite values >= {low:g}")
        return arr
    return np.full(steps, check_real(name, value, low))


def quadratic_descent(
    curvature: PerStep,
    lr: PerStep,
    steps: int,
    *,
    momentum: float = 0.0,
    x0: float = 1.0,
) -> QuadraticRun:
    """Heavy-ball gradient descent on ``L_t(x) = ½ λ_t x²``, written as ``torch.optim.SGD`` does it.

    ``g_t = λ_t x_t``; ``v_0 = g_0``, ``v_t = β v_{t-1} + g_t``; ``x_{t+1} = x_t - η_t v_t``. ``curvature`` (λ)
    and ``lr`` (η) are each a number, a callable ``t -> number`` (e.g. ``peak * linear_warmup(W)``) or an array
    with one value per update. Values that overflow become ``inf``/``nan``: a diverging run is recorded, never
    raised.
    """
    steps = check_int("steps", steps, 1, MAX_ITEMS // 100)
    momentum = check_real("momentum", momentum, 0.0, 1.0, high_open=True)
    x0 = check_real("x0", x0)
    lam = _per_step("curvature", curvature, steps, 0.0)
    eta = _per_step("lr", lr, steps, 0.0)
    x = np.empty(steps + 1)
    x[0] = x0
    v = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            g = lam[t] * x[t]
            v = g if t == 0 else momentum * v + g
            x[t + 1] = x[t] - eta[t] * v
        lam_for_loss = np.append(lam, lam[-1])
        loss = 0.5 * lam_for_loss * x**2
    return QuadraticRun(x=x, loss=loss, lr=eta, curvature=lam)


def growth_factor(lr: float, curvature: float, momentum: float = 0.0) -> float:
    """The asymptotic factor by which one update multiplies ``|x|`` at fixed ``η`` and ``λ``.

    The largest modulus of the roots of ``z² - (1 + β - ηλ) z + β`` (for ``β = 0``: ``|1 - ηλ|``). It is below 1
    exactly while ``0 < ηλ < 2 + 2β``: the edge of stability.
    """
    lr = check_real("lr", lr, 0.0)
    curvature = check_real("curvature", curvature, 0.0)
    momentum = check_real("momentum", momentum, 0.0, 1.0, high_open=True)
    a = 1.0 + momentum - lr * curvature
    if momentum == 0.0:
        return abs(a)
    roots = np.roots([1.0, -a, momentum])
    return float(np.max(np.abs(roots)))


def decaying_curvature(lam0: float, lam_end: float, tau: float, steps: int) -> np.ndarray:
    """``λ_t = λ_∞ + (λ₀ - λ_∞) · exp(-t/τ)`` for ``t = 0 .. steps - 1``: a sharp start that relaxes.

    A stand-in for a network whose sharpness falls during the first updates (Gilmer et al. 2021,
    https://arxiv.org/abs/2110.04369; Kalra & Barkeshli 2024, https://arxiv.org/abs/2406.09405). Here the decay
    is given from outside; in a network it is driven by the updates themselves.
    """
    lam0 = check_real("lam0", lam0, 0.0)
    lam_end = check_real("lam_end", lam_end, 0.0)
    tau = check_real("tau", tau, 0.0, low_open=True)
    steps = check_int("steps", steps, 1, MAX_ITEMS // 100)
    t = np.arange(steps, dtype=float)
    return lam_end + (lam0 - lam_end) * np.exp(-t / tau)
