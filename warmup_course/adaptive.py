"""Warmup that sets itself from training feedback: torch ``LRScheduler`` controllers, a critical-LR probe, GI-Adam.

Every controller follows torch's conventions, so it drops into any loop::

    opt = torch.optim.SGD(model.parameters(), lr=3.2, momentum=0.9)   # the optimizer's lr is the TARGET (peak)
    sched = UpdateSizeWarmup(opt, target_ratio=0.2)                   # starts at start_factor x target
    for x, y in batches:
        loss = loss_fn(model(x), y); opt.zero_grad(); loss.backward(); opt.step()
        sched.step()            # LossGapWarmup / SpikeGuard: sched.step(loss), as ReduceLROnPlateau

* The **target** (peak) learning rate of each param group is the optimizer's ``lr`` when the controller is built;
  the controller sets ``lr = target x factor`` with one factor for all groups, ``factor <= 1``.
* Once warmup is over (the factor reached 1, or the loss gap passed its peak), a controller built with
  ``then=<Schedule>`` hands over to that course schedule (:mod:`warmup_course.schedules`) for the decay:
  ``lr = target x then(t - t_handover)``.
* ``state_dict()`` holds plain numbers only (``torch.load(weights_only=True)`` reads it); ``load_state_dict``
  treats a checkpoint as untrusted input (keys, types, ranges checked) and re-applies the restored learning rate,
  so resuming mid-warmup is bit-exact.

Controllers (formulas and sources in each class):

* :class:`UpdateSizeWarmup` -- per-layer update-to-weight ratio ``||dW|| / ||W||`` (Kosson et al. 2024,
  arXiv:2410.23922; the LARS/LAMB trust ratio), measured from a parameter snapshot around ``optimizer.step()``.
* :class:`LossGapWarmup` -- ``lr = D / (K0 + K1 D + Krho D^rho)``, ``D = loss - loss*`` (Riabinin et al. 2026,
  arXiv:2602.05813; brain-lab-research/llm-baselines ``src/optim/lipschitz_scheduler.py``).
* :class:`CDATWarmup` -- curvature-aware step ``sigma max(-g.u, 0) / (|u.Hu| + eps)`` with one Hessian-vector
  product per update (Roulet et al. 2024, arXiv:2407.06183).
* :class:`SpikeGuard` -- the cautionary baseline: halve the lr when the loss (or grad norm) spikes.

Plus :func:`find_critical_lr` (the smallest lr at which one step raises the loss; Kalra & Barkeshli 2024,
arXiv:2406.09405; Kalra et al. 2026, arXiv:2601.16979) and GI-Adam (:class:`GIAdam`, :func:`gi_adam_init_`:
Adam's second moment initialised from the first gradient squared, Kalra & Barkeshli 2024).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from warmup_course.schedules import Schedule
from warmup_course.validation import check_bool, check_callable, check_int, check_mapping, check_real, describe

__all__ = [
    "CDATWarmup",
    "CriticalLR",
    "GIAdam",
    "LossGapWarmup",
    "SpikeGuard",
    "UpdateSizeWarmup",
    "find_critical_lr",
    "gi_adam_init_",
    "loss_gap_constants",
    "loss_gap_lr",
]


# ----------------------------------------------------------------------------------------------- checks


def _check_optimizer(optimizer: Any) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {describe(optimizer)}")
    return optimizer


def _check_then(then: Any) -> Schedule | None:
    if then is not None and not isinstance(then, Schedule):
        raise TypeError(f"then must be a warmup_course.schedules.Schedule or None, got {describe(then)}")
    return then


def _scalar(name: str, value: Any) -> float:
    """A loss (Python number or 0-d tensor) as a float; nan/inf pass through (a diverging run is recorded)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"{name} must be a scalar (one element), got shape {tuple(value.shape)}")
        return float(value.detach())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number or a 0-d tensor, got {describe(value)}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} is too large for a float, got {describe(value)}") from None


def _set_lr(group: dict[str, Any], lr: float) -> None:
    if isinstance(group["lr"], Tensor):  # capturable / compiled optimizers keep a tensor lr: update in place
        group["lr"].fill_(lr)
    else:
        group["lr"] = lr


# ----------------------------------------------------------------------------------------------- base


