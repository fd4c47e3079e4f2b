"""Notebook 03's checkers accept the right answers and explain the typical wrong ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch.optim.lr_scheduler import LambdaLR, LinearLR, SequentialLR  # noqa: E402

from warmup_course.exercises.nb03 import (  # noqa: E402
    HF_CONFIG,
    HF_WARMUP_STEPS,
    check_accumulation_loop,
    check_hf_schedule,
    check_hf_torch_scheduler,
    optimizer_lrs,
)
from warmup_course.scheduler import as_lr_lambda  # noqa: E402
from warmup_course.schedules import linear_warmup, warmup_cosine, warmup_linear  # noqa: E402

torch.set_num_threads(1)
T = HF_CONFIG["max_steps"]


def test_config_arithmetic_is_hf_get_warmup_steps():
    assert HF_WARMUP_STEPS == math.ceil(0.06 * 10_000) == 600


# ------------------------------------------------------------------------------------ exercise 1a


def test_schedule_right_answers_pass():
    assert check_hf_schedule(warmup_linear(600, 10_000)).passed
    assert check_hf_schedule(lambda t: min(t / 600, (10_000 - t) / 9_400)).passed  # a plain function works too


def test_schedule_stub_is_not_attempted():
    v = check_hf_schedule(...)
    assert not v.attempted and not v.passed

    def stub(t):
        ...

    assert not check_hf_schedule(stub).attempted


@pytest.mark.parametrize(
    "answer, words",
    [
        (warmup_linear(6000, 10_000), "6,000"),
        (warmup_linear(60, 10_000), "not 60"),
        (warmup_linear(600, 10_600), "includes the warmup"),
        (warmup_cosine(600, 10_000), "cosine"),
        (warmup_linear(600, 10_000, first_step_nonzero=True), "first_step_nonzero"),
        (warmup_linear(600, 10_000, start_factor=0.1), "first update"),
        (warmup_linear(500, 10_000), "update 500"),
        (linear_warmup(600), "stays at the peak"),  # no decay at all
    ],
)
def test_schedule_typical_mistakes_are_explained(answer, words):
    v = check_hf_schedule(answer)
    assert v.attempted and not v.passed
    assert words in v.message, v.message


def test_schedule_wrong_type_is_rejected_not_raised():
    v = check_hf_schedule(600)
    assert v.attempted and not v.passed and "schedule" in v.message


# ------------------------------------------------------------------------------------ exercise 1b


def seq(start=1e-8, warm_iters=600, milestone=600, decay_iters=9_400):
    def make(opt):
        return SequentialLR(
            opt,
            [LinearLR(opt, start_factor=start, end_factor=1.0, total_iters=warm_iters),
             LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=decay_iters)],
            milestones=[milestone],
        )
    return make


def test_torch_right_answer_passes():
    v = check_hf_torch_scheduler(seq())
    assert v.passed, v.message
    assert check_hf_torch_scheduler(lambda opt: LambdaLR(opt, as_lr_lambda(warmup_linear(600, 10_000)))).passed


def test_torch_stub_is_not_attempted():
    def make_scheduler(optimizer):
        ...

    assert not check_hf_torch_scheduler(make_scheduler).attempted


def forgot_return(opt):
    seq()(opt)  # builds the scheduler, returns None


@pytest.mark.parametrize(
    "make, words",
    [
        (seq(milestone=599), "one update early"),
        (seq(milestone=601), "one update late"),
        (seq(warm_iters=599, milestone=599), "one update early"),
        (seq(warm_iters=6000, milestone=6000, decay_iters=4000), "6,000"),
        (seq(warm_iters=60, milestone=60, decay_iters=9_940), "not 60"),
        (seq(decay_iters=10_000), "9,400"),
        (seq(start=1e-3), "start_factor"),
        (seq(start=0.0), "start_factor"),  # LinearLR raises: the verdict says why
        (forgot_return, "return"),
        (lambda opt: "scheduler", "torch LR scheduler"),
    ],
)
def test_torch_typical_mistakes_are_explained(make, words):
    v = check_hf_torch_scheduler(make)
    assert v.attempted and not v.passed
    assert words in v.message, v.message


def test_torch_checker_rejects_a_one_step_longer_decay():
    # A subtle one: differs from HF by 1e-4 of the peak at most.
    assert not check_hf_torch_scheduler(seq(decay_iters=9_401)).passed


# ------------------------------------------------------------------------------------ exercise 2


def per_update(model, optimizer, scheduler, micro_batches, accum_steps):
    for i, (x, y) in enumerate(micro_batches):
        (F.mse_loss(model(x), y) / accum_steps).backward()
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
            scheduler.step()


def per_micro_batch(model, optimizer, scheduler, micro_batches, accum_steps):
    for i, (x, y) in enumerate(micro_batches):
        (F.mse_loss(model(x), y) / accum_steps).backward()
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
        scheduler.step()


def scheduler_first(model, optimizer, scheduler, micro_batches, accum_steps):
    for i, (x, y) in enumerate(micro_batches):
        (F.mse_loss(model(x), y) / accum_steps).backward()
        if (i + 1) % accum_steps == 0:
            scheduler.step()
            optimizer.step()
            optimizer.zero_grad()


def never_stepped(model, optimizer, scheduler, micro_batches, accum_steps):
    for i, (x, y) in enumerate(micro_batches):
        (F.mse_loss(model(x), y) / accum_steps).backward()
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()


def no_accumulation(model, optimizer, scheduler, micro_batches, accum_steps):
    for x, y in micro_batches:
        F.mse_loss(model(x), y).backward()
        optimizer.step()
        optimizer.zero_grad()
        scheduler.step()


def per_epoch(model, optimizer, scheduler, micro_batches, accum_steps):
    for i, (x, y) in enumerate(micro_batches):
        (F.mse_loss(model(x), y) / accum_steps).backward()
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
        if (i + 1) % 12 == 0:  # "an epoch" of 12 micro-batches
            scheduler.step()


def test_loop_right_answer_passes():
    v = check_accumulation_loop(per_update)
    assert v.passed, v.message


def test_loop_stub_is_not_attempted():
    def train_loop(model, optimizer, scheduler, micro_batches, accum_steps):
        """Fix me."""
        ...

    assert not check_accumulation_loop(train_loop).attempted


@pytest.mark.parametrize(
    "loop, words",
    [
        (per_micro_batch, "once per micro-batch"),
        (scheduler_first, "after optimizer.step()"),
        (never_stepped, "never changes"),
        (no_accumulation, "optimizer.step() ran"),
        (per_epoch, "update"),
    ],
)
def test_loop_typical_mistakes_are_explained(loop, words):
    v = check_accumulation_loop(loop)
    assert v.attempted and not v.passed
    assert words in v.message, v.message


def test_loop_that_raises_becomes_a_verdict():
    def broken(model, optimizer, scheduler, micro_batches, accum_steps):
        raise RuntimeError("boom")

    v = check_accumulation_loop(broken)
    assert v.attempted and not v.passed and "boom" in v.message


def test_optimizer_lrs_shows_what_the_updates_used():
    seen, expected = optimizer_lrs(per_micro_batch, micro_batches=40, accum_steps=4, warmup_steps=4)
    np.testing.assert_allclose(expected, warmup_linear(4, 10).values(10))
    np.testing.assert_allclose(seen, warmup_linear(4, 10)(4 * np.arange(10) + 3))
    seen, expected = optimizer_lrs(per_update, micro_batches=40, accum_steps=4, warmup_steps=4)
    np.testing.assert_array_equal(seen, expected)


def test_nanogpt_reference_is_nanogpts_get_lr():
    import math

    from warmup_course.exercises.nb03 import NANOGPT_CONFIG, nanogpt_get_lr, nanogpt_reference_schedule

    c = NANOGPT_CONFIG
    s = nanogpt_reference_schedule()
    assert nanogpt_get_lr(0, **c) == c["learning_rate"] / (c["warmup_iters"] + 1)
    assert nanogpt_get_lr(c["warmup_iters"], **c) == c["learning_rate"]
    assert nanogpt_get_lr(c["lr_decay_iters"] + 1, **c) == c["min_lr"]
    for t in (0, 1, 50, 99, 100, 101, 2550, 4999, 5000, 5001, 6000):
        assert math.isclose(s(t) * c["learning_rate"], nanogpt_get_lr(t, **c), rel_tol=1e-12, abs_tol=1e-15)


def test_nanogpt_checker_accepts_right_and_explains_typical_mistakes():
    from warmup_course import schedules as S
    from warmup_course.exercises.nb03 import check_nanogpt_schedule, nanogpt_get_lr, nanogpt_reference_schedule

    assert check_nanogpt_schedule(nanogpt_reference_schedule()).passed
    assert check_nanogpt_schedule(lambda t: nanogpt_get_lr(t) / 1e-3).passed
    assert "t / W" in check_nanogpt_schedule(S.warmup_cosine(100, 5000, 0.1)).message
    assert "warmup_iters + 1" in check_nanogpt_schedule(S.warmup_cosine(100, 5000, 0.1, first_step_nonzero=True)).message
    right_warmup = S.linear_warmup(101, first_step_nonzero=True)
    assert "min_lr" in check_nanogpt_schedule(S.with_warmup(right_warmup, S.cosine_decay(4900), 100)).message
    assert "4900" in check_nanogpt_schedule(S.with_warmup(right_warmup, S.cosine_decay(5000, 0.1), 100)).message
    assert not check_nanogpt_schedule(S.constant()).passed
    assert not check_nanogpt_schedule(...).attempted
    assert not check_nanogpt_schedule(42).passed


def test_quiz_is_well_formed():
    from warmup_course.exercises.core import quiz_problems
    from warmup_course.exercises.nb03 import QUIZ

    assert quiz_problems(QUIZ) == [] and 3 <= len(QUIZ) <= 4
