"""Watching warmup: per-update statistics of any model + optimizer, recorded through torch's optimizer hooks.

:class:`WarmupMonitor` attaches to an optimizer with ``register_step_pre_hook`` / ``register_step_post_hook``
(torch >= 2.0), so the training loop stays as it is; give it the loss with :meth:`WarmupMonitor.log_loss`
(or its alias :meth:`~WarmupMonitor.step`) if you want the loss recorded too. Per optimizer update ``t`` it
records

* the learning rate ``lr_t`` of param group 0 (the one the update used),
* the loss (when logged), the gradient norm ``||g_t||`` over all parameters (and per parameter tensor),
* the update-to-weight ratio ``||W_{t+1} - W_t|| / ||W_t||`` over all parameters, per tensor, and its
  largest value among the weight matrices (the quantity LARS, You et al. 2017,
  https://arxiv.org/abs/1708.03888, keeps in check; CS231n's rule of thumb is "somewhere around 1e-3" for
  SGD-style training, https://cs231n.github.io/neural-networks-3/#ratio),
* with a ``torch.amp.GradScaler``: the loss scale and the iterations whose step the scaler skipped,

and flags, with the update where it happened: loss spikes and gradient-norm spikes (the value over a running
baseline, an exponential moving average of the previous values), update ratios above a threshold, and
non-finite values. :meth:`~WarmupMonitor.summary` prints a table, :meth:`~WarmupMonitor.dashboard` draws
LR, loss, gradient norm and update ratio with the flags marked.

The statistics are one implementation, :class:`UpdateStatistics` + :func:`reduce_statistics`, which
:func:`warmup_course.training.train` uses too: per update, four fused multi-tensor kernels
(``torch._foreach_norm`` of the gradients and weights, ``_foreach_copy_`` of the weights, after the step
``_foreach_sub_`` and ``_foreach_norm`` of the difference: the kernels ``clip_grad_norm_`` and the optimizers
use), written as one row of a preallocated device buffer and fetched to the host every ``fetch_every`` updates, so
there is no host/device synchronisation per step. (Keeping the ``3n`` 0-d results alive until the fetch instead
made the 4x256 MLP's whole update about 20 % slower on a CPU: thousands of small live allocations fragment the
heap that the forward and backward passes allocate from; ``benchmarks/bench_stats_cost.py``.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer

from warmup_course.validation import check_array, check_bool, check_int, check_real, describe

__all__ = ["Flag", "PendingRows", "UpdateStatistics", "WarmupMonitor", "reduce_statistics", "FLAG_KINDS",
           "RULE_OF_THUMB"]

#: CS231n's rule of thumb for the update-to-weight ratio of SGD-style training (per update).
RULE_OF_THUMB = 1e-3
#: The kinds of flag, in the order summaries list them.
FLAG_KINDS = ("non-finite", "loss spike", "grad-norm spike", "update ratio", "skipped step")


# ----------------------------------------------------------------------------------------------- statistics


class UpdateStatistics:
    """Per-tensor norms of the gradient, the weights and the update of one optimizer step, on the device.

    ``before_step()`` (after ``backward()``, before ``optimizer.step()``) returns ``2n`` 0-d tensors:
    ``||g_i||`` then ``||W_i||`` for the ``n`` tensors, and snapshots the weights; ``after_step()`` returns the
    ``n`` norms ``||W_i(t) - W_i(t+1)||``. Nothing is synchronised: the caller writes each update's tensors
    as one row of a :class:`PendingRows` and takes the rows once per chunk; :func:`reduce_statistics` turns a
    chunk into the recorded columns.
    """

    def __init__(self, params: Sequence[torch.Tensor]):
        if not isinstance(params, (list, tuple)) or not params or not all(isinstance(p, torch.Tensor) for p in params):
            raise TypeError(f"params must be a non-empty sequence of tensors, got {describe(params)}")
        # Detached aliases share storage with the parameters (the optimizer updates them in place), and
        # operations on them are not tracked by autograd, so no no_grad() context is needed per update.
        self.owners = params = list(params)
        self.params = [p.detach() for p in params]
        self.before = [torch.empty_like(p) for p in self.params]
        self.zero = torch.zeros((), device=self.params[0].device)
        #: Tensors with two or more dimensions (weight matrices): biases and norm gains start at or near zero
        #: norm, which makes their ratio meaningless for a maximum.
        self.weights = [i for i, p in enumerate(params) if p.ndim >= 2] or list(range(len(params)))
        self.n = len(params)

    def before_step(self) -> list[torch.Tensor]:
        grads = [self.zero if p.grad is None else p.grad for p in self.owners]
        norms = torch._foreach_norm(grads + self.params)
        torch._foreach_copy_(self.before, self.params)
        return list(norms)

    def after_step(self) -> list[torch.Tensor]:
        torch._foreach_sub_(self.before, self.params)  # before := W_t - W_{t+1} = -dW
        return list(torch._foreach_norm(self.before))


class PendingRows:
    """Up to ``capacity`` rows of ``width`` device values, one per update, in one preallocated buffer.

    ``append(values)`` writes a row with one ``torch.stack(values, out=row)``; ``take()`` returns the pending rows
    as a float64 host array and empties the buffer. The buffer takes the promoted dtype of the first row (a
    float32 row into a float64 buffer would take torch's much slower casting path) and widens if a later row
    holds a wider dtype (``torch.stack`` would round it into the narrower buffer without a word). Why rows and
    not a list of 0-d tensors: see the module docstring.
    """

    def __init__(self, capacity: int, width: int, device: torch.device | str = "cpu"):
        self.capacity = check_int("capacity", capacity, 1, 10**6)
        self.width = check_int("width", width, 1, 10**8)
        if not isinstance(device, (torch.device, str)):
            raise TypeError(f"device must be a torch.device or a string, got {describe(device)}")
        try:
            self.device = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"device must name a torch device, got {device!r}") from exc
        self.buffer: torch.Tensor | None = None
        self.count = 0

    def append(self, values: list[torch.Tensor]) -> None:
        """Write ``values`` (``width`` 0-d tensors) as the next row."""
        if not isinstance(values, list) or not all(isinstance(v, torch.Tensor) for v in values):
            raise TypeError(f"values must be a list of tensors, got {describe(values)}")
        if len(values) != self.width or any(v.dim() for v in values):
            raise ValueError(f"values must be {self.width} 0-d tensors, got {len(values)} of shapes "
                             f"{sorted({tuple(v.shape) for v in values})}")
        self._write(values)

    def _write(self, values: list[torch.Tensor]) -> None:
        """:meth:`append` without the argument checks: the per-update path of the library's own callers, whose
        rows have the right shape by construction (the checks would cost a tenth of a small model's statistics)."""
        if self.count == self.capacity:
            raise RuntimeError(f"PendingRows holds at most {self.capacity} rows: take() them first")
        dtype = values[0].dtype
        for v in values[1:]:
            if v.dtype is not dtype:
                dtype = torch.promote_types(dtype, v.dtype)
        if self.buffer is None:
            self.buffer = torch.empty(self.capacity, self.width, dtype=dtype, device=self.device)
        elif dtype is not self.buffer.dtype and torch.promote_types(dtype, self.buffer.dtype) is not self.buffer.dtype:
            # a wider value than the buffer holds (stack would round it silently): widen the buffer, exactly
            self.buffer = self.buffer.to(torch.promote_types(dtype, self.buffer.dtype))
        torch.stack(values, out=self.buffer[self.count])
        self.count += 1

    def pending(self) -> torch.Tensor:
        """The pending rows, on the device (a view of the buffer)."""
        if self.buffer is None:
            return torch.zeros(0, self.width, dtype=torch.float64, device=self.device)
        return self.buffer[: self.count]

    def take(self) -> np.ndarray:
        """The pending rows as a float64 host array (one synchronisation); the buffer is emptied."""
        rows = self.pending().to("cpu", torch.float64, copy=True).numpy()  # a copy: the buffer is rewritten
        self.count = 0
        return rows


def reduce_statistics(stats: np.ndarray, weights: Sequence[int]) -> dict[str, np.ndarray]:
    """Rows of ``[||g_i|| (n), ||W_i|| (n), ||dW_i|| (n)]`` (float64, one row per update) -> recorded columns.

    ``grad_norm = sqrt(sum_i ||g_i||^2)`` (the global norm ``clip_grad_norm_`` uses),
    ``update_ratio = sqrt(sum_i ||dW_i||^2) / sqrt(sum_i ||W_i||^2)`` (all parameters as one vector),
    ``update_ratio_max = max_{i in weights} ||dW_i|| / ||W_i||``, plus the per-tensor ``tensor_grad_norm`` and
    ``tensor_update_ratio`` (updates x tensors).
    """
    stats = check_array("stats", stats, ndim=2)
    if stats.shape[1] % 3 or not stats.shape[1]:
        raise ValueError(f"stats must have shape (updates, 3 * tensors), got {stats.shape}")
    n = stats.shape[1] // 3
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence) or not weights:
        raise TypeError(f"weights must be a non-empty sequence of tensor indices, got {describe(weights)}")
    weights = [check_int("weights", i, 0, n - 1) for i in weights]
    g, w, delta = stats[:, :n], stats[:, n : 2 * n], stats[:, 2 * n :]
    with np.errstate(divide="ignore", invalid="ignore"):
        per = delta / w
        ratio = np.sqrt((delta**2).sum(1)) / np.sqrt((w**2).sum(1))
    return {
        "grad_norm": np.sqrt((g**2).sum(1)),
        "update_ratio": ratio,
        "update_ratio_max": per[:, list(weights)].max(1) if len(stats) else np.zeros(0),
        "tensor_update_ratio": per,
        "tensor_grad_norm": g,
    }


# ----------------------------------------------------------------------------------------------- monitor


@dataclass(frozen=True)
class Flag:
    """One flagged update: ``kind`` (one of :data:`FLAG_KINDS`), the update index ``step``, the ``value`` seen
    and the ``threshold`` it crossed (for spikes: the multiple of the running baseline)."""

    step: int
    kind: str
    value: float
    threshold: float

    def __str__(self) -> str:
        return f"update {self.step}: {self.kind} ({self.value:.3g} vs {self.threshold:.3g})"


class WarmupMonitor:
    """Record and flag what warmup is about, per optimizer update, without changing the training loop.

    Usage::

        monitor = WarmupMonitor(model, optimizer)           # attaches optimizer step hooks
        for x, y in batches:                                # your loop, unchanged
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            monitor.log_loss(loss)                          # optional: record the loss too
        print(monitor.summary()); monitor.dashboard()
        monitor.close()                                     # detach (or use it as a context manager)

    Args:
        model: the model whose parameters ``optimizer`` updates (used for the parameter names).
        optimizer: a ``torch.optim.Optimizer``.
        per_layer: keep the per-tensor gradient norms and update ratios (``layer_*`` arrays) for the summary and
            the dashboard. The cost is the same; only the memory of the rows differs.
        scaler: a ``torch.amp.GradScaler`` (AMP): record its scale, and flag iterations whose step it skipped
            (call :meth:`log_loss` once per iteration for the skip count).
        loss_spike: flag a loss above this multiple of its running baseline.
        grad_spike: flag a gradient norm above this multiple of its running baseline.
        ratio_threshold: flag a global update ratio ``||ΔW||/||W||`` above this. The default, 0.1, is 100x
            CS231n's 1e-3 rule of thumb: the course's small models train in a few hundred updates and run at
            1e-2 to 3e-2 when well tuned (a 2x32 MLP with SGD at LR 0.05: median 0.02; the 4x128 BatchNorm MLP
            at LR 3.2 with a 20-update warmup: median 0.02, peak about 0.12, though 3 seeds in 165 reached 0.2-0.35
            late in the run; the same without warmup: at least 0.37 within its first updates), so 1e-3 would flag
            every calm run. Set it per model family from a run you trust (notebook 05 uses 0.3 for the two
            BatchNorm-MLP runs above).
        baseline: the smoothing factor ``β`` of the running baselines,
            ``b_t = β b_{t-1} + (1 - β) x_{t-1}`` (``b_0 = x_0``; a flagged value does not enter the baseline).
        min_loss: losses below this fraction of the first logged loss are never loss spikes (late in
            training a batch at 3x a tiny loss is noise, not damage).
        fetch_every: updates between fetches of the statistics from the device (flags are decided then; every
            accessor fetches what is pending first).
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: Optimizer,
        *,
        per_layer: bool = False,
        scaler: Any = None,
        loss_spike: float = 2.0,
        grad_spike: float = 5.0,
        ratio_threshold: float = 0.1,
        baseline: float = 0.9,
        min_loss: float = 0.1,
        fetch_every: int = 32,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {describe(model)}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {describe(optimizer)}")
        self.per_layer = check_bool("per_layer", per_layer)
        if scaler is not None and not (callable(getattr(scaler, "get_scale", None))
                                       and callable(getattr(scaler, "is_enabled", None))):
            raise TypeError(f"scaler must be a torch.amp.GradScaler or None, got {describe(scaler)}")
        self.scaler = scaler
        self.loss_spike = check_real("loss_spike", loss_spike, 1.0, low_open=True)
        self.grad_spike = check_real("grad_spike", grad_spike, 1.0, low_open=True)
        self.ratio_threshold = check_real("ratio_threshold", ratio_threshold, 0.0, low_open=True)
        self.baseline = check_real("baseline", baseline, 0.0, 1.0, high_open=True)
        self.min_loss = check_real("min_loss", min_loss, 0.0)
        self.fetch_every = check_int("fetch_every", fetch_every, 1, 10**6)

        held = [p for group in optimizer.param_groups for p in group["params"]]
        if not held:
            raise ValueError("optimizer must hold at least one parameter")
        names = {id(p): n for n, p in model.named_parameters()}
        self.layer_names = [names.get(id(p), f"param{i}") for i, p in enumerate(held)]
        self.optimizer = optimizer
        self._stats = UpdateStatistics(held)
        self._nan = torch.full((), math.nan, device=self._stats.params[0].device)

        # pending (device) rows and their host-side companions
        self._rows = PendingRows(self.fetch_every, 3 * self._stats.n, self._stats.params[0].device)
        self._pending_loss: list[Any] = []         # one entry per complete update: tensor, float or None
        self._open: list[torch.Tensor] | None = None  # the update between pre and post hook
        self._loss_next: list[Any] = []            # losses logged before the update they belong to
        self._updates_since_log = 0
        self._logged_any = False
        self._lr: list[float] = []
        self._scale: list[float] = []
        self._skipped: list[int] = []
        # fetched (host) columns
        self._cols: dict[str, list[np.ndarray]] = {k: [] for k in (
            "loss", "grad_norm", "update_ratio", "update_ratio_max", "tensor_grad_norm", "tensor_update_ratio")}
        self._flags: list[Flag] = []
        self._base: dict[str, float | None] = {"loss": None, "grad_norm": None}
        self._first_loss: float | None = None
        self._handles = [optimizer.register_step_pre_hook(self._pre), optimizer.register_step_post_hook(self._post)]

    # -- hooks ------------------------------------------------------------------------------------------------

    def _pre(self, optimizer: Optimizer, args: Any, kwargs: Any) -> None:
        if len(self._pending_loss) >= self.fetch_every:
            self._fetch()
        self._lr.append(float(optimizer.param_groups[0]["lr"]))
        if self.scaler is not None:
            self._scale.append(float(self.scaler.get_scale()) if self.scaler.is_enabled() else 1.0)
        self._open = self._stats.before_step()

    def _post(self, optimizer: Optimizer, args: Any, kwargs: Any) -> None:
        if self._open is None:  # a step that our pre-hook did not see (hooks attached mid-step)
            return
        # one row per update (see the module docstring for why not a list of 0-d tensors)
        self._rows._write(self._open + self._stats.after_step())
        self._open = None
        if self._loss_next:
            self._pending_loss.append(_mean(self._loss_next))
            self._loss_next = []
        else:
            self._pending_loss.append(None)
        self._updates_since_log += 1

    # -- the loop's side --------------------------------------------------------------------------------------

    def log_loss(self, loss: torch.Tensor | float) -> None:
        """Record the loss of the current iteration (call it before or after ``optimizer.step()``).

        Called after the step, it belongs to the update just made; called before, to the next one (several
        calls before one step -- gradient accumulation -- are averaged). With a ``scaler``, an iteration that
        logged a loss but made no optimizer step is counted as a skipped step.
        """
        if isinstance(loss, torch.Tensor):
            if loss.numel() != 1:
                raise ValueError(f"loss must be a scalar, got a tensor of shape {tuple(loss.shape)}")
            value: Any = loss.detach().reshape(())
        else:
            value = check_real("loss", loss, allow_inf=True) if not (isinstance(loss, float) and math.isnan(loss)) \
                else loss
        if self._updates_since_log and self._pending_loss and self._pending_loss[-1] is None:
            self._pending_loss[-1] = value  # logged after the step it belongs to
        elif self._updates_since_log and not self._pending_loss and self._cols["loss"]:
            self._patch_last_loss(value)     # the step's row was already fetched
        else:
            if self.scaler is not None and self._logged_any and self._updates_since_log == 0:
                self._skipped.append(self.updates)  # a whole iteration went by without an optimizer step
                self._loss_next = []
            self._loss_next.append(value)
        self._updates_since_log = 0
        self._logged_any = True

    step = log_loss  #: alias: ``monitor.step(loss)`` once per iteration

    def close(self) -> None:
        """Remove the hooks (the recorded data stays). Calling it twice is fine."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> WarmupMonitor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- fetching and flags -----------------------------------------------------------------------------------

    def _fetch(self) -> None:
        rows = len(self._pending_loss)
        if not rows:
            return
        stats = self._rows.take()  # one sync per chunk
        loss = np.array([math.nan if v is None else float(v) for v in self._pending_loss])
        start = self.updates_fetched
        self._pending_loss = []
        cols = reduce_statistics(stats, self._stats.weights)
        cols["loss"] = loss
        for key in self._cols:
            self._cols[key].append(cols[key])
        self._flag(start, cols)

    def _patch_last_loss(self, value: Any) -> None:
        last = self._cols["loss"][-1]
        last[-1] = float(value)
        step = self.updates_fetched - 1
        self._check_loss(step, last[-1])

    def _spike(self, key: str, step: int, x: float, factor: float, kind: str) -> None:
        base = self._base[key]
        if not math.isfinite(x):
            return
        if base is None:
            self._base[key] = x
            return
        floor_ok = key != "loss" or self._first_loss is None or x >= self.min_loss * self._first_loss
        if x > factor * base and floor_ok:
            self._flags.append(Flag(step, kind, x / base, factor))
            return  # a spike does not raise the baseline it is judged against
        self._base[key] = self.baseline * base + (1 - self.baseline) * x

    def _check_loss(self, step: int, x: float) -> None:
        if not math.isfinite(x):
            self._flags.append(Flag(step, "non-finite", x, math.inf))
            return
        if self._first_loss is None:
            self._first_loss = x
        self._spike("loss", step, x, self.loss_spike, "loss spike")

    def _flag(self, start: int, cols: dict[str, np.ndarray]) -> None:
        for i in range(len(cols["loss"])):
            t = start + i
            g, r, loss = cols["grad_norm"][i], cols["update_ratio"][i], cols["loss"][i]
            if not (math.isfinite(g) and math.isfinite(r)):
                self._flags.append(Flag(t, "non-finite", g if not math.isfinite(g) else r, math.inf))
            if not math.isnan(loss):
                self._check_loss(t, float(loss))
            self._spike("grad_norm", t, float(g), self.grad_spike, "grad-norm spike")
            if math.isfinite(r) and r > self.ratio_threshold:
                self._flags.append(Flag(t, "update ratio", float(r), self.ratio_threshold))

    def flush(self) -> WarmupMonitor:
        """Fetch every pending statistic from the device and decide its flags (accessors do this for you)."""
        self._fetch()
        return self

    # -- accessors --------------------------------------------------------------------------------------------

    @property
    def updates_fetched(self) -> int:
        return sum(len(c) for c in self._cols["loss"])

    @property
    def updates(self) -> int:
        """Optimizer updates seen so far."""
        return self.updates_fetched + len(self._pending_loss)

    def __len__(self) -> int:
        return self.updates

    @property
    def weight_indices(self) -> list[int]:
        """Indices (into :attr:`layer_names`) of the weight matrices: tensors with two or more dimensions."""
        return list(self._stats.weights)

    def _col(self, key: str) -> np.ndarray:
        self.flush()
        chunks = self._cols[key]
        if not chunks:
            return np.zeros((0, self._stats.n)) if key.startswith("tensor") else np.zeros(0)
        return np.concatenate(chunks)

    @property
    def steps(self) -> np.ndarray:
        return np.arange(self.updates, dtype=np.int64)

    @property
    def lr(self) -> np.ndarray:
        return np.asarray(self._lr[: self.updates], dtype=np.float64)

    @property
    def loss(self) -> np.ndarray:
        """The logged loss per update (nan where none was logged)."""
        return self._col("loss")

    @property
    def grad_norm(self) -> np.ndarray:
        return self._col("grad_norm")

    @property
    def update_ratio(self) -> np.ndarray:
        return self._col("update_ratio")

    @property
    def update_ratio_max(self) -> np.ndarray:
        return self._col("update_ratio_max")

    @property
    def layer_grad_norm(self) -> np.ndarray:
        """``||g_i||`` per update (rows) and parameter tensor (columns, :attr:`layer_names`); needs per_layer."""
        self._need_layers("layer_grad_norm")
        return self._col("tensor_grad_norm")

    @property
    def layer_update_ratio(self) -> np.ndarray:
        """``||ΔW_i|| / ||W_i||`` per update and parameter tensor; needs per_layer."""
        self._need_layers("layer_update_ratio")
        return self._col("tensor_update_ratio")

    def _need_layers(self, what: str) -> None:
        if not self.per_layer:
            raise ValueError(f"{what} needs WarmupMonitor(..., per_layer=True)")

    @property
    def loss_scale(self) -> np.ndarray:
        """The GradScaler's scale at each update (empty without a scaler)."""
        return np.asarray(self._scale[: self.updates], dtype=np.float64)

    @property
    def skipped_steps(self) -> list[int]:
        """Update indices at which the scaler skipped an iteration's step (the update count at the time)."""
        return list(self._skipped)

    @property
    def flags(self) -> list[Flag]:
        """Every flag, in update order (skipped AMP steps included)."""
        self.flush()
        skipped = [Flag(t, "skipped step", 1.0, 0.0) for t in self._skipped]
        return sorted(self._flags + skipped, key=lambda f: (f.step, FLAG_KINDS.index(f.kind)))

    def first_flag(self, kind: str | None = None) -> int | None:
        """The first update flagged (of ``kind``, one of :data:`FLAG_KINDS`, or any kind); None if none."""
        if kind is not None and kind not in FLAG_KINDS:
            raise ValueError(f"kind must be one of {FLAG_KINDS} or None, got {describe(kind)}")
        steps = [f.step for f in self.flags if kind is None or f.kind == kind]
        return min(steps) if steps else None

    # -- reports ----------------------------------------------------------------------------------------------

    def summary(self, layers: int = 3) -> str:
        """A text table: the run in one line, then per signal its threshold, how many updates were flagged, the
        first one and the largest value; with ``per_layer``, the ``layers`` tensors with the largest median
        update ratio."""
        layers = check_int("layers", layers, 0, 10**4)
        n = self.updates
        if not n:
            return "WarmupMonitor: no optimizer updates seen yet"
        lr, loss, g, r = self.lr, self.loss, self.grad_norm, self.update_ratio
        finite_loss = loss[np.isfinite(loss)]
        lines = [
            f"{n} updates; lr {lr[0]:.3g} -> {lr[-1]:.3g} (max {lr.max():.3g})"
            + (f"; loss {finite_loss[0]:.4g} -> {finite_loss[-1]:.4g}" if len(finite_loss) else "; loss not logged"),
            f"grad norm median {_nanmedian(g):.3g} (max {_nanmax(g):.3g}); update ratio median {_nanmedian(r):.3g} "
            f"(max {_nanmax(r):.3g}; rule of thumb ~{RULE_OF_THUMB:g})",
        ]
        flags = self.flags
        rows = [("signal", "threshold", "flagged", "first", "largest")]
        for kind in FLAG_KINDS:
            if kind == "skipped step" and self.scaler is None:
                continue
            mine = [f for f in flags if f.kind == kind]
            thr = {"loss spike": f"{self.loss_spike:g}x baseline", "grad-norm spike": f"{self.grad_spike:g}x baseline",
                   "update ratio": f"> {self.ratio_threshold:g}", "non-finite": "nan/inf",
                   "skipped step": "no step"}[kind]
            big = max((f.value for f in mine), key=lambda v: (math.isfinite(v), v), default=None)
            suffix = "x" if "spike" in kind else ""
            rows.append((kind, thr, str(len(mine)), "-" if not mine else str(mine[0].step),
                         "-" if big is None else f"{big:.3g}{suffix}"))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
                  for row in rows]
        if self.per_layer and layers:
            per = self.layer_update_ratio
            with np.errstate(all="ignore"):
                med = np.array([_nanmedian(per[:, j]) for j in range(per.shape[1])])
            order = [j for j in np.argsort(-np.nan_to_num(med, nan=-1.0)) if j in self.weight_indices][:layers]
            lines.append("largest median update ratio (weight matrices): " + ", ".join(
                f"{self.layer_names[j]} {med[j]:.3g}" for j in order))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"WarmupMonitor({self.updates} updates, {len(self.flags)} flags, per_layer={self.per_layer})"

    def dashboard(self, **kwargs: Any) -> Any:
        """The dashboard figure (LR, loss, gradient norm, update ratio; flags marked): see
        :func:`warmup_course.plotting.plot_monitor`."""
        from warmup_course.plotting import plot_monitor  # heavy (matplotlib): only when drawing

        return plot_monitor(self, **kwargs)


def _mean(values: list[Any]) -> Any:
    if len(values) == 1:
        return values[0]
    if all(isinstance(v, torch.Tensor) for v in values):
        return torch.stack(values).mean()
    return float(np.mean([float(v) for v in values]))


def _nanmedian(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else math.nan


def _nanmax(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.max()) if len(x) else math.nan
