"""One careful training loop, :func:`train`, and the :class:`History` it returns.

The loop is the one a reader would write by hand::

    for t in range(steps):
        optimizer.zero_grad()
        for _ in range(grad_accum):                      # micro-batches of one update
            x, y = next(batches)
            (cross_entropy(model(x), y) / grad_accum).backward()
        optimizer.step()
        scheduler.step()                                 # once per update: lr_t = base_lr * schedule(t)

made careful in four ways:

* **The schedule counts updates.** ``t`` is the index of the optimizer update about to be applied; with
  gradient accumulation the scheduler advances once per ``grad_accum`` micro-batches, never per micro-batch
  or per epoch (the convention of torch's schedulers and of Goyal et al. 2017, https://arxiv.org/abs/1706.02677).
* **It records what warmup is about**, per update: the learning rate, the loss, the gradient norm
  ``||g||`` and the relative update size ``||W_{t+1} - W_t|| / ||W_t||`` over all parameters (and its maximum
  over the weight tensors -- the quantity LARS, You et al. 2017 https://arxiv.org/abs/1708.03888, keeps in
  check), plus evaluation metrics at a chosen interval.
* **Divergence ends the run, not the notebook.** A non-finite loss, or a loss above ``diverge_factor`` times
  the first update's loss, stops training; ``History`` records the step and the reason. ``train`` never
  raises because a run blew up.
* **It is fast and reproducible.** Statistics stay on the device and are fetched every few dozen updates
  (no host/device synchronisation per step); small datasets are batched straight from tensors; torch runs
  one intra-op thread by default (:func:`warmup_course.runtime.set_threads`); and all randomness comes from
  ``seed``, so the same call in two processes gives a bit-identical ``History`` on the CPU.

The data object is anything with ``batches(batch_size, *, seed, device)`` and ``eval_sets(device)``
(see :mod:`warmup_course.data`); the loss is the cross-entropy between the model's last output dimension
and integer targets.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR, LRScheduler

from warmup_course.monitor import PendingRows, UpdateStatistics, reduce_statistics
from warmup_course.runtime import set_threads
from warmup_course.scheduler import WarmupLR
from warmup_course.schedules import Schedule
from warmup_course.validation import (
    MAX_ITEMS,
    check_array,
    check_bool,
    check_choice,
    check_mapping,
    check_seed,
    check_str,
    check_tensor,
    describe,
)
from warmup_course.validation import check_int as _check_int
from warmup_course.validation import check_real

__all__ = ["History", "train", "evaluate"]

OptimizerLike = Union[Optimizer, Callable[[Iterable[nn.Parameter]], Optimizer]]
ScheduleLike = Union[Schedule, Sequence[Schedule], Callable[[int], float], None]
Probe = Callable[[nn.Module], Union[float, torch.Tensor]]

#: Updates between fetches of the recorded statistics from the device (and divergence checks).
FETCH_EVERY = 32
#: Examples per forward pass when evaluating (bounds memory on large evaluation sets).
EVAL_BATCH = 4096
_PER_UPDATE = ("lr", "loss", "grad_norm", "update_ratio", "update_ratio_max")
_OPTIMIZER_KEYS = ("lr", "momentum", "dampening", "nesterov", "betas", "eps", "weight_decay", "amsgrad")


# ----------------------------------------------------------------------------------------------- History


def _encode(values: np.ndarray) -> list:
    """Array -> nested JSON list; non-finite floats become the strings "nan", "inf", "-inf" (strict JSON)."""
    if values.dtype.kind == "f":
        return [_encode(v) if np.ndim(v) else (float(v) if math.isfinite(v) else str(float(v))) for v in values]
    return values.tolist()


@dataclass(eq=False)
class History:
    """What one :func:`train` run recorded. Arrays are numpy; ``step[i]`` is the index of update ``i``.

    Per update ``t`` (arrays of length ``len(step)``): ``lr`` (param group 0, the lr *used* by update ``t``),
    ``loss`` (mean training loss of the update's micro-batches), ``grad_norm`` (``||g||`` over all parameters,
    before the step), ``update_ratio`` (``||ΔW|| / ||W||`` over all parameters) and ``update_ratio_max`` (the
    largest per-tensor ``||ΔW|| / ||W||`` among weight tensors with two or more dimensions -- biases and
    norm gains start at or near zero norm, which would make their ratio meaningless).

    ``eval_step[j]`` is the number of updates applied before evaluation ``j``; ``eval[name][j]`` its value, for
    names like ``"train_loss"``, ``"test_loss"``, ``"test_acc"`` (plus any probes). When ``diverged``, the
    arrays end at the update ``diverged_step`` that diverged and ``divergence_reason`` says why.
    ``tensor_names`` / ``tensor_update_ratio`` (shape ``(updates, tensors)``) are filled only with
    ``train(..., per_tensor=True)``. ``config`` describes the run (JSON-safe values only).
    """

    step: np.ndarray
    lr: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    update_ratio: np.ndarray
    update_ratio_max: np.ndarray
    eval_step: np.ndarray
    eval: dict[str, np.ndarray]
    diverged: bool = False
    diverged_step: int | None = None
    divergence_reason: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    tensor_names: list[str] | None = None
    tensor_update_ratio: np.ndarray | None = None

    def __post_init__(self) -> None:
        # A History is also built from untrusted data (from_dict/from_json): arrays of different lengths would
        # otherwise give silently misaligned tables and plots.
        self.step = _as_array("step", self.step, np.int64)
        n = len(self.step)
        for name in _PER_UPDATE:
            setattr(self, name, _as_array(name, getattr(self, name), np.float64, n))
        self.eval_step = _as_array("eval_step", self.eval_step, np.int64)
        check_mapping("eval", self.eval)
        self.eval = {
            check_str("eval key", k): _as_array(f"eval[{k!r}]", v, np.float64, len(self.eval_step), "eval_step")
            for k, v in self.eval.items()
        }
        self.diverged = check_bool("diverged", self.diverged)
        if self.diverged_step is not None:
            self.diverged_step = _check_int("diverged_step", self.diverged_step, 0, MAX_ITEMS)
        if self.divergence_reason is not None:
            check_str("divergence_reason", self.divergence_reason, nonempty=False)
        check_mapping("config", self.config)
        if self.tensor_names is not None and (
            not isinstance(self.tensor_names, (list, tuple)) or not all(isinstance(x, str) for x in self.tensor_names)
        ):
            raise TypeError(f"tensor_names must be a list of strings or None, got {describe(self.tensor_names)}")
        if self.tensor_update_ratio is not None:
            self.tensor_update_ratio = check_array("tensor_update_ratio", self.tensor_update_ratio, ndim=2)
            if len(self.tensor_update_ratio) != n:
                raise ValueError(
                    f"tensor_update_ratio must have one row per update ({n}), got {len(self.tensor_update_ratio)}"
                )

    def __len__(self) -> int:
        return len(self.step)

    # -- summaries ------------------------------------------------------------------------------------

    def _series(self, metric: str) -> np.ndarray:
        check_str("metric", metric)
        if metric in _PER_UPDATE or metric == "step":
            return getattr(self, metric)
        if metric in self.eval:
            return self.eval[metric]
        known = ", ".join([*_PER_UPDATE, *self.eval])
        raise _UnknownMetric(f"metric must be one of {known}; got {metric!r}")

    def final(self, metric: str = "loss") -> float:
        """The last recorded value of ``metric`` (a per-update array or an eval name); nan if none."""
        values = self._series(metric)
        return float(values[-1]) if len(values) else math.nan

    def best(self, metric: str = "loss", mode: str | None = None) -> float:
        """Best finite value of ``metric``: the maximum for names ending in ``acc``, else the minimum."""
        values = np.asarray(self._series(metric), dtype=float)
        if mode is not None:
            check_choice("mode", mode, ("min", "max"))
        mode = mode or ("max" if metric.endswith("acc") else "min")
        finite = values[np.isfinite(values)]
        if not len(finite):
            return math.nan
        return float(finite.max() if mode == "max" else finite.min())

    def steps_to(self, target: float, metric: str = "loss") -> int | None:
        """First update index (or eval step) where ``metric <= target`` (``>=`` for accuracies); None if never."""
        target = check_real("target", target)  # nan would compare False everywhere: a silent "never"
        values = np.asarray(self._series(metric), dtype=float)
        hit = values >= target if metric.endswith("acc") else values <= target
        where = np.flatnonzero(hit)
        if not len(where):
            return None
        steps = self.step if metric in _PER_UPDATE else self.eval_step
        return int(steps[where[0]])

    # -- views ----------------------------------------------------------------------------------------

    def to_rows(self, kind: str = "updates") -> list[dict[str, Any]]:
        """One dict per update (``kind="updates"``) or per evaluation (``kind="eval"``)."""
        check_choice("kind", kind, ("updates", "eval"))
        if kind == "updates":
            cols = {"step": self.step, **{name: getattr(self, name) for name in _PER_UPDATE}}
            steps = self.step
        elif kind == "eval":
            cols = {"step": self.eval_step, **self.eval}
            steps = self.eval_step
        else:
            raise ValueError(f"kind must be 'updates' or 'eval', got {kind!r}")
        return [{k: (int(v[i]) if k == "step" else float(v[i])) for k, v in cols.items()} for i in range(len(steps))]

    def table(self, kind: str = "updates", every: int | None = None) -> str:
        """Fixed-width text table of :meth:`to_rows` (4 significant digits), every ``every``-th row.

        The default ``every`` shows about 10 rows (always including the last).
        """
        if every is not None:
            every = _check_int("every", every, 1)
        rows = self.to_rows(kind)
        if not rows:
            return "(no rows)"
        if every is None:
            every = max(1, math.ceil(len(rows) / 10))
        picked = rows[::every]
        if picked[-1] is not rows[-1]:
            picked.append(rows[-1])
        headers = list(rows[0])
        cells = [[str(r[h]) if h == "step" else f"{r[h]:.4g}" for h in headers] for r in picked]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
        if self.diverged and kind == "updates":
            lines.append(f"diverged at step {self.diverged_step}: {self.divergence_reason}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        parts = [f"{len(self)} updates"]
        if len(self):
            parts.append(f"loss {self.loss[0]:.4g} -> {self.loss[-1]:.4g}")
        for name in ("test_loss", "test_acc"):
            if name in self.eval and len(self.eval[name]):
                parts.append(f"{name} {self.eval[name][-1]:.4g}")
        parts.append(f"diverged at step {self.diverged_step}" if self.diverged else "not diverged")
        return f"History({', '.join(parts)})"

    # -- serialisation -----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain, strict-JSON data (non-finite floats as the strings ``"nan"``, ``"inf"``, ``"-inf"``)."""
        out: dict[str, Any] = {"step": self.step.tolist(), "eval_step": self.eval_step.tolist()}
        for name in _PER_UPDATE:
            out[name] = _encode(getattr(self, name))
        out["eval"] = {k: _encode(v) for k, v in self.eval.items()}
        out.update(
            diverged=self.diverged,
            diverged_step=self.diverged_step,
            divergence_reason=self.divergence_reason,
            config=self.config,
            tensor_names=self.tensor_names,
            tensor_update_ratio=None if self.tensor_update_ratio is None else _encode(self.tensor_update_ratio),
        )
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        """Inverse of :meth:`to_dict`. The data is untrusted: a missing key or a malformed field is a
        ``ValueError``/``TypeError`` naming it (``data['loss']``...)."""
        check_mapping("data", data, keys=("step", "eval_step", "eval", "diverged", *_PER_UPDATE))

        def floats(values: Any, key: str = "") -> np.ndarray:
            if isinstance(values, (str, bytes, Mapping)) or values is None:
                raise TypeError(f"data[{key!r}] must be a list of numbers, got {describe(values)}")
            try:  # "nan", "inf", "-inf" are how to_dict writes non-finite floats
                return np.asarray(values, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"data[{key!r}] must be a list of numbers ({exc})") from None

        def ints(key: str) -> np.ndarray:
            return _as_array(f"data[{key!r}]", data[key], np.int64)

        check_mapping("data['eval']", data["eval"])
        ratio = data.get("tensor_update_ratio")
        if ratio is not None:
            ratio = floats(ratio, "tensor_update_ratio")
            if ratio.size == 0:  # no updates: json has lost the number of columns
                ratio = ratio.reshape(0, len(data.get("tensor_names") or []))
            if ratio.ndim != 2:
                raise ValueError(f"data['tensor_update_ratio'] must be 2-dimensional, got shape {ratio.shape}")
        return cls(
            step=ints("step"),
            eval_step=ints("eval_step"),
            eval={k: floats(v, f"eval.{k}") for k, v in data["eval"].items()},
            diverged=data["diverged"],
            diverged_step=data.get("diverged_step"),
            divergence_reason=data.get("divergence_reason"),
            config=dict(check_mapping("data['config']", data.get("config", {}))),
            tensor_names=data.get("tensor_names"),
            tensor_update_ratio=ratio,
            **{name: floats(data[name], name) for name in _PER_UPDATE},
        )

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as a JSON string (``json.dumps`` keyword arguments pass through)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    @classmethod
    def from_json(cls, text: str) -> History:
        """Inverse of :meth:`to_json`; text that is not JSON is a ``ValueError`` naming ``text``."""
        check_str("text", text)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"text must be a History's JSON ({exc})") from None
        return cls.from_dict(data)

    def __eq__(self, other: object) -> bool:
        """Exact equality of every field (nan equals nan): what "bit-identical runs" means."""
        if not isinstance(other, History):
            return NotImplemented
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, dict) and f.name == "eval":
                if a.keys() != b.keys() or not all(_same(a[k], b[k]) for k in a):
                    return False
            elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if a is None or b is None or not _same(a, b):
                    return False
            elif a != b:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]


