"""Checks for notebook 04 (warmup pitfalls).

1. :func:`check_diagnosis` -- three short training loops (:data:`LOOPS`, executed by :func:`mystery_runs`) each
   hide one mistake; the learner audits their traces and names each loop's cause (a key of :data:`CAUSES`).
2. :func:`check_resume_order` -- the learner orders the four steps of a resume (:data:`RESUME_STEPS`); the
   checker *executes* that order with torch's ``SequentialLR`` (the scheduler whose constructor rewrites the
   LR) and compares the first update after the resume with an uninterrupted run.
3. :func:`check_num_training_steps` -- the learner computes the optimizer updates of a run from the dataset
   size, batch size, gradient accumulation, world size and epochs.

:data:`QUIZ` holds multiple-choice questions for the instructor (plain dicts: question, choices, answer, why).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from warmup_course.exercises.core import Verdict, checker, compare_function, is_stub
from warmup_course.validation import MAX_ITEMS, check_int

__all__ = ["CAUSES", "LOOPS", "mystery_runs", "check_diagnosis", "RESUME_STEPS", "check_resume_order",
           "num_training_steps_reference", "check_num_training_steps", "QUIZ"]

#: The causes a learner can name in exercise 1.
CAUSES = {
    "units": "the scheduler is stepped in the wrong units (per epoch instead of per update, or the reverse)",
    "total_steps": "num_training_steps / warmup_steps counted wrongly (micro-batches, world size)",
    "resume": "the schedule was restored wrongly on resume",
    "amp": "the scheduler advanced on updates the optimizer skipped (AMP GradScaler)",
    "jump": "the decay's clock started during the warmup",
    "past_end": "training ran past the schedule's end",
}

#: The three loops of exercise 1, as the learner reads them (each is run for real by :func:`mystery_runs`).
LOOPS = {
    "loop_a": '''\
scaler = torch.amp.GradScaler("cpu", init_scale=2**24)
sched = get_linear_schedule_with_warmup(opt, 10, 60)
for x, y in batches:                                  # 60 iterations
    with torch.autocast("cpu", dtype=torch.float16):
        loss = F.mse_loss(model(x), y)
    opt.zero_grad(); scaler.scale(loss).backward()
    scaler.step(opt); scaler.update(); sched.step()''',
    "loop_b": '''\
sched = get_linear_schedule_with_warmup(opt, len(micro_batches) * epochs // 10, len(micro_batches) * epochs)
for i, (x, y) in enumerate(micro_batches * epochs):   # accumulation over 4 micro-batches
    (F.mse_loss(model(x), y) / 4).backward()
    if (i + 1) % 4 == 0:
        opt.step(); opt.zero_grad(); sched.step()''',
    "loop_c": '''\
ckpt = torch.load("ckpt.pt")                          # saved after update 30 of 60
opt.load_state_dict(ckpt["optimizer"])
sched = get_cosine_schedule_with_warmup(opt, 20, 60, last_epoch=30)
for x, y in batches[30:]:
    loss = F.mse_loss(model(x), y); opt.zero_grad(); loss.backward(); opt.step(); sched.step()''',
}
_ANSWERS = {"loop_a": "amp", "loop_b": "total_steps", "loop_c": "resume"}
_HINTS = {
    "loop_a": "its audit reports skipped_steps: the GradScaler skipped optimizer.step() while sched.step() ran",
    "loop_b": "its audit reports time_scaled (4x too slow): the lengths are counted in micro-batches",
    "loop_c": "its audit reports the schedule's clock jumping at update 30: last_epoch=30 makes torch's "
              "constructor step once more",
}


def mystery_runs() -> dict[str, Any]:
    """The three loops of :data:`LOOPS`, executed (``{name: PitfallRun}``; audit them with ``run.audit()``)."""
    from warmup_course import pitfalls

    return {"loop_a": pitfalls.amp_skipped_steps("buggy"), "loop_b": pitfalls.accumulation_total_steps("buggy"),
            "loop_c": pitfalls.resume("last_epoch")}


@checker
def check_diagnosis(diagnosis: Any) -> Verdict:
    """``diagnosis``: ``{"loop_a": cause, "loop_b": cause, "loop_c": cause}`` with causes from :data:`CAUSES`."""
    if is_stub(diagnosis) or (isinstance(diagnosis, Mapping) and all(v is ... for v in diagnosis.values())):
        return Verdict.not_attempted("fill in one cause per loop (a key of nb04.CAUSES), then run this cell again.")
    if not isinstance(diagnosis, Mapping):
        return Verdict.wrong(f"diagnosis must be a dict {{'loop_a': cause, ...}}, got {type(diagnosis).__name__}")
    for loop in _ANSWERS:
        if loop not in diagnosis:
            return Verdict.wrong(f"diagnosis has no entry for {loop!r}")
        got = diagnosis[loop]
        if got not in CAUSES:
            return Verdict.wrong(f"{loop}: {got!r} is not one of {sorted(CAUSES)}")
    wrong = [loop for loop in _ANSWERS if diagnosis[loop] != _ANSWERS[loop]]
    if wrong:
        loop = wrong[0]
        return Verdict.wrong(f"{loop} is not {diagnosis[loop]!r}. Hint: {_HINTS[loop]}.")
    return Verdict.correct("skipped AMP steps, lengths counted in micro-batches, and an off-by-one resume: "
                           "all three show in the LR trace, none in the loss curve at a glance.")


#: The steps of a resume, shuffled: the learner puts them in order (each exactly once) in exercise 2.
RESUME_STEPS = ("load scheduler state", "build scheduler", "load optimizer state", "build optimizer")


def _resume_lr(order: Sequence[str]) -> tuple[float, float]:
    """Run SequentialLR 15 updates, checkpoint, resume in ``order``; (LR of the next update, the right LR)."""
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

    def make_sched(opt: torch.optim.Optimizer) -> SequentialLR:
        return SequentialLR(opt, [LinearLR(opt, start_factor=0.1, total_iters=10),
                                  CosineAnnealingLR(opt, T_max=30)], milestones=[10])

    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = make_sched(opt)
    for _ in range(15):
        opt.step()
        sched.step()
    right = opt.param_groups[0]["lr"]
    buf = io.BytesIO()
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=False)
    p2 = nn.Parameter(torch.zeros(1))
    state: dict[str, Any] = {}
    for step in order:
        if step == "build optimizer":
            state["opt"] = torch.optim.SGD([p2], lr=1.0)
        elif step == "build scheduler":
            state["sched"] = make_sched(state["opt"])
        elif step == "load optimizer state":
            state["opt"].load_state_dict(ckpt["optimizer"])
        else:
            state["sched"].load_state_dict(ckpt["scheduler"])
    return float(state["opt"].param_groups[0]["lr"]), float(right)


@checker
def check_resume_order(order: Any) -> Verdict:
    """``order``: the four :data:`RESUME_STEPS` in the order a resume runs them."""
    if is_stub(order) or (isinstance(order, (list, tuple)) and any(s is ... for s in order)):
        return Verdict.not_attempted("put the four RESUME_STEPS in order (a list of strings), then run this cell again.")
    if isinstance(order, (str, bytes)) or not isinstance(order, Sequence):
        return Verdict.wrong(f"order must be a list of the four steps, got {type(order).__name__}")
    order = list(order)
    if sorted(map(str, order)) != sorted(RESUME_STEPS) or len(order) != 4:
        missing = [s for s in RESUME_STEPS if s not in order]
        return Verdict.wrong(f"use each of the four steps exactly once; missing: {missing or 'none'}, "
                             f"got {order}")
    if order.index("build optimizer") > order.index("build scheduler"):
        return Verdict.wrong("a scheduler is built on an optimizer: build the optimizer first")
    if order.index("build optimizer") > order.index("load optimizer state"):
        return Verdict.wrong("the optimizer must exist before its state can be loaded")
    if order.index("build scheduler") > order.index("load scheduler state"):
        return Verdict.wrong("the scheduler must exist before its state can be loaded")
    got, right = _resume_lr(order)
    if abs(got - right) > 1e-12:
        return Verdict.wrong(f"executed with SequentialLR, the first update after the resume gets LR {got:.4f} "
                             f"instead of {right:.4f}: building the scheduler after loading the optimizer lets "
                             f"its constructor overwrite param_groups[...]['lr'] (pytorch#65342)")
    return Verdict.correct(f"executed with SequentialLR: the first update after the resume gets LR {right:.4f}, "
                           f"as without the interruption. Build both, then load both.")


def num_training_steps_reference(n_examples: int, batch_size: int, accumulation: int, world_size: int,
                                 epochs: int) -> int:
    """Optimizer updates of a run: each of ``world_size`` processes gets ``ceil(n / world_size)`` examples per
    epoch (``DistributedSampler`` pads), loads them in ``ceil(· / batch_size)`` micro-batches (``drop_last=False``),
    and updates after every ``accumulation`` micro-batches and once more for a leftover at the end of an epoch."""
    n_examples = check_int("n_examples", n_examples, 1, MAX_ITEMS)
    batch_size = check_int("batch_size", batch_size, 1, MAX_ITEMS)
    accumulation = check_int("accumulation", accumulation, 1, MAX_ITEMS)
    world_size = check_int("world_size", world_size, 1, MAX_ITEMS)
    epochs = check_int("epochs", epochs, 1, MAX_ITEMS)
    per_process = math.ceil(n_examples / world_size)
    micro = math.ceil(per_process / batch_size)
    return math.ceil(micro / accumulation) * epochs


_STEP_INPUTS = [(10_000, 32, 4, 2, 3), (1_000, 16, 1, 1, 5), (50_000, 8, 8, 4, 2), (1_234, 10, 3, 2, 7),
                (100, 64, 2, 8, 1), (777, 7, 5, 3, 4)]


@checker
def check_num_training_steps(fn: Any) -> Verdict:
    """The learner's ``fn(n_examples, batch_size, accumulation, world_size, epochs)``."""
    return compare_function(
        fn, num_training_steps_reference, _STEP_INPUTS, name="num_training_steps",
        wrong={
            "each process sees only 1/world_size of the data: divide the examples by the world size":
                lambda n, b, a, w, e: math.ceil(math.ceil(n / b) / a) * e,
            "an optimizer update takes `accumulation` micro-batches: divide the micro-batches by it":
                lambda n, b, a, w, e: math.ceil(math.ceil(n / w) / b) * e,
            "both the world size and the accumulation are missing: that counts micro-batches of one process "
            "over the whole dataset": lambda n, b, a, w, e: math.ceil(n / b) * e,
            "the leftover micro-batches at the end of an epoch still make an update: round up, not down":
                lambda n, b, a, w, e: (math.ceil(math.ceil(n / w) / b) // a) * e,
        },
        success="count optimizer updates per process: ceil(ceil(ceil(n / world) / batch) / accumulation) x epochs.",
    )


QUIZ: list[dict[str, Any]] = [
    {
        "question": "A run uses AMP's GradScaler and steps the scheduler every iteration. The first 8 iterations "
                    "overflow. What happens to a 10-update linear warmup?",
        "choices": ["nothing: skipped iterations do not count", "the warmup is 8 updates shorter: update 0 already "
                    "gets 8/10 of the peak", "the LR stays 0 for 8 updates", "torch raises an error"],
        "answer": 1,
        "why": "scaler.step skips optimizer.step() but scheduler.step() still runs, so the schedule is 8 updates "
               "ahead; torch only warns once, because update 0 was skipped.",
    },
    {
        "question": "You resume with the scheduler rebuilt fresh (its state was not saved). What does the LR do?",
        "choices": ["continues where it was", "restarts the warmup from 0", "jumps to the peak", "stays constant"],
        "answer": 1,
        "why": "a new scheduler starts at step 0: the warmup runs again mid-training, audit() reports 'restarted'.",
    },
    {
        "question": "Gradient accumulation over 4 micro-batches, 2 processes, 10,000 examples, batch 32, 3 epochs. "
                    "num_training_steps?",
        "choices": ["939", "471", "237", "120"],
        "answer": 3,
        "why": "per process ceil(10000/2) = 5000 examples -> 157 micro-batches -> ceil(157/4) = 40 updates per "
               "epoch -> 120 over 3 epochs. 939 counts micro-batches of the whole dataset; 471 forgets the "
               "accumulation; 237 forgets the world size.",
    },
    {
        "question": "When is restarting the warmup right?",
        "choices": ["on every resume from a checkpoint", "when fine-tuning with a fresh optimizer (new Adam moments)",
                    "never", "only with SGD"],
        "answer": 1,
        "why": "a fresh Adam's first update moves every weight by about lr (its moments are zero); a resume restores "
               "the moments, so the warmup's job is already done and restarting it is a bug.",
    },
]
