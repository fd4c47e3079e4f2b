"""Checks for notebook 07 (warmup in the real world: Transformers, a tiny GPT, fine-tuning, published recipes).

1. :func:`check_noam_schedule` -- the learner builds the Transformer's "Noam" schedule from the course's pieces
   (linear warmup over W, then inverse square-root decay with timescale W) and scales it to the formula's peak.
2. :func:`check_warmup_share` -- the learner reads a model card (Pythia 6.9B) and computes its warmup share.
3. :func:`check_finetune_warmup` -- the learner chooses the warmup of a BERT-style fine-tuning job: 10 % of the
   optimizer updates, counted from examples, batch size and epochs.

Noam (Vaswani et al. 2017, §5.3): ``lr(n) = d^-0.5 · min(n^-0.5, n · W^-1.5)`` for update ``n >= 1``; its peak is at
``n = W``: ``d^-0.5 · W^-0.5``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from warmup_course.exercises.core import Verdict, check_number, checker
from warmup_course.validation import MAX_ITEMS, check_array, check_int, check_real

__all__ = [
    "FINETUNE",
    "NOAM_D_MODEL",
    "NOAM_WARMUP",
    "QUIZ",
    "check_finetune_warmup",
    "check_noam_schedule",
    "check_warmup_share",
    "finetune_warmup_reference",
    "noam_lr",
]

#: The Transformer base model's width and warmup (Vaswani et al. 2017).
NOAM_D_MODEL, NOAM_WARMUP = 512, 4000
#: Exercise 3's fine-tuning job: examples, batch size, epochs, warmup proportion.
FINETUNE = {"examples": 8_551, "batch_size": 32, "epochs": 3, "warmup_proportion": 0.1}


def noam_lr(n: Any, d_model: int = NOAM_D_MODEL, warmup: int = NOAM_WARMUP) -> np.ndarray:
    """The paper's formula at updates ``n >= 1`` (array in, array out)."""
    n = check_array("n", n, ndim=None, finite=True)
    d_model = check_int("d_model", d_model, 1, MAX_ITEMS)
    warmup = check_int("warmup", warmup, 1, MAX_ITEMS)
    if n.size and n.min() < 1:
        raise ValueError("n must be >= 1: the formula is undefined at update 0")
    return d_model ** -0.5 * np.minimum(n ** -0.5, n * warmup ** -1.5)


@checker
def check_noam_schedule(schedule: Any, peak_lr: Any) -> Verdict:
    """``schedule``: a course Schedule whose multiplier times ``peak_lr`` is Noam's LR at update ``n`` for every
    ``n = 1 ... 20 W`` (the course counts updates from 0, so the learner's schedule is read at ``t = n``)."""
    from warmup_course.schedules import Schedule

    if not isinstance(schedule, Schedule):
        return Verdict.wrong(f"schedule should be a course Schedule (from warmup_course.schedules), got {type(schedule).__name__}")
    peak = check_number(peak_lr, NOAM_D_MODEL ** -0.5 * NOAM_WARMUP ** -0.5, rel=1e-6, name="peak_lr",
                        wrong={NOAM_D_MODEL ** -0.5: "that is d^-0.5 alone: the peak also has the factor W^-0.5",
                               NOAM_WARMUP ** -0.5: "that is W^-0.5 alone: the peak also has the factor d^-0.5"})
    if not peak.passed:
        return peak
    n = np.arange(1, 20 * NOAM_WARMUP + 1)
    got = float(peak_lr) * schedule(n)
    want = noam_lr(n)
    if np.allclose(got, want, rtol=1e-6, atol=0):
        return Verdict.correct(f"the Noam schedule, peaking at {float(peak_lr):.3g} at update W = {NOAM_WARMUP}.")
    bad = int(np.argmax(~np.isclose(got, want, rtol=1e-6, atol=0)))
    hint = ""
    if got[NOAM_WARMUP * 4 - 1] < want[NOAM_WARMUP * 4 - 1] * 0.9:
        hint = " After the warmup the decay is sqrt(W / n): inverse_sqrt_decay with timescale W, on its own clock."
    return Verdict.wrong(f"at update n = {n[bad]}: expected {want[bad]:.4g}, got {got[bad]:.4g}.{hint}")


