"""The torch adapter: an ``LRScheduler`` that follows any :class:`~warmup_course.schedules.Schedule`.

``WarmupLR(optimizer, schedule)`` sets ``lr = base_lr × schedule(t)`` for each param group, where ``t`` is
the index of the update about to be applied (``scheduler.last_epoch``). Step it once per optimizer update,
after ``optimizer.step()``, as every torch scheduler::

    sched = WarmupLR(opt, warmup_cosine(100, 1000))
    for batch in batches:
        loss(batch).backward(); opt.step(); opt.zero_grad(); sched.step()

Checkpoints: ``state_dict()`` holds only numbers, lists and strings (the schedules themselves are code,
rebuilt by the caller), so ``torch.load(..., weights_only=True)`` reads it. ``load_state_dict()`` then
re-applies the restored step's learning rates to the optimizer: building a scheduler overwrites the
param groups' ``lr`` (https://github.com/pytorch/pytorch/issues/65342), so without this, resuming gives the
wrong lr whenever the optimizer was restored before the scheduler was built. With it, resume is exact in
either order.

For code that expects a plain ``LambdaLR``, :func:`as_lr_lambda` turns a schedule into its ``lr_lambda``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from warmup_course.schedules import Schedule
from warmup_course.validation import MAX_ITEMS, check_int, check_mapping, check_real, describe

__all__ = ["WarmupLR", "as_lr_lambda"]

# Attributes that are code, not state: never written to a checkpoint.
_NOT_STATE = ("optimizer", "schedules", "_fns")


def _set_lr(group: dict[str, Any], lr: Any) -> None:
    # A tensor lr (capturable / compiled optimizers) is updated in place, as torch's schedulers do.
    if isinstance(group["lr"], Tensor):
        group["lr"].fill_(float(lr))
    else:
        group["lr"] = lr


class WarmupLR(LRScheduler):
    """Learning rate ``base_lr × schedule(last_epoch)`` for each param group (closed form, like ``LambdaLR``).

    Args:
        optimizer: any torch optimizer.
        schedule: one :class:`Schedule` for all param groups, or a list with one per param group.
        last_epoch: index of the last update already applied; ``-1`` (default) starts fresh. To resume,
            prefer ``load_state_dict``.

    Inside ``ChainedScheduler`` it behaves as ``LambdaLR`` does: it *sets* the lr, replacing what schedulers
    stepped before it set, and chainable schedulers after it multiply once. To multiply schedules, compose
    them as Schedules (:func:`~warmup_course.schedules.with_warmup`) instead.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedule: Schedule | Sequence[Schedule],
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {optimizer!r} ({type(optimizer).__name__})")
        n_groups = len(optimizer.param_groups)
        if isinstance(schedule, Schedule):
            schedules = [schedule] * n_groups
        elif isinstance(schedule, (list, tuple)):
            if len(schedule) != n_groups:
                raise ValueError(
                    f"schedule must be one Schedule or one per param group ({n_groups}), got a list of {len(schedule)}"
                )
            for i, s in enumerate(schedule):
                if not isinstance(s, Schedule):
                    raise TypeError(f"schedule[{i}] must be a Schedule, got {s!r} ({type(s).__name__})")
            schedules = list(schedule)
        else:
            raise TypeError(
                f"schedule must be a Schedule or a list of them, got {schedule!r} ({type(schedule).__name__})"
            )
        last_epoch = check_int("last_epoch", last_epoch, -1, MAX_ITEMS)
        if last_epoch != -1:
            missing = [i for i, g in enumerate(optimizer.param_groups) if "initial_lr" not in g]
            if missing:
                # torch's own KeyError('initial_lr') would not say which argument is wrong
                raise ValueError(
                    f"last_epoch={last_epoch} resumes a run, but param group {missing[0]} of optimizer has no "
                    "'initial_lr' (it never had a scheduler): start with last_epoch=-1, or restore with "
                    "load_state_dict"
                )
        self.schedules: list[Schedule] = schedules
        # The schedules' pure-Python scalar paths, bound once: one call per group per step.
        self._fns: list[Callable[[float], float]] = [s._scalar for s in schedules]
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float | Tensor]:
        """Learning rates at ``t = last_epoch``: ``base_lr × schedule(t)`` per param group (closed form)."""
        t = self.last_epoch
        if t < 0:
            raise ValueError(f"last_epoch must be >= 0 when computing learning rates, got {t!r}")
        return [base * f(t) for base, f in zip(self.base_lrs, self._fns)]

    _get_closed_form_lr = get_lr  # SequentialLR jumps here at milestones; ours is closed form anyway

    def step(self, epoch: int | None = None) -> None:  # type: ignore[override]
        """Advance to the next update and set each group's lr (call after ``optimizer.step()``)."""
        # The first user step keeps torch's call-order checks, and the deprecated ``epoch`` argument
        # keeps torch's warning; every later step takes the lean path below, which does the same
        # bookkeeping as LRScheduler.step without its per-step context managers and copies.
        # A subclass that overrides get_lr gets torch's full step, which calls it.
        if epoch is not None:
            epoch = check_int("epoch", epoch, 0, MAX_ITEMS)
        if epoch is not None or self._step_count < 2 or type(self).get_lr is not WarmupLR.get_lr:
            super().step(epoch)
            return
        self._step_count += 1
        t = self.last_epoch + 1
        self.last_epoch = t
        last = []
        for group, base, f in zip(self.optimizer.param_groups, self.base_lrs, self._fns):
            lr = base * f(t)
            if isinstance(group["lr"], Tensor):
                group["lr"].fill_(float(lr))
                last.append(group["lr"].clone())
            else:
                group["lr"] = lr
                last.append(lr)
        self._last_lr = last

    def state_dict(self) -> dict[str, Any]:
        """Step counters and base lrs, plus each schedule's repr (to detect a mismatched resume).

        Only plain data: safe for ``torch.load(weights_only=True)``.
        """
        state = {k: v for k, v in self.__dict__.items() if k not in _NOT_STATE}
        state["schedule_reprs"] = [repr(s) for s in self.schedules]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the step and base lrs, then set the param groups' lr for the restored step.

        Re-applying the lr makes resuming exact whether the optimizer's state was loaded before or
        after this scheduler was built (pytorch#65342). A warning is issued if the checkpoint was saved
        with different schedules (the current ones are kept).
        """
        state = _checked_state(state_dict, len(self.optimizer.param_groups))
        saved = state.pop("schedule_reprs", None)
        current = [repr(s) for s in self.schedules]
        if saved is not None and list(saved) != current:
            warnings.warn(
                f"WarmupLR.load_state_dict: the checkpoint was saved with schedules {saved}, "
                f"this scheduler follows {current}; continuing with the current ones.",
                UserWarning,
                stacklevel=2,
            )
        for key in _NOT_STATE:
            state.pop(key, None)
        self.__dict__.update(state)
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            _set_lr(group, lr)
        self._last_lr = [g["lr"].clone() if isinstance(g["lr"], Tensor) else g["lr"] for g in self.optimizer.param_groups]

    def __repr__(self) -> str:
        inner = self.schedules[0] if all(s is self.schedules[0] for s in self.schedules) else self.schedules
        return f"WarmupLR({inner!r}, last_epoch={self.last_epoch})"


def _checked_state(state_dict: Any, n_groups: int) -> dict[str, Any]:
    """A copy of a checkpoint's scheduler state whose fields have the types and ranges WarmupLR needs.

    A checkpoint is untrusted input: a NaN step or base lr would otherwise set every lr to NaN silently.
    Unknown keys are kept (torch's own bookkeeping may add some); the known ones are checked by name.
    """
    state = dict(check_mapping("state_dict", state_dict))
    if "last_epoch" in state:
        state["last_epoch"] = check_int("state_dict['last_epoch']", state["last_epoch"], 0, MAX_ITEMS)
    if "_step_count" in state:
        state["_step_count"] = check_int("state_dict['_step_count']", state["_step_count"], 0)
    for key in ("base_lrs", "_last_lr"):
        if key not in state:
            continue
        values = state[key]
        if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
            raise TypeError(f"state_dict[{key!r}] must be a list with one lr per param group, got {describe(values)}")
        if len(values) != n_groups:
            raise ValueError(
                f"state_dict[{key!r}] has {len(values)} entries (param groups), the optimizer has {n_groups}"
            )
        state[key] = [
            v if isinstance(v, Tensor) and v.numel() == 1 and bool(v.isfinite()) and float(v) >= 0
            else check_real(f"state_dict[{key!r}][{i}]", v, 0.0)
            for i, v in enumerate(values)
        ]
    saved = state.get("schedule_reprs")
    if saved is not None and (isinstance(saved, (str, bytes)) or not isinstance(saved, (list, tuple))):
        raise TypeError(f"state_dict['schedule_reprs'] must be a list of strings, got {describe(saved)}")
    return state


def as_lr_lambda(schedule: Schedule) -> Callable[[int], float]:
    """``schedule`` as an ``lr_lambda`` for ``torch.optim.lr_scheduler.LambdaLR``.

    Returns a plain function (not the schedule object), so ``LambdaLR.state_dict()`` stores nothing for it
    and stays loadable with ``weights_only=True``. Works inside ``SequentialLR`` and ``ChainedScheduler``.
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule, got {schedule!r} ({type(schedule).__name__})")
    call = schedule.__call__

    def lr_lambda(step: int) -> float:
        return call(step)

    lr_lambda.__doc__ = f"LambdaLR multiplier following {schedule!r}."
    return lr_lambda