class _FeedbackWarmup(LRScheduler):
    """``lr_g = target_g x factor`` per param group; ``factor`` comes from :meth:`_observe` until hand-over.

    Subclasses set ``needs_loss`` (``step(loss)`` required) and implement ``_observe(loss) -> bool`` (update
    ``self.factor``; return True when warmup is over) and list their extra state in ``_STATE`` (name -> kind).
    """

    needs_loss = False
    _STATE: dict[str, str] = {}
    #: the base state every controller checkpoints: name -> kind ("int", "int?", "real", "real?", "lrs")
    _BASE = {"last_epoch": "int", "_step_count": "int", "factor": "real", "handover_step": "int?", "base_lrs": "lrs"}

    def __init__(self, optimizer: Optimizer, start_factor: float, then: Schedule | None) -> None:
        _check_optimizer(optimizer)
        self.factor = check_real("start_factor", start_factor, 0.0, 1.0, low_open=True)
        self.then = _check_then(then)
        self.handover_step: int | None = None
        for i, group in enumerate(optimizer.param_groups):
            lr = float(group["lr"])
            if not (math.isfinite(lr) and lr > 0):
                raise ValueError(f"optimizer param group {i} must have a finite lr > 0 (the target), got {lr!r}")
        super().__init__(optimizer, -1)

    # -- the lr -----------------------------------------------------------------------------------------

    def _multiplier(self) -> float:
        if self.handover_step is None or self.then is None:
            return self.factor
        return float(self.then(self.last_epoch - self.handover_step))

    def get_lr(self) -> list[float]:
        """``target x factor`` (or ``target x then(t - t_handover)`` after the hand-over) per param group."""
        m = self._multiplier()
        return [base * m for base in self.base_lrs]

    def _apply(self) -> None:
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            _set_lr(group, lr)
        self._last_lr = lrs

    def step(self, loss: Any = None) -> None:  # type: ignore[override]
        """Advance one update (call after ``optimizer.step()``); controllers with ``needs_loss`` need ``loss``."""
        if self._step_count == 0:  # the constructor's call: the lr of update 0 is target x start_factor
            self._step_count = 1
            self.last_epoch = 0
            self._apply()
            return
        if self.needs_loss and loss is None:
            raise TypeError(f"{type(self).__name__}.step() needs the loss of the update: call step(loss)")
        value = None if loss is None else _scalar("loss", loss)
        self._step_count += 1
        self.last_epoch += 1
        if self.handover_step is None:
            over = self._observe(value)
            if over and self.then is not None:
                self.handover_step = self.last_epoch
        self._apply()

    def _observe(self, loss: float | None) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def warmup_over(self) -> bool:
        """True once the controller handed over to ``then``."""
        return self.handover_step is not None

    # -- checkpoints -------------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Plain numbers only: the step, the factor, the hand-over step, the targets and the controller's state."""
        state = {name: getattr(self, name) for name in (*self._BASE, *self._STATE)}
        state["base_lrs"] = [float(v) for v in self.base_lrs]
        state["controller"] = type(self).__name__
        state["then"] = None if self.then is None else repr(self.then)
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict` (validated: it is untrusted input) and set the restored step's lr."""
        check_mapping("state_dict", state_dict, keys=[*self._BASE, *self._STATE, "controller"])
        extra = set(state_dict) - {*self._BASE, *self._STATE, "controller", "then"}
        if extra:
            raise ValueError(f"state_dict has unknown keys {sorted(map(str, extra))}")
        if state_dict["controller"] != type(self).__name__:
            raise ValueError(
                f"state_dict is from a {state_dict['controller']!r}, not a {type(self).__name__!r}"
            )
        saved_then = state_dict.get("then")
        if saved_then != (None if self.then is None else repr(self.then)):
            raise ValueError(f"state_dict was saved with then={saved_then!r}, this controller has then={self.then!r}")
        values: dict[str, Any] = {}
        for name, kind in {**self._BASE, **self._STATE}.items():
            v = state_dict[name]
            key = f"state_dict[{name!r}]"
            if kind == "lrs":
                if isinstance(v, (str, bytes)) or not isinstance(v, Sequence):
                    raise TypeError(f"{key} must be a list of learning rates, got {describe(v)}")
                if len(v) != len(self.optimizer.param_groups):
                    raise ValueError(f"{key} has {len(v)} entries, the optimizer has {len(self.optimizer.param_groups)} param groups")
                values[name] = [check_real(f"{key}[{i}]", x, 0.0, low_open=True) for i, x in enumerate(v)]
            elif kind.startswith("int"):
                values[name] = None if (v is None and kind == "int?") else check_int(key, v, -1)
            else:
                values[name] = None if (v is None and kind == "real?") else check_real(key, v, allow_inf=False)
        if not 0.0 < values["factor"] <= 1.0:
            raise ValueError(f"state_dict['factor'] must be in (0, 1], got {values['factor']!r}")
        if values["handover_step"] is not None and values["handover_step"] > values["last_epoch"]:
            raise ValueError("state_dict['handover_step'] must not exceed state_dict['last_epoch']")
        self._check_state(values)
        for name, v in values.items():
            setattr(self, name, v)
        self._apply()

    def _check_state(self, values: dict[str, Any]) -> None:
        """Subclasses: extra range checks on their restored state."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(factor={self.factor:.4g}, last_epoch={self.last_epoch})"


# ----------------------------------------------------------------------------------------------- update size


class UpdateSizeWarmup(_FeedbackWarmup):
    """Raise the lr while the largest per-layer update ratio stays below a target; back off above it.

    After each update the controller measures ``r = max_l ||W_l,t+1 - W_l,t|| / ||W_l,t||`` over the weight
    matrices (tensors with >= 2 dimensions: biases and norm gains start at or near zero norm) and sets::

        factor <- min(1, factor * clip(r* / r, lo, hi))

    i.e. ``lr <- min(target, lr * clip(r*/r, lo, hi))``. The ratio is the quantity LARS / LAMB's trust ratio
    bounds (You et al. 2017, arXiv:1708.03888; 2019, arXiv:1904.00962) and whose early-training excess Kosson et
    al. 2024 (arXiv:2410.23922) identify as what warmup controls. The update is measured by the controller itself
    (a snapshot of the weight matrices in an optimizer step pre-hook), so the loop passes nothing.

    Args:
        optimizer: its param groups' ``lr`` are the targets.
        target_ratio: ``r*``; the prototype's values: about 0.2 for SGD with momentum, 0.03 for Adam.
        start_factor: the first lr as a fraction of the target (default 0.1).
        lo, hi: bounds of the per-update change of the lr (defaults 0.5 and 1.25).
        then: a Schedule to hand over to once the lr reached the target (None: keep controlling, capped at it).
    """

    _STATE = {"last_ratio": "real?"}

    def __init__(
        self,
        optimizer: Optimizer,
        target_ratio: float = 0.2,
        *,
        start_factor: float = 0.1,
        lo: float = 0.5,
        hi: float = 1.25,
        then: Schedule | None = None,
    ) -> None:
        _check_optimizer(optimizer)
        self.target_ratio = check_real("target_ratio", target_ratio, 0.0, low_open=True)
        self.lo = check_real("lo", lo, 0.0, 1.0, low_open=True)
        self.hi = check_real("hi", hi, 1.0, 100.0)
        self.last_ratio: float | None = None
        params = [p for g in optimizer.param_groups for p in g["params"]]
        self._watched = [p for p in params if p.ndim >= 2] or params
        self._before = [torch.empty_like(p, memory_format=torch.preserve_format) for p in self._watched]
        self._fresh = False
        self._hook = optimizer.register_step_pre_hook(self._snapshot)
        super().__init__(optimizer, start_factor, then)

    def _snapshot(self, *_: Any) -> None:
        with torch.no_grad():
            torch._foreach_copy_(self._before, [p.detach() for p in self._watched])
        self._fresh = True

    def measured_ratio(self) -> float:
        """The largest per-matrix ``||dW|| / ||W||`` of the last update (nan before the first one)."""
        if not self._fresh:
            return math.nan
        with torch.no_grad():
            w = torch._foreach_norm(self._before)
            d = torch._foreach_norm(torch._foreach_sub([p.detach() for p in self._watched], self._before))
            ratios = torch.stack(d) / torch.stack(w).clamp_min(1e-12)
        return float(ratios.max())

    def _observe(self, loss: float | None) -> bool:
        r = self.measured_ratio()
        self._fresh = False
        self.last_ratio = r if math.isfinite(r) else None
        if math.isnan(r):  # no update was measured (step() without optimizer.step()): keep the lr
            return self.factor >= 1.0
        change = self.hi if r == 0 else (self.lo if not math.isfinite(r) else self.target_ratio / r)
        self.factor = min(1.0, self.factor * min(self.hi, max(self.lo, change)))
        return self.factor >= 1.0

    def remove_hook(self) -> None:
        """Detach the optimizer pre-hook (the controller stops measuring)."""
        self._hook.remove()


# ----------------------------------------------------------------------------------------------- loss gap


def loss_gap_constants(target_lr: float, delta_peak: float, rho: float = 2.0) -> tuple[float, float]:
    """``(K0, Krho)`` that make ``lr(D) = D / (K0 + Krho D^rho)`` peak at ``target_lr`` when ``D = delta_peak``.

    With ``K1 = 0`` the rule peaks where ``d lr / dD = 0``: ``K0 = (rho - 1) Krho D*^rho``, i.e.
    ``D* = (K0 / ((rho - 1) Krho))^(1/rho)`` (for ``rho = 2``: ``sqrt(K0 / Krho)``), with
    ``lr(D*) = (rho - 1) D* / (rho K0)``. Setting that to the target gives ``K0 = (rho - 1) D* / (rho lr)`` and
    ``Krho = K0 / ((rho - 1) D*^rho)``; for ``rho = 2``: ``K0 = D* / (2 lr)``, ``Krho = 1 / (2 lr D*)``, which
    is Riabinin et al.'s ``K0 = 1 / (4 lr^2 Krho)`` (llm-baselines ``lipschitz_scheduler.py``).
    """
    target_lr = check_real("target_lr", target_lr, 0.0, low_open=True)
    delta_peak = check_real("delta_peak", delta_peak, 0.0, low_open=True)
    rho = check_real("rho", rho, 1.0, 16.0, low_open=True)
    k0 = (rho - 1.0) * delta_peak / (rho * target_lr)
    krho = k0 / ((rho - 1.0) * delta_peak**rho)
    return k0, krho


def loss_gap_lr(delta: float, k0: float, k1: float, krho: float, rho: float) -> float:
    """Riabinin et al. 2026 (arXiv:2602.05813): ``lr = D / (K0 + K1 D + Krho D^rho)`` (no clamping)."""
    delta = check_real("delta", delta, 0.0)
    k0 = check_real("k0", k0, 0.0)
    k1 = check_real("k1", k1, 0.0)
    krho = check_real("krho", krho, 0.0)
    rho = check_real("rho", rho, 1.0, 16.0, low_open=True)
    denom = k0 + k1 * delta + krho * delta**rho
    if denom <= 0:
        raise ValueError("k0 + k1*delta + krho*delta**rho must be > 0")
    return delta / denom


class LossGapWarmup(_FeedbackWarmup):
    """The lr follows the loss gap: ``lr_t = D_t / (K0 + K1 D_t + Krho D_t^rho)`` (Riabinin et al. 2026).

    ``D_t = max(EMA_beta(loss) - loss_star, eps)``, the smoothed optimality gap (the EMA starts at the first loss;
    ``beta = 0`` uses the raw batch loss), and the lr is clamped to ``[min_factor x target, target]``. While the
    gap is large the lr is small (the ``Krho D^rho`` term dominates); it rises as the loss falls, peaks at the
    target when ``D = D*`` and then decays with the gap (the ``K0`` term): warmup and decay from one rule.
    By default ``K1 = 0`` and ``K0``, ``Krho`` come from the target lr and ``delta_peak`` (:func:`loss_gap_constants`,
    the paper code's rule ``K0 = 1 / (4 lr^2 Krho)`` for ``rho = 2``). Source:
    brain-lab-research/llm-baselines ``src/optim/lipschitz_scheduler.py``.

    Step it with the update's loss: ``sched.step(loss)``. Update 0 uses ``start_factor x target`` (no loss yet).

    Args:
        optimizer: its param group 0's ``lr`` is the target (other groups keep their ratio to it).
        delta_peak: ``D*``, the gap at which the lr peaks (default 0.3).
        loss_star: the loss the gap is measured from (default 0).
        rho, k1: the rule's exponent (> 1) and linear coefficient (default 2 and 0).
        k0, krho: explicit constants (both or neither; they override ``delta_peak``).
        beta: EMA factor of the loss (default 0.9).
        start_factor, min_factor: the first lr and the floor, as fractions of the target.
        then: a Schedule to hand over to once ``D_t <= D*`` (None: the rule also does the decay).
    """

    needs_loss = True
    _STATE = {"ema": "real?", "delta": "real?"}

    def __init__(
        self,
        optimizer: Optimizer,
        delta_peak: float = 0.3,
        *,
        loss_star: float = 0.0,
        rho: float = 2.0,
        k1: float = 0.0,
        k0: float | None = None,
        krho: float | None = None,
        beta: float = 0.9,
        start_factor: float = 0.1,
        min_factor: float = 1e-3,
        then: Schedule | None = None,
    ) -> None:
        _check_optimizer(optimizer)
        # The target: the lr the optimizer was built with (after a resume, torch keeps it as "initial_lr").
        target = float(optimizer.param_groups[0].get("initial_lr", optimizer.param_groups[0]["lr"]))
        self.delta_peak = check_real("delta_peak", delta_peak, 0.0, low_open=True)
        self.loss_star = check_real("loss_star", loss_star)
        self.rho = check_real("rho", rho, 1.0, 16.0, low_open=True)
        self.k1 = check_real("k1", k1, 0.0)
        if (k0 is None) != (krho is None):
            raise ValueError(f"k0 and krho must be given together or not at all, got k0={k0!r}, krho={krho!r}")
        if k0 is None:
            if not (math.isfinite(target) and target > 0):
                raise ValueError(f"optimizer must have a finite lr > 0 (the target), got {target!r}")
            self.k0, self.krho = loss_gap_constants(target, self.delta_peak, self.rho)
        else:
            self.k0 = check_real("k0", k0, 0.0, low_open=True)
            self.krho = check_real("krho", krho, 0.0)
        self.beta = check_real("beta", beta, 0.0, 1.0, high_open=True)
        self.min_factor = check_real("min_factor", min_factor, 0.0, 1.0, low_open=True)
        self.ema: float | None = None
        self.delta: float | None = None
        super().__init__(optimizer, start_factor, then)

    def _observe(self, loss: float | None) -> bool:
        assert loss is not None
        if not math.isfinite(loss):  # a diverging run: drop to the floor, keep the smoothed gap as it was
            self.factor = self.min_factor
            return False
        self.ema = loss if self.ema is None else self.beta * self.ema + (1.0 - self.beta) * loss
        self.delta = max(self.ema - self.loss_star, 1e-12)
        lr = self.delta / (self.k0 + self.k1 * self.delta + self.krho * self.delta**self.rho)
        self.factor = min(1.0, max(self.min_factor, lr / self.base_lrs[0]))
        return self.delta <= self.delta_peak

    def _check_state(self, values: dict[str, Any]) -> None:
        if values["delta"] is not None and values["delta"] <= 0:
            raise ValueError(f"state_dict['delta'] must be > 0, got {values['delta']!r}")


# ----------------------------------------------------------------------------------------------- CDAT


def _buffers(model: nn.Module) -> list[Tensor]:
    return [b for b in model.buffers()]


class CDATWarmup(_FeedbackWarmup):
    """Curvature-aware step size along the optimizer's own direction (CDAT, Roulet et al. 2024, arXiv:2407.06183).

    After ``optimizer.step()`` moved the weights by ``-lr u`` (``u``: the optimizer's direction per unit lr, the
    new momentum buffer for SGD), the controller evaluates the gradient ``g`` and the curvature ``u.Hu`` along
    ``u`` at the new weights on ``batch`` (one Hessian-vector product by double backward) and takes the step size
    at which a quadratic model along ``u`` is ``sigma``-times the greedy one::

        eta_t = sigma * max(-g.(-u), 0) / (|u.Hu| + eps)         (the next update moves by -lr u)
        lr_{t+1} = min(cap x target, EMA_beta(eta))

    ``sigma = 1`` minimises the quadratic model, ``sigma = 2`` sits at its edge of stability. Early on the
    curvature is high and the lr small; as it falls the lr rises: a warmup emerges. Cost: one extra forward,
    backward and Hessian-vector product per update (about 3x an SGD update; the benchmark reports it). The model's
    buffers (BatchNorm statistics) are restored after the extra pass.

    Args:
        optimizer: its ``lr`` is the target; the lr is capped at ``cap x target``.
        model, loss_fn, batch: the extra pass computes ``loss_fn(model(x), y)`` on ``batch = (x, y)``
            (full-batch training: the training set).
        sigma: the multiple of the greedy step (default 2). beta: EMA factor of eta (default 0.9).
        cap: the largest lr as a multiple of the target (default 1; ``math.inf``: uncapped).
        then: a Schedule to hand over to once the lr reached ``cap x target``.
    """

    _STATE = {"eta_ema": "real?", "last_eta": "real?"}

    def __init__(
        self,
        optimizer: Optimizer,
        model: nn.Module,
        loss_fn: Callable[[Tensor, Tensor], Tensor],
        batch: tuple[Tensor, Tensor],
        *,
        sigma: float = 2.0,
        beta: float = 0.9,
        eps: float = 1e-12,
        start_factor: float = 0.1,
        cap: float = 1.0,
        then: Schedule | None = None,
    ) -> None:
        _check_optimizer(optimizer)
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {describe(model)}")
        self.loss_fn = check_callable("loss_fn", loss_fn)
        self.batch = _check_batch(batch)
        self.model = model
        self.sigma = check_real("sigma", sigma, 0.0, 100.0, low_open=True)
        self.beta = check_real("beta", beta, 0.0, 1.0, high_open=True)
        self.eps = check_real("eps", eps, 0.0, 1.0, low_open=True)
        self.cap = check_real("cap", cap, 1.0, allow_inf=True)
        self.eta_ema: float | None = None
        self.last_eta: float | None = None
        self._params = [p for g in optimizer.param_groups for p in g["params"] if p.requires_grad]
        self._before = [torch.empty_like(p) for p in self._params]
        self._lr_used = 0.0
        self._fresh = False
        self._hook = optimizer.register_step_pre_hook(self._snapshot)
        super().__init__(optimizer, start_factor, then)

    def _snapshot(self, *_: Any) -> None:
        with torch.no_grad():
            torch._foreach_copy_(self._before, [p.detach() for p in self._params])
        self._lr_used = float(self.optimizer.param_groups[0]["lr"])
        self._fresh = True

    def curvature_step(self) -> float:
        """``sigma max(g.u_desc, 0) / (|u.Hu| + eps)`` along the last update's direction at the current weights."""
        if not self._fresh or self._lr_used <= 0:
            return math.nan
        with torch.no_grad():
            # u: the last move per unit lr, pointing the way the optimizer moves (W_{t+1} - W_t) / lr_t
            u = [(p.detach() - b) / self._lr_used for p, b in zip(self._params, self._before)]
        saved = [b.clone() for b in _buffers(self.model)]
        try:
            x, y = self.batch
            loss = self.loss_fn(self.model(x), y)
            grads = torch.autograd.grad(loss, self._params, create_graph=True, allow_unused=True)
            pairs = [(g, v) for g, v in zip(grads, u) if g is not None]
            gu = sum((g * v).sum() for g, v in pairs)
            hu = torch.autograd.grad(gu, [p for p, g in zip(self._params, grads) if g is not None], allow_unused=True)
            uhu = sum(float((h * v).sum()) for h, (_, v) in zip(hu, pairs) if h is not None)
            slope = float(gu.detach())  # g.u: the loss's slope along the move; descent when < 0
        finally:
            with torch.no_grad():
                for b, s in zip(_buffers(self.model), saved):
                    b.copy_(s)
        if not (math.isfinite(slope) and math.isfinite(uhu)):
            return math.nan
        return self.sigma * max(-slope, 0.0) / (abs(uhu) + self.eps)

    def _observe(self, loss: float | None) -> bool:
        eta = self.curvature_step()
        self._fresh = False
        self.last_eta = eta if math.isfinite(eta) else None
        base = self.base_lrs[0]
        if not math.isfinite(eta):  # non-finite loss: back off
            self.factor = max(self.factor * 0.5, 1e-6)
            return False
        current = self.factor * base if self.eta_ema is None else self.eta_ema
        self.eta_ema = self.beta * current + (1.0 - self.beta) * eta
        cap = self.cap
        # factor may exceed 1 only when uncapped (cap > 1): lr = target x factor
        self.factor = min(cap, max(self.eta_ema / base, 1e-6))
        return self.factor >= cap

    def _check_state(self, values: dict[str, Any]) -> None:
        pass

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        check_mapping("state_dict", state_dict)
        if isinstance(state_dict.get("factor"), (int, float)) and not isinstance(state_dict.get("factor"), bool):
            f = float(state_dict["factor"])
            if self.cap > 1 and math.isfinite(f) and 1 < f <= self.cap:  # uncapped CDAT: factor may exceed 1
                inner = dict(state_dict)
                inner["factor"] = 1.0
                super().load_state_dict(inner)
                self.factor = f
                self._apply()
                return
        super().load_state_dict(state_dict)

    def remove_hook(self) -> None:
        """Detach the optimizer pre-hook."""
        self._hook.remove()


# ----------------------------------------------------------------------------------------------- spike guard


class SpikeGuard(_FeedbackWarmup):
    """The cautionary baseline: halve the lr when the signal spikes, otherwise grow it back geometrically.

    ``sched.step(loss)`` (or any positive signal, e.g. the gradient norm): if ``signal > spike x EMA`` and the
    signal is still above ``floor x`` its first value, ``factor <- factor x cut``; else
    ``factor <- min(1, factor x growth)``. ``EMA`` is the signal's running average (factor ``beta``, starting at
    the first value). It reacts only after the spike it sees -- i.e. after the damaging update
    (../shared/EXPERIMENT-NOTES.md, F and K); with ``start_factor=1`` it is no warmup at all until something breaks.
    """

    needs_loss = True
    _STATE = {"ema": "real?", "first": "real?", "cuts": "int"}

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        spike: float = 1.5,
        cut: float = 0.5,
        growth: float = 1.0,
        beta: float = 0.9,
        floor: float = 0.0,
        start_factor: float = 1.0,
    ) -> None:
        _check_optimizer(optimizer)
        self.spike = check_real("spike", spike, 1.0, low_open=True)
        self.cut = check_real("cut", cut, 0.0, 1.0, low_open=True, high_open=True)
        self.growth = check_real("growth", growth, 1.0, 10.0)
        self.beta = check_real("beta", beta, 0.0, 1.0, high_open=True)
        self.floor = check_real("floor", floor, 0.0, 1.0)
        self.ema: float | None = None
        self.first: float | None = None
        self.cuts = 0
        super().__init__(optimizer, start_factor, None)

    def _observe(self, loss: float | None) -> bool:
        assert loss is not None
        if self.first is None:
            self.first = loss if math.isfinite(loss) else None
        ema = loss if self.ema is None else self.ema
        alive = self.first is not None and loss > self.floor * self.first
        if (not math.isfinite(loss) or loss > self.spike * ema) and (alive or not math.isfinite(loss)):
            self.factor = max(self.factor * self.cut, 1e-9)
            self.cuts += 1
        else:
            self.factor = min(1.0, self.factor * self.growth)
        if math.isfinite(loss):
            self.ema = loss if self.ema is None else self.beta * self.ema + (1.0 - self.beta) * loss
        return False


# ----------------------------------------------------------------------------------------------- probe


def _check_batch(batch: Any) -> tuple[Tensor, Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(f"batch must be a pair (inputs, targets) of tensors, got {describe(batch)}")
    for i, t in enumerate(batch):
        if not isinstance(t, Tensor):
            raise TypeError(f"batch[{i}] must be a torch.Tensor, got {describe(t)}")
    if len(batch[0]) != len(batch[1]) or len(batch[0]) == 0:
        raise ValueError(f"batch must hold as many targets as inputs (>= 1), got {len(batch[0])} and {len(batch[1])}")
    return batch[0], batch[1]


@dataclass(frozen=True)
class CriticalLR:
    """What :func:`find_critical_lr` found: ``lr`` (eta_c), ``sharpness`` (2 / eta_c), the starting loss and
    the number of forward passes spent. ``lr`` is inf when no step up to the largest tried raised the loss."""

    lr: float
    sharpness: float
    loss: float
    evaluations: int


def find_critical_lr(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    batch: tuple[Tensor, Tensor],
    direction: Sequence[Tensor] | None = None,
    *,
    lr_start: float = 1e-4,
    max_doublings: int = 40,
    bisection_steps: int = 8,
) -> CriticalLR:
    """The smallest lr at which ONE step along ``direction`` raises the loss on ``batch``: eta_c.

    ``direction`` (one tensor per trainable parameter, the move per unit lr) defaults to ``-grad``, the SGD step.
    The search doubles ``lr`` from ``lr_start`` until ``loss(W + lr d) > loss(W)``, then bisects the bracket
    ``bisection_steps`` times and returns its upper end. Along ``-g`` on a quadratic with curvature ``lambda`` in
    that direction, ``eta_c = 2 / lambda`` exactly, so ``2 / eta_c`` estimates the sharpness the step sees (the
    catapult threshold of Kalra & Barkeshli 2024, arXiv:2406.09405; the probe of Kalra et al. 2026,
    arXiv:2601.16979). A target lr below eta_c needs little or no warmup; one far above it does.
    The weights and buffers (BatchNorm statistics) are restored; the model's train/eval mode is kept.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {describe(model)}")
    check_callable("loss_fn", loss_fn)
    x, y = _check_batch(batch)
    lr_start = check_real("lr_start", lr_start, 0.0, 1e6, low_open=True)
    max_doublings = check_int("max_doublings", max_doublings, 1, 200)
    bisection_steps = check_int("bisection_steps", bisection_steps, 0, 60)
    params = [p for p in model.parameters() if p.requires_grad]
    if direction is None:
        model.zero_grad(set_to_none=True)
        saved = [b.clone() for b in _buffers(model)]
        loss = loss_fn(model(x), y)
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        with torch.no_grad():
            for b, s in zip(_buffers(model), saved):
                b.copy_(s)
        d = [torch.zeros_like(p) if g is None else -g.detach() for p, g in zip(params, grads)]
    else:
        if isinstance(direction, (str, bytes, Tensor)) or not isinstance(direction, Sequence):
            raise TypeError(f"direction must be a list of tensors (one per trainable parameter), got {describe(direction)}")
        if len(direction) != len(params):
            raise ValueError(f"direction must hold {len(params)} tensors (one per trainable parameter), got {len(direction)}")
        for i, (v, p) in enumerate(zip(direction, params)):
            if not isinstance(v, Tensor) or v.shape != p.shape:
                raise ValueError(f"direction[{i}] must be a tensor of shape {tuple(p.shape)}, got {describe(v)}")
        d = [v.detach() for v in direction]
    w0 = [p.detach().clone() for p in params]
    saved = [b.clone() for b in _buffers(model)]
    count = 0

    @torch.no_grad()
    def loss_at(lr: float) -> float:
        nonlocal count
        count += 1
        for p, w, v in zip(params, w0, d):
            p.copy_(w + lr * v)
        try:
            return float(loss_fn(model(x), y))
        finally:
            for p, w in zip(params, w0):
                p.copy_(w)
            for b, s in zip(_buffers(model), saved):
                b.copy_(s)

    base = loss_at(0.0)
    raises = lambda lr: not (loss_at(lr) <= base)  # noqa: E731 -- nan counts as raised
    lo, hi = 0.0, lr_start
    for _ in range(max_doublings):
        if raises(hi):
            break
        lo, hi = hi, hi * 2
    else:
        return CriticalLR(math.inf, 0.0, base, count)
    for _ in range(bisection_steps):
        mid = 0.5 * (lo + hi)
        if raises(mid):
            hi = mid
        else:
            lo = mid
    return CriticalLR(hi, 2.0 / hi, base, count)


# ----------------------------------------------------------------------------------------------- GI-Adam


def gi_adam_init_(optimizer: torch.optim.Adam) -> int:
    """GI-Adam (Kalra & Barkeshli 2024): initialise Adam's second moment from the first gradient, ``v_0 = g_0^2``.

    Call after the first ``backward()`` and before the first ``optimizer.step()``. Creates, for each parameter
    with a gradient and no state yet, torch Adam's own state (``step = 0``, ``exp_avg = 0``,
    ``exp_avg_sq = g_0^2``), so Adam's update and bias correction run unchanged: at step 1 ``v_1 = beta2 g_0^2 +
    (1 - beta2) g_1^2`` is divided by ``1 - beta2``, so the first updates are about ``sqrt(1 - beta2^t)`` times
    plain Adam's -- an implicit warmup of length ~``1/(1 - beta2)``. Returns the number of tensors initialised.

    Kalra & Barkeshli (2024, arXiv:2406.09405) propose initialising the second moment from the gradient at
    initialisation; keeping torch's bias correction unchanged is this course's choice (without it the first update
    would be full-size: ``m_1 / sqrt(v_1)`` with ``v_1 ~ g^2``).
    """
    if not isinstance(optimizer, torch.optim.Adam):
        raise TypeError(f"optimizer must be a torch.optim.Adam (or AdamW), got {describe(optimizer)}")
    n = 0
    for group in optimizer.param_groups:
        if group.get("amsgrad") or group.get("capturable") or group.get("fused"):
            raise ValueError("optimizer: GI-Adam init supports plain Adam/AdamW (amsgrad, capturable, fused off)")
        for p in group["params"]:
            if p.grad is None or optimizer.state.get(p):
                continue
            state = optimizer.state[p]
            dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
            state["step"] = torch.tensor(0.0, dtype=dtype)
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = p.grad.detach().square().to(memory_format=torch.preserve_format).clone()
            n += 1
    return n


class GIAdam(torch.optim.Adam):
    """``torch.optim.Adam`` whose first ``step()`` initialises ``v`` from that step's gradient (:func:`gi_adam_init_`).

    Everything else -- the update, bias correction, ``state_dict`` -- is torch's Adam (a checkpoint loads into
    either class).
    """

    def step(self, closure: Callable[[], float] | None = None) -> Any:  # type: ignore[override]
        if closure is not None:
            check_callable("closure", closure)
            with torch.enable_grad():
                loss = closure()
            if not self.state:
                gi_adam_init_(self)
            super().step()
            return loss
        if not self.state:
            gi_adam_init_(self)
        return super().step()