@checker
def check_warmup_share(answer: Any) -> Verdict:
    """``answer``: Pythia 6.9B's warmup as a percentage of its updates (1,430 of 143,000: 1 %)."""
    return check_number(
        answer, 1.0, rel=1e-3, name="warmup_share_percent",
        wrong={0.01: "that is the fraction; the question asks for a percentage (x 100)",
               100.0: "that is 143,000 / 1,430: the share is warmup / total"},
        success="1,430 of 143,000 updates: 1 % of the run, the upper end of what large pre-training runs use.",
    )


def finetune_warmup_reference(examples: int, batch_size: int, epochs: int, warmup_proportion: float) -> int:
    """``ceil(warmup_proportion · epochs · ceil(examples / batch_size))`` updates (the last, partial batch of each
    epoch is an update too, as in a DataLoader without ``drop_last``)."""
    examples = check_int("examples", examples, 1, MAX_ITEMS)
    batch_size = check_int("batch_size", batch_size, 1, MAX_ITEMS)
    epochs = check_int("epochs", epochs, 1, MAX_ITEMS)
    warmup_proportion = check_real("warmup_proportion", warmup_proportion, 0.0, 1.0)
    return math.ceil(warmup_proportion * epochs * math.ceil(examples / batch_size))


@checker
def check_finetune_warmup(answer: Any) -> Verdict:
    """``answer``: the warmup, in optimizer updates, of the job in :data:`FINETUNE`."""
    f = FINETUNE
    per_epoch = math.ceil(f["examples"] / f["batch_size"])
    expected = finetune_warmup_reference(**f)
    return check_number(
        answer, expected, abs=1.0, name="warmup_updates",
        wrong={round(0.1 * f["examples"]): "that counts examples, not updates: divide by the batch size",
               math.ceil(0.1 * per_epoch): "that is 10 % of one epoch: the job runs for 3 epochs",
               round(0.1 * f["epochs"] * f["examples"]): "that counts examples over 3 epochs: divide by the batch size"},
        success=f"{f['epochs']} epochs x {per_epoch} updates = {f['epochs'] * per_epoch} updates; 10 % of them is "
                f"{expected}.",
    )


QUIZ = [
    {"question": "Which Transformer arrangement needs warmup most, according to Xiong et al. 2020 and this notebook?",
     "choices": ["Pre-LN", "Post-LN", "Both equally", "Neither: warmup is only for SGD"],
     "answer": 1,
     "why": "Post-LN puts the LayerNorm after the residual sum; at initialisation the gradients near the output are "
            "large, and Adam's first full-size steps there break the model. Pre-LN trains without warmup here."},
    {"question": "Large language-model recipes from 2023-24 warm up for about 2,000 updates. What share of their run is that?",
     "choices": ["About 10 %", "About 4-6 %", "About 0.1-1 %", "Exactly 2/(1-β₂) updates"],
     "answer": 2,
     "why": "Runs grew to hundreds of thousands of updates while the warmup stayed near 2,000 updates: 0.3-0.8 %."},
    {"question": "BERT's fine-tuning script warms up for warmup_proportion = 0.1. 10 % of what?",
     "choices": ["Of the examples in the training set", "Of one epoch", "Of all optimizer updates of the job",
                 "Of the pre-training warmup"],
     "answer": 2,
     "why": "num_warmup_steps = int(num_train_steps * warmup_proportion), with num_train_steps = examples / batch x epochs."},
    {"question": "In the fine-tuning experiment, when did warmup make a difference?",
     "choices": ["At every fine-tuning learning rate", "Only when fine-tuning at a learning rate as high as pre-training's",
                 "Only for the Pre-LN model", "Never"],
     "answer": 1,
     "why": "At the high LR Adam's first steps are full-size and hit the pre-trained weights: a loss spike and lost "
            "pre-training. At a 3x smaller LR both runs were the same."},
]
