"""Looking inside training: the sharpness of the loss, i.e. the top eigenvalue of its Hessian.

Gradient descent with learning rate ``η`` on a quadratic with curvature ``λ`` is stable only while
``λ < 2/η`` (with heavy-ball momentum ``β``: ``λ < (2 + 2β)/η``). Cohen et al. 2021, "Gradient Descent on
Neural Networks Typically Occurs at the Edge of Stability" (https://arxiv.org/abs/2103.00065), find that the
top Hessian eigenvalue ("sharpness") of a network rises until it reaches that threshold and then hovers
there; Kalra & Barkeshli 2024, "Why Warmup the Learning Rate?" (https://arxiv.org/abs/2406.09405), show that
warmup lets the network move to flatter regions while ``η`` grows, so that a large ``η`` becomes tolerable.

:func:`top_hessian_eigenvalue` estimates the sharpness by the Lanczos iteration on Hessian-vector products,
``Hv = ∂(g·v)/∂θ`` (Pearlmutter 1994, https://doi.org/10.1162/neco.1994.6.1.147), computed by double
backpropagation with :func:`torch.autograd.grad`; the Hessian itself is never formed. It is cheap enough to
call as a ``train(..., probes=...)`` probe every few updates on the course's small models.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from warmup_course.validation import check_int as _check_int
from warmup_course.validation import check_real as _check_real
from warmup_course.validation import check_seed, check_tensor

__all__ = [
    "hessian_vector_product",
    "is_stable_run",
    "normalized_weight_norm",
    "on_evaluations",
    "stability_threshold",
    "top_hessian_eigenvalue",
]

def stability_threshold(lr: float, momentum: float = 0.0) -> float:
    """The largest curvature gradient descent can follow at learning rate ``lr``: ``(2 + 2·momentum) / lr``.

    For plain gradient descent this is ``2/lr``; heavy-ball momentum ``β`` (``torch.optim.SGD(momentum=β)``)
    raises it to ``(2 + 2β)/lr`` (Cohen et al. 2021, https://arxiv.org/abs/2103.00065, appendix). ``lr = 0``
    gives ``inf``.
    """
    lr = _check_real("lr", lr, 0.0)
    momentum = _check_real("momentum", momentum, 0.0, 1.0, high_open=True)
    return math.inf if lr == 0 else (2.0 + 2.0 * momentum) / lr


def normalized_weight_norm(model: nn.Module) -> float:
    """``sqrt(sum_l ||W_l||²)`` over the weights of the layers whose output goes straight into a BatchNorm.

    Such a layer is scale-invariant: BatchNorm divides by the batch's standard deviation, so ``W`` and ``cW``
    (``c > 0``) compute the same function. Its gradient is orthogonal to ``W`` and scales as ``1/||W||``, its
    Hessian as ``1/||W||²`` (Arora, Li & Lyu 2019, https://arxiv.org/abs/1812.03981; van Laarhoven
    2017, https://arxiv.org/abs/1706.05350): a weight norm that grows lowers the sharpness and the effective
    step, ``η/||W||²``. The layers are found in module order: a ``Linear``/``Conv`` followed by a
    ``BatchNorm``. ``0.0`` when the model has none.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    mods = list(model.modules())
    total = 0.0
    norms = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
    for m, nxt in zip(mods, mods[1:]):
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)) and isinstance(nxt, norms):
            total += float(m.weight.detach().double().pow(2).sum())
    return math.sqrt(total)