class _UnknownMetric(KeyError, ValueError):
    """A metric name the History does not have: a KeyError (a missing key) and a ValueError (a bad argument)."""


def _as_array(name: str, values: Any, dtype: Any, length: int | None = None, like: str = "step") -> np.ndarray:
    """``values`` as a 1-D array of ``dtype`` (of ``length`` items when given), or an error naming ``name``."""
    if isinstance(values, (str, bytes, Mapping)) or values is None:
        raise TypeError(f"{name} must be a 1-D array, got {describe(values)}")
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a rectangular array ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    if dtype is np.int64:
        if arr.size and arr.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64, copy=False)
    else:
        if arr.size and (arr.dtype.kind not in "iuf" and arr.dtype.kind != "U"):
            raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
        try:
            arr = arr.astype(np.float64, copy=False)
        except ValueError as exc:
            raise ValueError(f"{name} must hold numbers ({exc})") from None
    if length is not None and len(arr) != length:
        raise ValueError(f"{name} must have {length} entries, as many as {like}, got {len(arr)}")
    return arr


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


# ----------------------------------------------------------------------------------------------- checks



def _check_device(device: Any) -> torch.device:
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"device must be a torch device such as 'cpu' or 'cuda', got {device!r}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} asked for CUDA, but torch.cuda.is_available() is False")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} asked for MPS, but torch.backends.mps.is_available() is False")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'mps', got {device!r}")
    return dev


