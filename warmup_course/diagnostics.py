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

import torch
import torch.nn.functional as F
from torch import nn

from warmup_course.validation import check_int as _check_int

__all__ = ["hessian_vector_product", "stability_threshold", "top_hessian_eigenvalue"]



def stability_threshold(lr: float, momentum: float = 0.0) -> float:
    """The largest curvature gradient descent can follow at learning rate ``lr``: ``(2 + 2·momentum) / lr``.

    For plain gradient descent this is ``2/lr``; heavy-ball momentum ``β`` (``torch.optim.SGD(momentum=β)``)
    raises it to ``(2 + 2β)/lr`` (Cohen et al. 2021, https://arxiv.org/abs/2103.00065, appendix). ``lr = 0``
    gives ``inf``.
    """
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr < 0:
        raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
        raise ValueError(f"momentum must be a number in [0, 1), got {momentum!r}")
    return math.inf if lr == 0 else (2.0 + 2.0 * momentum) / lr


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
    out = model(inputs)
    loss = loss_fn(out.flatten(0, -2), targets.flatten()) if out.ndim > 2 else loss_fn(out, targets)
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
    iters = _check_int("iters", iters, 1)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}")
    seed = _check_int("seed", seed, 0)
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
