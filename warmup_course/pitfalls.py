"""The classic warmup mistakes, each as the small buggy loop people write -- and its fix -- with the real libraries.

Every function runs a short training loop with the library calls users actually make (transformers'
``get_*_schedule_with_warmup``, timm's ``CosineLRScheduler``, torch's ``LambdaLR``/``SequentialLR``/
``ChainedScheduler``/``OneCycleLR``, ``torch.amp.GradScaler``, ``torch.distributed``...), records the LR every
``optimizer.step()`` used with :func:`~warmup_course.recorder.record_lr`, and returns a :class:`PitfallRun`:
the trace, the losses where the mistake costs accuracy, and the schedule the run *should* have followed, so
``run.audit()`` can find the mistake. ``variant="buggy"`` (or a named buggy variant) reproduces the mistake,
``variant="fixed"`` is the same loop done right.

Sources for each mistake (issue trackers): see notebook 04 and ``RESEARCH-NOTES``. Peer libraries are imported
inside the functions, so importing this module loads torch only.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from warmup_course import schedules as S
from warmup_course.audit import LRTrace, Report, audit
from warmup_course.recorder import record_lr
from warmup_course.validation import (MAX_ITEMS, check_array, check_bool, check_choice, check_int, check_mapping, check_real,
                                      check_str, describe)

__all__ = [
    "PitfallRun",
    "step_vs_epoch",
    "accumulation_total_steps",
    "resume",
    "amp_skipped_steps",
    "warmup_decay_jump",
    "training_past_end",
    "library_defaults",
    "adamw_decay_during_warmup",
    "ema_warmup",
    "finetune_first_update",
    "ddp_total_steps",
    "REGRESSION_LR",
]

#: SGD learning rate of the small regression task most pitfalls train on.
REGRESSION_LR = 0.05


@dataclass
class PitfallRun:
    """One recorded run: ``trace`` (what the optimizer used), ``losses`` (per update, or None), ``expected``
    (the schedule it should have followed, multipliers of ``peak_lr``), ``total_steps``, and ``info``
    (warnings torch emitted, error messages, counts)."""

    name: str
    variant: str
    trace: LRTrace
    expected: S.Schedule | None
    peak_lr: float
    total_steps: int | None = None
    losses: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_str("name", self.name)
        check_str("variant", self.variant)
        if not isinstance(self.trace, LRTrace):
            raise TypeError(f"trace must be an LRTrace, got {describe(self.trace)}")
        if self.expected is not None and not isinstance(self.expected, S.Schedule):
            raise TypeError(f"expected must be a Schedule or None, got {describe(self.expected)}")
        self.peak_lr = check_real("peak_lr", self.peak_lr, 0.0, low_open=True)
        if self.total_steps is not None:
            self.total_steps = check_int("total_steps", self.total_steps, 1, MAX_ITEMS)
        if self.losses is not None:
            self.losses = check_array("losses", self.losses, ndim=1)
        check_mapping("info", self.info)

    @property
    def lrs(self) -> np.ndarray:
        """Param group 0's LR per applied update."""
        return self.trace.lr

    def audit(self, *, with_expected: bool = True) -> Report:
        """:func:`~warmup_course.audit.audit` of the trace, against ``expected`` unless ``with_expected=False``."""
        with_expected = check_bool("with_expected", with_expected)
        if with_expected and self.expected is not None:
            return audit(self.trace, self.expected, peak_lr=self.peak_lr, total_steps=self.total_steps)
        return audit(self.trace, total_steps=self.total_steps if with_expected else None)

    def final_loss(self, last: int = 10) -> float:
        """Mean loss of the last ``last`` updates (NaN when no losses were recorded)."""
        last = check_int("last", last, 1, MAX_ITEMS)
        if self.losses is None or not len(self.losses):
            return float("nan")
        return float(np.mean(self.losses[-last:]))


# ----------------------------------------------------------------------------------------------- a small task