def _prefer_foreach(opt: Optimizer) -> None:
    """Ask torch's multi-tensor (``foreach``) implementation for CPU groups that left ``foreach`` unset.

    torch defaults to it only on CUDA; on CPU it picks the per-tensor Python loop. For SGD, Adam and AdamW both run
    the same arithmetic (``tests/test_training.py`` checks bit-identical runs), the multi-tensor one with far fewer
    Python calls: about 10 % of a course Transformer update. RAdam's and NAdam's differ in the last bits, so they are
    left alone. Only for optimizers ``train`` builds from a factory; one the caller built is used exactly as given.
    """
    if not isinstance(opt, (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW)):
        return
    for group in opt.param_groups:
        if "foreach" not in group or group["foreach"] is not None:
            continue  # no such option (peers such as Prodigy), or the caller chose
        if group.get("fused") or group.get("differentiable") or group.get("capturable"):
            continue  # torch refuses foreach with these
        if all(p.device.type == "cpu" for p in group["params"]):
            group["foreach"] = True


def _make_optimizer(optimizer: OptimizerLike, model: nn.Module) -> Optimizer:
    """Build (if a factory) and check that the optimizer updates exactly the model's trainable parameters."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    if isinstance(optimizer, Optimizer):
        opt = optimizer
    elif callable(optimizer):
        opt = optimizer(trainable)
        if not isinstance(opt, Optimizer):
            raise TypeError(f"optimizer factory must return a torch.optim.Optimizer, got {type(opt).__name__}")
        _prefer_foreach(opt)
    else:
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer or a factory params -> Optimizer, got {optimizer!r}"
        )
    held = {id(p) for group in opt.param_groups for p in group["params"]}
    own = {id(p) for p in model.parameters()}
    foreign = len(held - own)
    if foreign:
        raise ValueError(
            f"optimizer holds {foreign} tensor(s) that are not parameters of model (was it built for another "
            "model? pass a factory such as functools.partial(torch.optim.SGD, lr=0.1) to build it for this one)"
        )
    missing = sum(1 for p in trainable if id(p) not in held)
    if missing:
        raise ValueError(
            f"optimizer does not hold {missing} of the model's {len(trainable)} trainable parameter tensors; "
            "they would get gradients but never be updated (set requires_grad=False to freeze them)"
        )
    return opt


class _EvalSteps:
    """The updates before which ``train`` evaluates (0, k, 2k, ... and ``steps``), as O(1) membership: a set of
    them would cost memory proportional to ``steps``."""

    def __init__(self, steps: int, every: int | None) -> None:
        self.steps, self.every = steps, every

    def __contains__(self, t: int) -> bool:
        if self.every == 0:
            return False
        return t == self.steps or (self.every is not None and 0 <= t < self.steps and t % self.every == 0)


def _lr_value(lr: Any) -> float:
    """A param group's lr as a float: a tensor lr is read now (it is updated in place later, so keeping the
    tensor would make every recorded lr alias its final value)."""
    return float(lr) if isinstance(lr, torch.Tensor) else lr


def _probe_value(name: str, value: Any) -> Any:
    """A probe's result if it is a real number or a one-element tensor; otherwise a TypeError at the first
    evaluation, naming the probe (not after the whole run, when the History is assembled)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.is_complex():
            raise TypeError(f"probes[{name!r}] must return a number, got a tensor of shape {tuple(value.shape)}")
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"probes[{name!r}] must return a number, got {describe(value)}")
    return value


