"""Record the learning rate every ``optimizer.step()`` used, in any training loop, through torch's step hooks.

::

    with record_lr(optimizer, scheduler, scaler=scaler) as rec:
        for batch in batches:
            ...                    # any loop: plain torch, HF Trainer, Lightning, accelerate, timm's
    report = audit(rec)            # warmup_course.audit reads the recorder (or rec.trace) directly

The recorder registers a step *pre-hook* on the optimizer (``Optimizer.register_step_pre_hook``): it runs at the
start of every ``optimizer.step()``, before the update, so the LR it reads from ``param_groups[i]["lr"]`` is the
one that update uses; a *post-hook* confirms the step completed. Nothing in the loop changes.

It also sees two things a plain LR log misses:

* **skipped updates.** AMP's ``GradScaler.step(optimizer)`` does not call ``optimizer.step()`` when the
  gradients hold inf/NaN. With ``scaler`` given, ``scaler.step`` is wrapped to notice a step that did not happen;
  without it, a ``scheduler.step()`` with no ``optimizer.step()`` since the previous one counts as a skip.
* **scheduler calls.** With ``scheduler`` given, its ``step`` method is wrapped (an instance attribute, removed
  again on exit) to record how many updates had been applied at each call -- so the audit can tell a scheduler
  stepped per micro-batch, per epoch, or on skipped updates.

``close()`` (or leaving the ``with`` block) removes the hooks and the wrappers; the trace stays readable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch.optim import Optimizer

from warmup_course.audit import LRTrace
from warmup_course.validation import describe

__all__ = ["LRRecorder", "record_lr"]


class LRRecorder:
    """The handle :func:`record_lr` returns: recording until :meth:`close`; ``trace`` is what it saw so far."""

    def __init__(self, optimizer: Optimizer, scheduler: Any = None, scaler: Any = None) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {describe(optimizer)}")
        if scheduler is not None and not callable(getattr(scheduler, "step", None)):
            raise TypeError(f"scheduler must have a step() method (an LR scheduler) or be None, got {describe(scheduler)}")
        if scaler is not None and not callable(getattr(scaler, "step", None)):
            raise TypeError(f"scaler must be a torch.amp.GradScaler (with a step() method) or None, got {describe(scaler)}")
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.scaler = scaler
        self._rows: list[list[float]] = []
        self._pending: list[float] | None = None
        self._skipped: list[int] = []
        self._calls: list[int] = []
        self._base = [g.get("initial_lr", g["lr"]) for g in optimizer.param_groups]
        self._handles = [optimizer.register_step_pre_hook(self._pre), optimizer.register_step_post_hook(self._post)]
        self._patched: list[tuple[Any, bool, Any]] = []
        if scheduler is not None:
            self._patch(scheduler, self._wrap_scheduler(scheduler.step))
        if scaler is not None:
            self._patch(scaler, self._wrap_scaler(scaler.step))
        self.closed = False

    # --- hooks: keep them to a few list operations (they run on every optimizer step)
    def _pre(self, optimizer: Optimizer, args: Any, kwargs: Any) -> None:
        self._pending = [float(g["lr"]) for g in optimizer.param_groups]

    def _post(self, optimizer: Optimizer, args: Any, kwargs: Any) -> None:
        if self._pending is not None:
            self._rows.append(self._pending)
            self._pending = None

    def _wrap_scheduler(self, step: Any) -> Any:
        def step_and_record(*args: Any, **kwargs: Any) -> Any:
            # how many updates were applied when the scheduler stepped: two calls at the same count mean a
            # scheduler step on an update the optimizer skipped (or per micro-batch); audit() reads the pattern
            n = len(self._rows)
            self._calls.append(n)
            return step(*args, **kwargs)
        return step_and_record

    def _wrap_scaler(self, step: Any) -> Any:
        def step_and_check(optimizer: Any, *args: Any, **kwargs: Any) -> Any:
            before = len(self._rows)
            out = step(optimizer, *args, **kwargs)
            if optimizer is self.optimizer and len(self._rows) == before:
                self._skipped.append(before)  # GradScaler found inf/NaN and skipped optimizer.step()
            return out
        return step_and_check

    def _patch(self, obj: Any, wrapper: Any) -> None:
        had = "step" in vars(obj)
        self._patched.append((obj, had, vars(obj).get("step")))
        obj.step = wrapper

    def close(self) -> None:
        """Remove the hooks and restore the wrapped ``step`` methods (safe to call twice)."""
        if self.closed:
            return
        for h in self._handles:
            h.remove()
        for obj, had, old in reversed(self._patched):
            if had:
                obj.step = old
            else:
                del obj.step
        self._patched.clear()
        self.closed = True

    def __enter__(self) -> LRRecorder:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def trace(self) -> LRTrace:
        """An :class:`~warmup_course.audit.LRTrace` of everything recorded so far (a snapshot)."""
        groups = len(self.optimizer.param_groups)
        lrs = np.array(self._rows, dtype=np.float64).reshape(len(self._rows), -1 if self._rows else groups)
        calls = np.array(self._calls, dtype=np.int64) if self.scheduler is not None else None
        base = tuple(float(b) for b in self._base) if lrs.shape[1] == len(self._base) else None
        return LRTrace(lrs, np.array(self._skipped, dtype=np.int64), calls, base)

    @property
    def lrs(self) -> np.ndarray:
        """Param group 0's LR per applied update (1-D float64)."""
        return self.trace.lr

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"LRRecorder(updates={len(self)}, skipped={len(self._skipped)}, closed={self.closed})"


def record_lr(optimizer: Optimizer, scheduler: Any = None, *, scaler: Any = None) -> LRRecorder:
    """Start recording ``optimizer``'s LR per ``step()``; use as a context manager or call ``close()``.

    Args:
        optimizer: any torch optimizer (hooks: ``register_step_pre_hook`` / ``register_step_post_hook``).
        scheduler: the LR scheduler whose ``step()`` calls to record (optional; any object with ``step``).
        scaler: a ``torch.amp.GradScaler`` whose ``step(optimizer)`` may skip the update (optional).
    """
    return LRRecorder(optimizer, scheduler, scaler)