def is_stable_run(history: Any, *, max_rise: float = 1.2, target: float = 0.1, last: int = 5) -> bool:
    """Notebook 01's stability criterion for one training run.

    ``True`` when the run did not diverge, its training loss never rose above ``max_rise`` times its first
    value, and the mean of its last ``last`` losses is below ``target``:
    ``max_t L_t <= max_rise · L_0`` and ``mean(L_{T-last..T-1}) < target``. ``history`` is a
    :class:`~warmup_course.training.History` (anything with ``diverged`` and a ``loss`` array).
    """
    max_rise = _check_real("max_rise", max_rise, 1.0)
    target = _check_real("target", target, 0.0, low_open=True)
    last = _check_int("last", last, 1, 10**8)
    loss = getattr(history, "loss", None)
    if not hasattr(history, "diverged") or loss is None:
        raise TypeError(f"history must be a History (with .diverged and .loss), got {type(history).__name__}")
    values = np.asarray(loss, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("history must have a non-empty 1-D loss array")
    if bool(history.diverged) or not np.isfinite(values).all():
        return False
    return bool(values.max() <= max_rise * values[0] and values[-last:].mean() < target)


def on_evaluations(probe: Callable[[nn.Module], Any], evaluations: Any) -> Callable[[nn.Module], Any]:
    """A ``train(..., probes=...)`` probe that runs ``probe`` only at the evaluations numbered ``evaluations`` of each
    run (0 = the first) and records ``nan`` at the others: for a costly probe (the sharpness) next to cheap ones,
    whose curve needs fewer points. With ``eval_every=5``, ``{0, 1, 2, 4, 6}`` means updates 0, 5, 10, 20 and 30.

    Every probe call of one run receives the same model object, so the count restarts when a different model is
    probed (``RunConfig`` and ``compare`` build a fresh model per run). The probed values are exactly those of
    ``probe`` itself: ``train`` evaluates under ``torch.no_grad()`` and a probe does not change training.
    """
    if not callable(probe):
        raise TypeError(f"probe must be a callable model -> value, got {type(probe).__name__}")
    if isinstance(evaluations, (str, bytes)) or not hasattr(evaluations, "__iter__"):
        raise TypeError(f"evaluations must be a collection of evaluation indices, got {type(evaluations).__name__}")
    wanted = frozenset(_check_int("evaluations", i, 0, 10**9) for i in evaluations)
    if not wanted:
        raise ValueError("evaluations must not be empty")
    state = {"model": None, "count": 0}

    def sparse(model: nn.Module) -> Any:
        if model is not state["model"]:
            state["model"], state["count"] = model, 0
        index = state["count"]
        state["count"] += 1
        return probe(model) if index in wanted else float("nan")

    return sparse


def _params(model: nn.Module) -> list[nn.Parameter]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")
    return params


class _FrozenBuffers:
    """Restore the model's buffers (BatchNorm running statistics) after forward passes made only to measure."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.saved = [(b, b.detach().clone()) for b in self.model.buffers()]

    def __exit__(self, *exc: Any) -> None:
        with torch.no_grad():
            for buf, value in self.saved:
                buf.copy_(value)


def _gradient(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
              loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> tuple[list[torch.Tensor], list]:
    params = _params(model)
    check_tensor("inputs", inputs, ndim=range(1, 9))
    check_tensor("targets", targets, ndim=range(1, 9))
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (outputs, targets) -> loss, got {type(loss_fn).__name__}")
    if len(inputs) != len(targets):
        raise ValueError(f"inputs and targets must hold the same number of examples, got {len(inputs)} and {len(targets)}")
    try:
        out = model(inputs)
    except (RuntimeError, ValueError, TypeError) as exc:  # shape or dtype mismatch: name the argument
        raise ValueError(f"model cannot take inputs of shape {tuple(inputs.shape)} ({inputs.dtype}): {exc}") from None
    try:
        loss = loss_fn(out.flatten(0, -2), targets.flatten()) if out.ndim > 2 else loss_fn(out, targets)
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        raise ValueError(f"loss_fn cannot compare the model's outputs {tuple(out.shape)} with targets of shape "
                         f"{tuple(targets.shape)} ({targets.dtype}): {exc}") from None
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise TypeError(f"loss_fn must return a scalar tensor, got {type(loss).__name__}")
    if not torch.isfinite(loss):
        raise ValueError(f"the loss at these parameters is not finite ({loss.item()}): no Hessian to measure")
    grads = torch.autograd.grad(loss, params, create_graph=True)
    return list(params), list(grads)


def hessian_vector_product(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    vector: list[torch.Tensor],
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
) -> list[torch.Tensor]:
    """``H v`` for the Hessian ``H`` of ``loss_fn(model(inputs), targets)`` w.r.t. the trainable parameters.

    ``vector`` holds one tensor per trainable parameter (same shapes). The model's buffers (BatchNorm running
    statistics) are left as they were; BatchNorm layers in training mode use the batch's statistics, so this is
    the Hessian of the loss the optimizer sees.
    """
    params = _params(model)
    if not isinstance(vector, (list, tuple)) or not all(isinstance(v, torch.Tensor) for v in vector):
        raise TypeError(f"vector must be a list of tensors (one per trainable parameter), got {type(vector).__name__}")
    if len(vector) != len(params) or any(v.shape != p.shape for v, p in zip(vector, params)):
        raise ValueError("vector must hold one tensor per trainable parameter, with the parameter's shape")
    with _FrozenBuffers(model), torch.enable_grad():
        params, grads = _gradient(model, inputs, targets, loss_fn)
        hv = torch.autograd.grad(grads, params, grad_outputs=vector)
    return [h.detach() for h in hv]


def top_hessian_eigenvalue(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
    iters: int = 30,
    tol: float = 1e-3,
    seed: int = 0,
) -> float:
    """Sharpness: the largest (algebraic) eigenvalue of the loss's Hessian, from Hessian-vector products.

    Runs the Lanczos iteration (Lanczos 1950; Golub & Van Loan, *Matrix Computations*, ch. 10) from a random
    unit vector drawn from a generator seeded with ``seed``, with full re-orthogonalisation, for at most
    ``iters`` products, and returns the largest eigenvalue of the small tridiagonal matrix it builds -- once
    that estimate changes by less than ``tol`` (relative) between iterations. Lanczos is used rather than
    plain power iteration (``v <- Hv/||Hv||``) because at initialisation a network's Hessian has negative
    eigenvalues about as large as its top one, and power iteration then needs hundreds of products to
    separate them; Lanczos pins the top eigenvalue down in a few dozen (measured on the course's BatchNorm MLP at
    initialisation: 10 products agree with 60 to 0.1 %). PyHessian (Yao et al. 2020,
    https://arxiv.org/abs/1912.07145) computes the same Hessian-vector products.

    The graph of the gradient is built once and reused by every product, so the cost is one forward, one
    backward and at most ``iters`` double-backward passes. The model's buffers are restored and its parameters
    are not changed; it runs inside ``torch.no_grad()`` too (e.g. as a ``train(..., probes=...)`` probe).
    """
    iters = _check_int("iters", iters, 1, 10_000)
    tol = _check_real("tol", tol, 0.0)
    seed = check_seed("seed", seed)
    _params(model)
    with _FrozenBuffers(model), torch.enable_grad():
        params, grads = _gradient(model, inputs, targets, loss_fn)
        dtype = torch.float64  # the small Lanczos recurrences lose orthogonality fast in float32

        def hvp(v: torch.Tensor) -> torch.Tensor:
            parts, i = [], 0
            for p in params:
                parts.append(v[i : i + p.numel()].view_as(p).to(p.dtype))
                i += p.numel()
            hv = torch.autograd.grad(grads, params, grad_outputs=parts, retain_graph=True)
            return torch.cat([h.reshape(-1) for h in hv]).to(dtype)

        n = sum(p.numel() for p in params)
        gen = torch.Generator().manual_seed(seed)
        v = torch.randn(n, generator=gen, dtype=dtype).to(params[0].device)
        basis = [v / v.norm()]
        alphas: list[float] = []
        betas: list[float] = []
        estimate = math.nan
        for j in range(min(iters, n)):
            w = hvp(basis[j])
            alphas.append(float(w @ basis[j]))
            q = torch.stack(basis)
            for _ in range(2):  # full re-orthogonalisation, twice ("twice is enough")
                w = w - q.T @ (q @ w)
            if not torch.isfinite(w).all():
                return math.nan
            t = torch.diag(torch.tensor(alphas, dtype=dtype))
            if betas:
                off = torch.tensor(betas, dtype=dtype)
                t = t + torch.diag(off, 1) + torch.diag(off, -1)
            new = float(torch.linalg.eigvalsh(t)[-1])
            beta = float(w.norm())
            if beta <= 1e-10 * max(abs(new), 1e-30) or (
                math.isfinite(estimate) and abs(new - estimate) <= tol * abs(new)
            ):
                return new
            estimate = new
            betas.append(beta)
            basis.append(w / beta)
    return estimate