def _regression(seed: int, n: int) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A linear model and ``n`` batches of a noisy linear regression (8 examples x 16 features each)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, 16, generator=g)
    y = x @ torch.randn(16, 1, generator=g) + 0.1 * torch.randn(n, 8, 1, generator=g)
    torch.manual_seed(seed)
    return nn.Linear(16, 1), x, y


def _variant(variant: Any, choices: tuple[str, ...]) -> str:
    return check_choice("variant", variant, choices)


def _seed(seed: Any) -> int:
    return check_int("seed", seed, 0, 2**31 - 1)


# ----------------------------------------------------------------------------------------------- 1. units


def step_vs_epoch(variant: str = "buggy", seed: int = 0) -> PitfallRun:
    """A per-update schedule stepped in the wrong units; 10 epochs of 10 updates, warmup 20 updates.

    * ``"buggy"``: HF ``get_cosine_schedule_with_warmup(opt, 20, 100)`` stepped once per *epoch* (Lightning's
      default ``interval="epoch"``, an epoch loop): the warmup would take 20 epochs, the run has 10.
    * ``"timm_epochs"``: timm ``CosineLRScheduler(warmup_t=20, t_initial=80, warmup_prefix=True)`` with its
      default ``t_in_epochs=True``: ``step_update`` is ignored and ``step(epoch)`` counts the warmup in epochs.
    * ``"epoch_schedule_per_step"``: the reverse -- ``CosineAnnealingLR(T_max=10 epochs)`` stepped per update:
      the cosine is periodic in torch, so the LR falls to 0 and climbs back every 20 updates.
    * ``"fixed"``: the HF schedule stepped after every optimizer update.
    """
    variant = _variant(variant, ("buggy", "fixed", "timm_epochs", "epoch_schedule_per_step"))
    seed = _seed(seed)
    from timm.scheduler import CosineLRScheduler
    from torch.optim.lr_scheduler import CosineAnnealingLR
    from transformers import get_cosine_schedule_with_warmup

    epochs, per_epoch, w = 10, 10, 20
    t_total = epochs * per_epoch
    model, x, y = _regression(seed, t_total)
    opt = torch.optim.SGD(model.parameters(), lr=REGRESSION_LR)
    if variant == "timm_epochs":
        sched: Any = CosineLRScheduler(opt, t_initial=t_total - w, warmup_t=w, warmup_prefix=True)
    elif variant == "epoch_schedule_per_step":
        sched = CosineAnnealingLR(opt, T_max=epochs)
    else:
        sched = get_cosine_schedule_with_warmup(opt, num_warmup_steps=w, num_training_steps=t_total)
    losses = []
    with record_lr(opt, None if variant == "timm_epochs" else sched) as rec:
        for epoch in range(epochs):
            for i in range(per_epoch):
                t = epoch * per_epoch + i
                loss = F.mse_loss(model(x[t]), y[t])
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
                if variant in ("fixed", "epoch_schedule_per_step"):
                    sched.step()
                elif variant == "timm_epochs":
                    sched.step_update(num_updates=t + 1)  # timm's per-update call: a no-op with t_in_epochs=True
            if variant == "buggy":
                sched.step()  # once per epoch
            elif variant == "timm_epochs":
                sched.step(epoch + 1)
    expected = S.cosine_decay(epochs) if variant == "epoch_schedule_per_step" else S.warmup_cosine(w, t_total)
    return PitfallRun("step_vs_epoch", variant, rec.trace, None if variant == "epoch_schedule_per_step" else expected,
                      REGRESSION_LR, t_total, np.array(losses))


# ----------------------------------------------------------------------------------------------- 2. total steps


ACCUM = 4