def _checked_multiplier(schedule: Callable[[int], Any]) -> Callable[[int], float]:
    """``schedule`` as a LambdaLR ``lr_lambda`` that refuses a multiplier that is not a finite number >= 0.

    A negative multiplier would run gradient ascent, and None or a string would fail deep inside torch.
    """
    def lr_lambda(t: int) -> float:
        value = schedule(t)
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"schedule(t) must return a number, got {describe(value)} at t={t}")
        value = float(value)
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"schedule(t) must return a finite multiplier >= 0, got {value!r} at t={t}")
        return value

    return lr_lambda


def _make_scheduler(optimizer: Optimizer, schedule: ScheduleLike) -> LRScheduler | None:
    if schedule is None:
        return None
    # A ready LRScheduler, or a factory optimizer -> LRScheduler (a scheduler class or a partial of one), e.g. the
    # feedback controllers of warmup_course.adaptive; one with `needs_loss` is stepped as step(loss).
    func = schedule.func if isinstance(schedule, functools.partial) else schedule
    if isinstance(func, type) and issubclass(func, LRScheduler):
        schedule = schedule(optimizer)
    if isinstance(schedule, LRScheduler):
        if schedule.optimizer is not optimizer:
            raise ValueError("schedule is an LRScheduler built on another optimizer than the one train() uses")
        return schedule
    if isinstance(schedule, Schedule) or (
        isinstance(schedule, (list, tuple)) and all(isinstance(s, Schedule) for s in schedule)
    ):
        return WarmupLR(optimizer, schedule)
    if callable(schedule):  # any t -> multiplier function
        return LambdaLR(optimizer, _checked_multiplier(schedule))
    raise TypeError(f"schedule must be a Schedule, a list of Schedules, a callable t -> float or None, got {schedule!r}")


def _describe(obj: Any) -> str:
    """A repr without memory addresses (so configs are identical across processes)."""
    text = repr(obj)
    if " at 0x" in text:
        return getattr(obj, "__qualname__", type(obj).__qualname__)
    return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value)
    return _describe(value)


# ----------------------------------------------------------------------------------------------- evaluation


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy and accuracy of ``model`` on ``(x, y)`` in eval mode, as device scalars.

    The model's training mode is restored afterwards. Accuracy counts each target position (token) once.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_tensor("x", x, ndim=range(1, 9))
    check_tensor("y", y, floating=False)
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} and {len(y)}")
    was_training = model.training
    model.eval()
    try:
        loss_sum = torch.zeros((), device=x.device)
        correct = torch.zeros((), device=x.device)
        for i in range(0, len(x), EVAL_BATCH):
            out = model(x[i : i + EVAL_BATCH]).flatten(0, -2)
            target = y[i : i + EVAL_BATCH].flatten()
            loss_sum += F.cross_entropy(out.float(), target, reduction="sum")
            correct += (out.argmax(-1) == target).sum()
        n = y.numel()
        return loss_sum / n, correct / n
    finally:
        model.train(was_training)


def _check_fits(model: nn.Module, eval_sets: Mapping[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
    """One eval-mode forward on two examples: shape errors surface as a clear ValueError before training."""
    name, (x, y) = next(iter(eval_sets.items()))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x[:2])
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"model cannot take data's inputs of shape {tuple(x.shape[1:])}: {exc}") from exc
    finally:
        model.train(was_training)
    if out.ndim != y.ndim + 1 or out.shape[:-1] != y[:2].shape:
        raise ValueError(
            f"model output must have shape (*target_shape, classes) = {(*y[:2].shape, 'C')}, "
            f"got {tuple(out.shape)} for {name} inputs of shape {tuple(x[:2].shape)}"
        )


# ----------------------------------------------------------------------------------------------- recording