def accumulation_total_steps(variant: str = "buggy", seed: int = 0) -> PitfallRun:
    """Gradient accumulation over 4 micro-batches; 10 epochs of 40 micro-batches = 100 optimizer updates.

    ``"buggy"`` builds HF ``get_linear_schedule_with_warmup`` with ``num_training_steps = len(micro-batches) x
    epochs`` = 400 and a 10 % warmup of that (40): both 4x too long in optimizer updates. ``"fixed"`` counts
    optimizer updates: ``ceil(40 / 4) x 10 = 100``, warmup 10.
    """
    variant = _variant(variant, ("buggy", "fixed"))
    seed = _seed(seed)
    from transformers import get_linear_schedule_with_warmup

    epochs, micro = 10, 40
    updates = math.ceil(micro / ACCUM) * epochs
    total = micro * epochs if variant == "buggy" else updates
    model, x, y = _regression(seed, micro * epochs)
    opt = torch.optim.SGD(model.parameters(), lr=REGRESSION_LR)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=total // 10, num_training_steps=total)
    losses = []
    with record_lr(opt, sched) as rec:
        for i in range(micro * epochs):
            loss = F.mse_loss(model(x[i]), y[i])
            (loss / ACCUM).backward()
            if (i + 1) % ACCUM == 0:
                opt.step()
                opt.zero_grad()
                sched.step()
                losses.append(loss.item())
    return PitfallRun("accumulation_total_steps", variant, rec.trace, S.warmup_linear(updates // 10, updates),
                      REGRESSION_LR, updates, np.array(losses), {"num_training_steps": total})


# ----------------------------------------------------------------------------------------------- 3. resume


def resume(variant: str = "no_scheduler_state", seed: int = 0) -> PitfallRun:
    """Train 60 updates (warmup 20, cosine), checkpoint after 30, resume in a fresh "process" for the rest.

    * ``"no_scheduler_state"``: only model and optimizer are checkpointed; the HF scheduler is rebuilt fresh.
    * ``"last_epoch"``: the HF scheduler is rebuilt with ``last_epoch=30`` (the updates done): torch's
      constructor then steps once more, so the schedule resumes one update ahead.
    * ``"sequential_order"``: ``SequentialLR`` built *after* loading the optimizer, then its state loaded: its
      sub-schedulers' constructors rewrite the LR (pytorch#65342), and ``load_state_dict`` does not restore it.
    * ``"fixed"``: build optimizer and scheduler, then load both state dicts (HF scheduler; for SequentialLR
      the same order works).
    """
    variant = _variant(variant, ("no_scheduler_state", "last_epoch", "sequential_order", "fixed",
                                 "fixed_sequential"))
    seed = _seed(seed)
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
    from transformers import get_cosine_schedule_with_warmup

    w, t_total, k = 20, 60, 30
    sequential = variant in ("sequential_order", "fixed_sequential")

    def make(opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        if sequential:
            return SequentialLR(opt, [LinearLR(opt, start_factor=0.01, total_iters=w),
                                      CosineAnnealingLR(opt, T_max=t_total - w)], milestones=[w])
        return get_cosine_schedule_with_warmup(opt, w, t_total, last_epoch=last_epoch)

    model, x, y = _regression(seed, t_total)
    opt = torch.optim.SGD(model.parameters(), lr=REGRESSION_LR, momentum=0.9)
    sched = make(opt)
    rows, calls, losses = [], [], []

    def run(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, steps: range) -> None:
        with record_lr(opt, sched) as rec:
            for t in steps:
                loss = F.mse_loss(model(x[t]), y[t])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                losses.append(loss.item())
        tr = rec.trace
        calls.extend((tr.scheduler_calls + len(rows)).tolist())
        rows.extend(tr.lrs.tolist())

    run(model, opt, sched, range(k))
    buf = io.BytesIO()
    state = {"model": model.state_dict(), "optimizer": opt.state_dict()}
    if variant != "no_scheduler_state":
        state["scheduler"] = sched.state_dict()
    torch.save(state, buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=False)  # a scheduler's state holds plain Python objects
    # --- a new process: rebuild everything from the checkpoint
    model2 = nn.Linear(16, 1)
    model2.load_state_dict(ckpt["model"])
    opt2 = torch.optim.SGD(model2.parameters(), lr=REGRESSION_LR, momentum=0.9)
    if variant == "no_scheduler_state":
        opt2.load_state_dict(ckpt["optimizer"])
        sched2 = make(opt2)  # fresh: back to update 0 of the schedule
    elif variant == "last_epoch":
        opt2.load_state_dict(ckpt["optimizer"])  # restores initial_lr, which last_epoch >= 0 needs
        sched2 = make(opt2, last_epoch=k)
    elif variant == "sequential_order":
        opt2.load_state_dict(ckpt["optimizer"])
        sched2 = make(opt2)  # its sub-schedulers rewrite param_groups[...]["lr"]
        sched2.load_state_dict(ckpt["scheduler"])
    else:
        sched2 = make(opt2)
        opt2.load_state_dict(ckpt["optimizer"])
        sched2.load_state_dict(ckpt["scheduler"])
    run(model2, opt2, sched2, range(k, t_total))
    base = (REGRESSION_LR,)
    trace = LRTrace(np.array(rows), scheduler_calls=np.array(calls), base_lrs=base)
    expected = S.warmup_cosine(w, t_total, start_factor=0.01) if sequential else S.warmup_cosine(w, t_total)
    return PitfallRun("resume", variant, trace, expected, REGRESSION_LR, t_total, np.array(losses),
                      {"resumed_at": k})


# ----------------------------------------------------------------------------------------------- 4. AMP


def amp_skipped_steps(variant: str = "buggy", seed: int = 0, *, init_scale: float = 2.0**24) -> PitfallRun:
    """float16 autocast on the CPU with ``torch.amp.GradScaler("cpu", init_scale=2**24)``: the first updates
    overflow, and ``scaler.step`` skips ``optimizer.step()`` until the scale has halved enough.

    ``"buggy"`` calls ``scheduler.step()`` every iteration (the HF linear warmup over 10 of 60 updates then runs
    ahead by the number of skips; torch warns once, because update 0 was skipped); ``"fixed"`` steps the
    scheduler only when the scale did not drop, i.e. when the optimizer really stepped.
    """
    variant = _variant(variant, ("buggy", "fixed"))
    seed = _seed(seed)
    init_scale = check_real("init_scale", init_scale, 1.0, 2.0**64)
    from transformers import get_linear_schedule_with_warmup

    w, iters = 10, 60
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(iters, 64, 16, generator=g)
    y = x @ torch.randn(16, 1, generator=g) + 0.1 * torch.randn(iters, 64, 1, generator=g)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=REGRESSION_LR)
    sched = get_linear_schedule_with_warmup(opt, w, iters)
    scaler = torch.amp.GradScaler("cpu", init_scale=init_scale)
    losses = []
    with warnings.catch_warnings(record=True) as caught, record_lr(opt, sched, scaler=scaler) as rec:
        warnings.simplefilter("always")
        for t in range(iters):
            with torch.autocast("cpu", dtype=torch.float16):
                loss = F.mse_loss(model(x[t]), y[t])
            opt.zero_grad()
            scaler.scale(loss).backward()
            before = scaler.get_scale()
            scaler.step(opt)  # skips optimizer.step() if the gradients hold inf/NaN
            scaler.update()  # ...and then halves the scale
            losses.append(float(loss))
            if variant == "buggy" or scaler.get_scale() >= before:
                sched.step()
    msgs = sorted({str(m.message).split(".")[0] for m in caught if "lr_scheduler.step()" in str(m.message)})
    return PitfallRun("amp_skipped_steps", variant, rec.trace, S.warmup_linear(w, iters), REGRESSION_LR, None,
                      np.array(losses), {"warnings": msgs, "skipped": len(rec.trace.skipped)})


# ----------------------------------------------------------------------------------------------- 5. jump


def warmup_decay_jump(variant: str = "timm", *, warmup_steps: int = 20, total_steps: int = 100) -> PitfallRun:
    """Warmup then cosine, W = 20 of T = 100 updates, where the decay's clock starts at update 0.

    * ``"timm"``: timm ``CosineLRScheduler(t_initial=T, warmup_t=W, t_in_epochs=False)`` (``warmup_prefix``
      defaults to False): at update W the LR falls from (W-1)/W to the cosine of W/T.
    * ``"chained"``: ``ChainedScheduler([LinearLR(start_factor=1e-3, total_iters=W), CosineAnnealingLR(T)])``:
      the product of both, never reaching the peak.
    * ``"handwritten"``: ``LambdaLR`` with ``t/W if t < W else 0.5 (1 + cos(pi t/T))`` -- the global step.
    * ``"fixed"``: timm with ``warmup_prefix=True, t_initial=T - W``.
    """
    variant = _variant(variant, ("timm", "chained", "handwritten", "fixed"))
    w = check_int("warmup_steps", warmup_steps, 1, 10**6)
    t_total = check_int("total_steps", total_steps, w + 1, 10**6)
    from timm.scheduler import CosineLRScheduler
    from torch.optim.lr_scheduler import ChainedScheduler, CosineAnnealingLR, LambdaLR, LinearLR

    param = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    if variant == "timm":
        sched: Any = CosineLRScheduler(opt, t_initial=t_total, warmup_t=w, t_in_epochs=False)
    elif variant == "fixed":
        sched = CosineLRScheduler(opt, t_initial=t_total - w, warmup_t=w, warmup_prefix=True, t_in_epochs=False)
    elif variant == "chained":
        sched = ChainedScheduler([LinearLR(opt, start_factor=1e-3, total_iters=w), CosineAnnealingLR(opt, T_max=t_total)])
    else:
        sched = LambdaLR(opt, lambda t: t / w if t < w else 0.5 * (1 + math.cos(math.pi * t / t_total)))
    timm = variant in ("timm", "fixed")
    with record_lr(opt, None if timm else sched) as rec:
        for t in range(t_total):
            param.grad = torch.zeros(1)
            opt.step()
            if timm:
                sched.step_update(num_updates=t + 1)
            else:
                sched.step()
    return PitfallRun("warmup_decay_jump", variant, rec.trace, S.warmup_cosine(w, t_total), 1.0, t_total)


# ----------------------------------------------------------------------------------------------- 6. past T


def training_past_end(variant: str = "hf", *, total_steps: int = 60, run_steps: int = 90) -> PitfallRun:
    """The scheduler was built for 60 updates; the loop runs 90.

    * ``"hf"``: HF ``get_cosine_schedule_with_warmup(opt, 6, 60)``: its lambda keeps following the cosine
      past ``num_training_steps``, so the LR climbs back up.
    * ``"onecycle"``: ``OneCycleLR(total_steps=60)`` raises ``ValueError`` at the 61st ``step()``; the message
      is in ``info["error"]`` and the trace stops there.
    * ``"fixed"``: the HF schedule built with ``num_training_steps=90``.
    """
    variant = _variant(variant, ("hf", "onecycle", "fixed"))
    t_built = check_int("total_steps", total_steps, 2, 10**6)
    n = check_int("run_steps", run_steps, 1, 10**6)
    from torch.optim.lr_scheduler import OneCycleLR
    from transformers import get_cosine_schedule_with_warmup

    param = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    built = n if variant == "fixed" else t_built
    if variant == "onecycle":
        sched: Any = OneCycleLR(opt, max_lr=1.0, total_steps=built, cycle_momentum=False)
    else:
        sched = get_cosine_schedule_with_warmup(opt, max(1, built // 10), built)
    info: dict[str, Any] = {}
    with record_lr(opt, sched) as rec:
        for _ in range(n):
            param.grad = torch.zeros(1)
            opt.step()
            try:
                sched.step()
            except ValueError as exc:
                info["error"] = str(exc)
                break
    expected = None if variant == "onecycle" else S.warmup_cosine(max(1, built // 10), built)
    return PitfallRun("training_past_end", variant, rec.trace, expected, 1.0, built, None, info)


# ----------------------------------------------------------------------------------------------- 7. defaults


def library_defaults() -> dict[str, Any]:
    """Executed facts about library defaults that surprise (each value computed by calling the library):

    ``hf_default_warmup_steps`` (``TrainingArguments``' default), ``hf_get_warmup_steps(v, 1000)`` (what
    transformers >= 5 makes of ``warmup_steps=v`` for a 1000-update run: a value < 1 is a ratio), ``keras_below_target`` (Keras ``CosineDecay`` LRs with
    ``warmup_target`` below ``initial_learning_rate``), ``linearlr_start_0`` (torch's error message),
    ``deepspeed_log_warmup`` (DeepSpeed ``WarmupLR``'s default log warmup, from its formula: DeepSpeed is not
    installed).
    """
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    from torch.optim.lr_scheduler import LinearLR
    from transformers import TrainingArguments
    from transformers import __version__ as tf_version

    out: dict[str, Any] = {"transformers": tf_version}
    # TrainingArguments() itself needs accelerate; its field default and its own get_warmup_steps method are
    # read and called directly (the method only reads self.warmup_steps)
    import dataclasses
    from types import SimpleNamespace

    fields = {f.name: f.default for f in dataclasses.fields(TrainingArguments)}
    default = fields["warmup_steps"]
    out["hf_default_warmup_steps"] = default
    out["hf_has_warmup_ratio"] = "warmup_ratio" in fields  # deprecated by PR #41326, gone in later 5.x
    for value in (default, 0.1, 10):
        out[f"hf_get_warmup_steps({value!r}, 1000)"] = TrainingArguments.get_warmup_steps(
            SimpleNamespace(warmup_steps=value), 1000)
    sched = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=100, warmup_target=1e-4, warmup_steps=10)
    out["keras_below_target"] = np.array([float(sched(t)) for t in range(0, 12)])
    param = nn.Parameter(torch.zeros(1))
    try:
        LinearLR(torch.optim.SGD([param], lr=1.0), start_factor=0.0)
        out["linearlr_start_0"] = None
    except ValueError as exc:
        out["linearlr_start_0"] = str(exc)
    w = 100
    t = np.arange(1, w + 1)
    # DeepSpeed WarmupLR (deepspeed/runtime/lr_schedules.py): gamma = log(step + 1) / log(warmup_num_steps)
    out["deepspeed_log_warmup"] = np.log(t + 1) / math.log(w)
    return out


# ----------------------------------------------------------------------------------------------- 8. AdamW


def adamw_decay_during_warmup(warmup_steps: int = 100, total_steps: int = 200, lr: float = 1e-3,
                              weight_decay: float = 0.1) -> dict[str, np.ndarray]:
    """torch ``AdamW`` on a weight with zero gradient, so only its decoupled weight decay acts:
    ``w <- w (1 - lr_t * weight_decay)``. The decay is multiplied by the *scheduled* LR, so it warms up too.

    Returns the weight per update under a linear warmup (HF ``get_constant_schedule_with_warmup``) and under
    the constant LR, and the closed form ``prod (1 - lr_t wd)`` for the warmed-up run.
    """
    w = check_int("warmup_steps", warmup_steps, 1, 10**6)
    n = check_int("total_steps", total_steps, 1, 10**6)
    lr = check_real("lr", lr, 0.0, 1.0, low_open=True)
    wd = check_real("weight_decay", weight_decay, 0.0, 1.0)
    from transformers import get_constant_schedule_with_warmup

    out: dict[str, np.ndarray] = {}
    for name, warm in (("warmup", True), ("constant", False)):
        p = nn.Parameter(torch.ones(1, dtype=torch.float64))
        opt = torch.optim.AdamW([p], lr=lr, weight_decay=wd)
        sched = get_constant_schedule_with_warmup(opt, w) if warm else None
        ws, lrs = [], []
        for _ in range(n):
            lrs.append(opt.param_groups[0]["lr"])
            p.grad = torch.zeros_like(p)
            opt.step()
            ws.append(float(p))
            if sched is not None:
                sched.step()
        out[name] = np.array(ws)
        out[f"{name}_lr"] = np.array(lrs)
    out["formula"] = np.cumprod(1 - out["warmup_lr"] * wd)
    return out


# ----------------------------------------------------------------------------------------------- 9. EMA


def ema_warmup(variant: str = "buggy", seed: int = 0, *, updates: int = 120, decay: float = 0.999) -> dict[str, float]:
    """An exponential moving average of the weights (``torch.optim.swa_utils.AveragedModel``) of a digits MLP
    trained with Adam for 120 updates.

    ``"buggy"``: ``get_ema_multi_avg_fn(0.999)`` from update 0: after 120 updates the average still holds
    0.999^120 = 89 % of the random initial weights. ``"fixed"``: the decay warmed up as
    ``min(decay, (1 + t) / (10 + t))`` (TensorFlow's ``ExponentialMovingAverage(num_updates=t)``; timm's
    ``ModelEmaV3(use_warmup=True)`` uses ``1 - (1 + t/gamma)^-power``). Returns the test loss and accuracy of
    the raw model and of its average.
    """
    variant = _variant(variant, ("buggy", "fixed"))
    seed = _seed(seed)
    n = check_int("updates", updates, 1, 10**5)
    d = check_real("decay", decay, 0.0, 1.0, high_open=True)
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    from warmup_course.data import load_digits
    from warmup_course.models import mlp

    data = load_digits()
    model = mlp(hidden=64, depth=2, seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    if variant == "buggy":
        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(d))
    else:
        def avg(ema_p: torch.Tensor, p: torch.Tensor, num: torch.Tensor) -> torch.Tensor:
            k = min(d, (1 + float(num)) / (10 + float(num)))
            return k * ema_p + (1 - k) * p
        ema = AveragedModel(model, avg_fn=avg)
    batches = data.batches(64, seed=seed)
    for _ in range(n):
        xb, yb = next(batches)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema.update_parameters(model)
    out = {}
    with torch.no_grad():
        for name, m in (("model", model), ("ema", ema)):
            logits = m(data.x_test)
            out[f"{name}_loss"] = float(F.cross_entropy(logits, data.y_test))
            out[f"{name}_accuracy"] = float((logits.argmax(1) == data.y_test).float().mean())
    return out


# ----------------------------------------------------------------------------------------------- 10. fine-tune


def finetune_first_update(seed: int = 0, *, pretrain_updates: int = 100, lr: float = 1e-3) -> dict[str, float]:
    """Why a resume must not re-warm but a fine-tune may: the size of the first Adam update after each.

    A digits MLP is trained with Adam for ``pretrain_updates``, then one more update is taken (a) with the
    optimizer state restored from the checkpoint (a resume) and (b) with a fresh Adam (a fine-tune or a new
    optimizer). Returns ``rms(update) / lr`` for both: Adam's first step from a fresh state moves almost every
    weight by ``lr`` (its moments are zero: m/sqrt(v) = ±1), a restored one by a fraction of it.
    """
    seed = _seed(seed)
    n = check_int("pretrain_updates", pretrain_updates, 1, 10**5)
    lr = check_real("lr", lr, 0.0, 1.0, low_open=True)
    from warmup_course.data import load_digits
    from warmup_course.models import mlp

    data = load_digits()
    model = mlp(hidden=64, depth=2, seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    batches = data.batches(64, seed=seed)
    for _ in range(n):
        xb, yb = next(batches)
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    xb, yb = next(batches)
    ckpt_model, ckpt_opt = model.state_dict(), opt.state_dict()
    out = {}
    for name in ("resume", "fresh"):
        m = mlp(hidden=64, depth=2, seed=seed)
        m.load_state_dict(ckpt_model)
        o = torch.optim.Adam(m.parameters(), lr=lr)
        if name == "resume":
            o.load_state_dict(ckpt_opt)
        before = torch.cat([p.detach().flatten().clone() for p in m.parameters()])
        o.zero_grad()
        F.cross_entropy(m(xb), yb).backward()
        o.step()
        after = torch.cat([p.detach().flatten() for p in m.parameters()])
        out[name] = float((after - before).pow(2).mean().sqrt()) / lr
    return out


# ----------------------------------------------------------------------------------------------- 2b. DDP


def _ddp_worker(rank: int, world_size: int, n_examples: int, batch_size: int, epochs: int) -> dict[str, Any]:
    """One data-parallel worker (runs under :func:`warmup_course.distributed.launch`): the same loop twice, with
    ``num_training_steps`` counted over the whole dataset (buggy) and over this process's shard (fixed)."""
    from torch.nn.parallel import DistributedDataParallel
    from torch.optim.lr_scheduler import LinearLR, SequentialLR
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    g = torch.Generator().manual_seed(0)
    x = torch.randn(n_examples, 16, generator=g)
    y = x @ torch.randn(16, 1, generator=g)
    ds = TensorDataset(x, y)
    out: dict[str, Any] = {}
    for variant in ("buggy", "fixed"):
        torch.manual_seed(0)
        model = DistributedDataParallel(nn.Linear(16, 1))
        opt = torch.optim.SGD(model.parameters(), lr=REGRESSION_LR)
        sampler = DistributedSampler(ds, num_replicas=world_size, rank=rank, shuffle=True, seed=0)
        loader = DataLoader(ds, batch_size=batch_size, sampler=sampler, drop_last=True)
        if variant == "buggy":
            total = (n_examples // batch_size) * epochs  # the whole dataset's batches: not what one process sees
        else:
            total = len(loader) * epochs  # this process's batches per epoch = optimizer updates per epoch
        w = total // 10  # torch's schedulers only (a worker that imports transformers starts seconds slower)
        sched = SequentialLR(opt, [LinearLR(opt, start_factor=0.01, total_iters=w),
                                   LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=total - w)], [w])
        with record_lr(opt, sched) as rec:
            for epoch in range(epochs):
                sampler.set_epoch(epoch)
                for xb, yb in loader:
                    loss = F.mse_loss(model(xb), yb)
                    opt.zero_grad()
                    loss.backward()  # DDP all-reduces the gradients here
                    opt.step()
                    sched.step()
        out[variant] = rec.trace.lr.tolist()
        out[f"{variant}_total"] = total
    out["updates_per_epoch"] = len(loader)
    return out


def ddp_total_steps(*, world_size: int = 2, n_examples: int = 512, batch_size: int = 16, epochs: int = 4,
                    timeout: float = 120.0) -> dict[str, PitfallRun]:
    """Data parallel on ``torch.distributed`` (gloo, ``world_size`` processes on 127.0.0.1, one launch): each
    process sees 1/world_size of the data, so its optimizer takes ``len(shard loader)`` updates per epoch.

    Schedule: ``SequentialLR([LinearLR(0.01 -> 1 over 10 %), LinearLR(1 -> 0)])``. The buggy run counts the total over the whole dataset (``n_examples // batch_size x epochs``):
    world_size times too many, so the warmup lasts world_size times longer and the decay never finishes. The
    fixed run counts ``len(loader) x epochs`` with the ``DistributedSampler``'s loader. Returns rank 0's runs
    as ``{"buggy": PitfallRun, "fixed": PitfallRun}`` (every rank has the same LRs).
    """
    from warmup_course.distributed import launch

    world_size = check_int("world_size", world_size, 1, 16)
    n_examples = check_int("n_examples", n_examples, 1, 10**6)
    batch_size = check_int("batch_size", batch_size, 1, 10**6)
    epochs = check_int("epochs", epochs, 1, 10**4)
    if n_examples < world_size * batch_size:
        raise ValueError(f"n_examples must be >= world_size x batch_size = {world_size * batch_size}, got {n_examples}")
    results = launch(_ddp_worker, world_size=world_size, args=(n_examples, batch_size, epochs), timeout=timeout)
    r0 = results[0]
    updates = r0["updates_per_epoch"] * epochs
    expected = S.warmup_linear(updates // 10, updates, start_factor=0.01)
    runs = {}
    for variant in ("buggy", "fixed"):
        runs[variant] = PitfallRun("ddp_total_steps", variant, LRTrace(np.array(r0[variant])), expected,
                                   REGRESSION_LR, updates, None,
                                   {"num_training_steps": r0[f"{variant}_total"], "world_size": world_size,
                                    "same_on_all_ranks": all(r[variant] == r0[variant] for r in results)})
    return runs