class _Recorder:
    """Per-update statistics kept on the device, fetched every FETCH_EVERY updates.

    The statistics are :mod:`warmup_course.monitor`'s (one implementation for ``train()`` and
    :class:`~warmup_course.monitor.WarmupMonitor`): per update four fused ``torch._foreach_*`` kernels (the kind
    ``clip_grad_norm_`` and the optimizers use): norms of the gradients and weights, a copy of the weights, and
    after the step ``W_t - W_{t+1}`` and its norms. Each update's results are written as one row of a
    preallocated buffer (one ``torch.stack(..., out=row)``); the ratios and the maxima happen once per chunk
    (:func:`~warmup_course.monitor.reduce_statistics`). With
    ``diagnostics=False`` only the loss is kept (the other columns are nan), for sweeps where nothing else is
    looked at.
    """

    def __init__(self, params: list[nn.Parameter], names: list[str], per_tensor: bool, diagnostics: bool,
                 device: torch.device):
        self.names = names
        self.per_tensor = per_tensor and diagnostics
        self.diagnostics = diagnostics
        self.stats = UpdateStatistics(params) if diagnostics else None
        self.width = 3 * len(params) + 1 if diagnostics else 1  # loss, |g_i| (n), |W_i| (n), |dW_i| (n)
        # One preallocated row per pending update, not `width` live 0-d tensors: thousands of small live
        # allocations fragment the heap the forward/backward passes use (benchmarks/bench_stats_cost.py).
        self.rows = PendingRows(FETCH_EVERY, self.width, device)
        self.open: list[torch.Tensor] = []  # the current update's tensors, between before_step and after_step
        self.lr: list[float] = []
        self.chunks: list[np.ndarray] = []
        self.per_tensor_chunks: list[np.ndarray] = []
        #: Under DistributedDataParallel each worker's loss is its shard's: average it over the workers (one
        #: all-reduce per chunk) so every worker records the global batch's loss and stops at the same update.
        self.world_size, self.group = 1, None

    def before_step(self, loss: torch.Tensor, lr: float) -> None:
        self.lr.append(lr)
        self.open = [loss] + self.stats.before_step() if self.stats is not None else [loss]

    def after_step(self) -> None:
        if self.stats is not None:
            self.open += self.stats.after_step()
        self.rows._write(self.open)  # shape right by construction: the unchecked path
        self.open = []

    def fetch(self) -> np.ndarray:
        """Move pending statistics to the host; returns the new rows (loss, grad_norm, ratio, ratio_max)."""
        if not self.rows.count:
            return np.zeros((0, 4))
        if self.world_size > 1:
            pending = self.rows.pending()
            losses = pending[:, 0].double()
            torch.distributed.all_reduce(losses, group=self.group)  # sum over workers (gloo has no AVG)
            stats = self.rows.take()
            stats[:, 0] = losses.cpu().numpy() / self.world_size
        else:
            stats = self.rows.take()  # one sync per chunk
        if self.stats is None:
            rows = np.full((len(stats), 4), np.nan)
            rows[:, 0] = stats[:, 0]
            self.chunks.append(rows)
            return rows
        cols = reduce_statistics(stats[:, 1:], self.stats.weights)
        rows = np.column_stack([stats[:, 0], cols["grad_norm"], cols["update_ratio"], cols["update_ratio_max"]])
        self.chunks.append(rows)
        if self.per_tensor:
            self.per_tensor_chunks.append(cols["tensor_update_ratio"])
        return rows


# ----------------------------------------------------------------------------------------------- train


def train(
    model: nn.Module,
    data: Any,
    optimizer: OptimizerLike,
    schedule: ScheduleLike,
    steps: int,
    batch_size: int,
    *,
    seed: int,
    grad_accum: int = 1,
    device: str | torch.device = "cpu",
    eval_every: int | None = None,
    diverge_factor: float | None = 10.0,
    threads: int | None = None,
    diagnostics: bool = True,
    per_tensor: bool = False,
    probes: Mapping[str, Probe] | None = None,
    clip_norm: float | None = None,
) -> History:
    """Train ``model`` on ``data`` for ``steps`` optimizer updates and return its :class:`History`.

    Args:
        model: a ``torch.nn.Module`` whose output's last dimension holds class scores (moved to ``device``).
        data: an object with ``batches(batch_size, *, seed, device)`` and ``eval_sets(device)``, e.g.
            :func:`warmup_course.data.load_digits` or :class:`warmup_course.data.SequenceTask`.
        optimizer: a ``torch.optim.Optimizer`` over the model's parameters, or a factory
            ``params -> Optimizer`` such as ``functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9)``.
        schedule: multiplier of the base lr per update, ``lr_t = base_lr * schedule(t)``: a
            :class:`~warmup_course.schedules.Schedule` (or one per param group) driven by
            :class:`~warmup_course.scheduler.WarmupLR`, any callable ``t -> float``, or None (constant lr);
            or an ``LRScheduler`` built on ``optimizer`` / a factory ``optimizer -> LRScheduler`` (a scheduler class
            or ``functools.partial`` of one), stepped as ``step(loss)`` if it has ``needs_loss = True``.
        steps: number of optimizer updates (= scheduler steps).
        batch_size: examples per micro-batch; an update sees ``batch_size * grad_accum`` examples.
        seed: seeds the batch order and any randomness inside the model (dropout); torch's global random
            state is restored afterwards. (The model's initial weights come from its builder's seed.)
        grad_accum: micro-batches whose gradients are averaged into one update.
        device: where to train, ``"cpu"`` (default), ``"cuda"`` or ``"mps"``.
        eval_every: evaluate every this many updates (at 0, k, 2k, ... and at the end); None (default):
            only at the end; 0: never. Metrics are ``<set>_loss`` and ``<set>_acc`` for each of
            ``data.eval_sets()``, plus ``probes``.
        diverge_factor: stop when the loss exceeds this multiple of the first update's loss (None: only
            a non-finite loss stops the run).
        threads: torch intra-op threads (default: :func:`warmup_course.runtime.set_threads`'s default, 1).
        diagnostics: record ``grad_norm`` and the update ratios (default). False records only lr and loss
            (the other arrays are nan) and saves their cost (about 0.1-0.3 ms per update on a CPU for the
            course's models), for large sweeps.
        per_tensor: also record every parameter tensor's ``||ΔW||/||W||`` (``History.tensor_update_ratio``).
        probes: ``{name: fn(model) -> float}``, evaluated with the metrics, recorded as ``History.eval[name]``
            (e.g. the fraction of dead ReLUs).
        clip_norm: clip the global gradient norm to this value before each update
            (``torch.nn.utils.clip_grad_norm_``, as nanoGPT's ``grad_clip``); None (default): no clipping.
            ``History.grad_norm`` records the norm before clipping.

    Returns:
        A :class:`History`. A run that diverges stops early with ``diverged=True``; it never raises.
        Divergence is noticed when the statistics are fetched (every ``FETCH_EVERY`` updates), so the model
        may have taken up to ``FETCH_EVERY - 1`` more (useless) updates; the History ends at the bad one.
    """
    # -- validate everything before any work -------------------------------------------------------------
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not (callable(getattr(data, "batches", None)) and callable(getattr(data, "eval_sets", None))):
        raise TypeError(
            f"data must have batches(batch_size, *, seed, device) and eval_sets(device) methods "
            f"(e.g. load_digits() or SequenceTask()), got {type(data).__name__}"
        )
    # Counts are bounded by MAX_ITEMS so that an absurd request (steps=10**18) is refused here instead of
    # running for ever; a run's micro-batches (steps * grad_accum) share the same bound.
    steps = _check_int("steps", steps, 1, MAX_ITEMS)
    batch_size = _check_int("batch_size", batch_size, 1, MAX_ITEMS)
    seed = check_seed("seed", seed)
    grad_accum = _check_int("grad_accum", grad_accum, 1, MAX_ITEMS)
    if steps * grad_accum > MAX_ITEMS:
        raise ValueError(
            f"steps * grad_accum must be <= {MAX_ITEMS} micro-batches, got steps={steps}, grad_accum={grad_accum}"
        )
    if eval_every is not None:
        eval_every = _check_int("eval_every", eval_every, 0, MAX_ITEMS)
    if diverge_factor is not None:
        # inf is allowed (= only a non-finite loss stops the run); the config records it as the string "inf"
        diverge_factor = check_real("diverge_factor", diverge_factor, 1.0, low_open=True, allow_inf=True)
    check_bool("diagnostics", diagnostics)
    check_bool("per_tensor", per_tensor)
    if per_tensor and not diagnostics:
        raise ValueError("per_tensor=True needs diagnostics=True")
    probes = dict(check_mapping("probes", probes) if probes is not None else {})
    for name, fn in probes.items():
        if not isinstance(name, str) or not callable(fn):
            raise TypeError(f"probes must map names to callables model -> float, got {name!r}: {fn!r}")
    if clip_norm is not None:
        clip_norm = check_real("clip_norm", clip_norm, 0.0, low_open=True)
    dev = _check_device(device)
    if threads is not None:
        threads = _check_int("threads", threads, 1, 4096)  # runtime.MAX_THREADS
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"model must have trainable parameters, {type(model).__name__} has none")
    threads = set_threads(threads)

    model.to(dev)
    opt = _make_optimizer(optimizer, model)
    # A tensor lr (e.g. partial(SGD, lr=torch.tensor(0.1))) is updated in place by the scheduler: read its value now.
    base_lr = _lr_value(opt.param_groups[0].get("initial_lr", opt.param_groups[0]["lr"]))
    scheduler = _make_scheduler(opt, schedule)
    eval_sets = data.eval_sets(dev) if eval_every != 0 else {}
    clash = set(probes) & {f"{s}_{m}" for s in eval_sets for m in ("loss", "acc")}
    if clash:
        raise ValueError(f"probes must not reuse metric names, got {sorted(clash)}")
    if eval_sets:
        _check_fits(model, eval_sets)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    rec = _Recorder([p for _, p in named], [n for n, _ in named], per_tensor, diagnostics, dev)
    if isinstance(model, nn.parallel.DistributedDataParallel):
        rec.group = model.process_group
        rec.world_size = torch.distributed.get_world_size(rec.group)

    config = {
        "model": type(model).__name__,
        "parameters": sum(p.numel() for _, p in named),
        "data": str(getattr(data, "name", type(data).__name__)),
        "optimizer": type(opt).__name__,
        "optimizer_args": {k: _jsonable(opt.defaults[k]) for k in _OPTIMIZER_KEYS if k in opt.defaults},
        "base_lr": _jsonable(base_lr),
        "schedule": None if schedule is None else _describe(schedule),
        "steps": steps,
        "batch_size": batch_size,
        "grad_accum": grad_accum,
        "seed": seed,
        "device": str(dev),
        "threads": threads,
        "eval_every": eval_every,
        "diverge_factor": _jsonable(diverge_factor),
        "diagnostics": diagnostics,
    }
    if clip_norm is not None:  # only when used, so the configs of earlier runs stay as they were
        config["clip_norm"] = clip_norm

    eval_at = _EvalSteps(steps, eval_every)
    eval_step: list[int] = []
    eval_values: list[dict[str, Any]] = []

    def run_eval(t: int) -> None:
        values: dict[str, Any] = {}
        for name, (x, y) in eval_sets.items():
            values[f"{name}_loss"], values[f"{name}_acc"] = evaluate(model, x, y)
        with torch.no_grad():
            for name, fn in probes.items():
                value = _probe_value(name, fn(model))
                values[name] = value.detach() if isinstance(value, torch.Tensor) else value
        eval_step.append(t)
        eval_values.append(values)

    diverged_step: int | None = None
    reason: str | None = None
    first_loss: float | None = None
    done = 0  # updates whose statistics reached the host

    # -- the loop -------------------------------------------------------------------------------------
    devices = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        batches = data.batches(batch_size, seed=seed, device=dev)
        model.train()
        for t in range(steps):
            if t in eval_at:
                run_eval(t)
            opt.zero_grad(set_to_none=True)
            loss_sum = None
            for _ in range(grad_accum):
                x, y = next(batches)
                loss = F.cross_entropy(model(x).flatten(0, -2), y.flatten())
                # x / 1 is exact, so skipping it changes no bit and saves an autograd node per update
                (loss / grad_accum if grad_accum > 1 else loss).backward()
                loss_sum = loss.detach() if loss_sum is None else loss_sum + loss.detach()
            rec.before_step(loss_sum / grad_accum if grad_accum > 1 else loss_sum,
                            _lr_value(opt.param_groups[0]["lr"]))
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_([p for _, p in named], clip_norm)
            opt.step()
            if scheduler is not None:
                if getattr(scheduler, "needs_loss", False):  # feedback controllers (adaptive): step(loss)
                    scheduler.step(loss_sum / grad_accum)
                else:
                    scheduler.step()
            rec.after_step()

            if (t + 1) % FETCH_EVERY == 0 or t + 1 == steps:
                losses = rec.fetch()[:, 0]
                if first_loss is None:
                    first_loss = float(losses[0])
                bad = ~np.isfinite(losses)
                if diverge_factor is not None and math.isfinite(first_loss):
                    bad |= losses > diverge_factor * first_loss
                if bad.any():
                    i = int(np.argmax(bad))
                    diverged_step = done + i
                    value = float(losses[i])
                    reason = (
                        f"non-finite loss ({value})" if not math.isfinite(value)
                        else f"loss {value:.4g} > {diverge_factor:g} x first loss {first_loss:.4g}"
                    )
                    break
                done = t + 1
        if diverged_step is None and steps in eval_at:
            run_eval(steps)

    # -- assemble ---------------------------------------------------------------------------------------
    n = steps if diverged_step is None else diverged_step + 1
    rows = np.concatenate(rec.chunks)[:n]
    keep = [j for j, s in enumerate(eval_step) if diverged_step is None or s <= diverged_step]
    # Every metric keeps its name even when a run diverged before its first evaluation (final() is then nan).
    names = [f"{s}_{m}" for s in eval_sets for m in ("loss", "acc")] + list(probes)
    evals = {
        name: np.array([float(eval_values[j][name]) for j in keep], dtype=np.float64) for name in names
    }
    return History(
        step=np.arange(n, dtype=np.int64),
        lr=np.asarray(rec.lr[:n], dtype=np.float64),
        loss=rows[:, 0],
        grad_norm=rows[:, 1],
        update_ratio=rows[:, 2],
        update_ratio_max=rows[:, 3],
        eval_step=np.asarray([eval_step[j] for j in keep], dtype=np.int64),
        eval=evals,
        diverged=diverged_step is not None,
        diverged_step=diverged_step,
        divergence_reason=reason,
        config=config,
        tensor_names=rec.names if per_tensor else None,
        tensor_update_ratio=np.concatenate(rec.per_tensor_chunks)[:n] if rec.per_tensor else None,
    )
