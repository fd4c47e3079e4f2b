"""Tests for warmup_course.peers.record_lrs: the LR each update used, for any scheduler protocol."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.optim.lr_scheduler import LambdaLR, LinearLR, SequentialLR, StepLR  # noqa: E402

from warmup_course.peers import record_lrs  # noqa: E402
from warmup_course.scheduler import WarmupLR, as_lr_lambda  # noqa: E402
from warmup_course.schedules import linear_warmup, warmup_cosine  # noqa: E402

torch.set_num_threads(1)


def test_lambdalr_and_warmuplr_record_the_schedule_times_the_peak():
    s = warmup_cosine(10, 50)
    for make in (lambda o: LambdaLR(o, as_lr_lambda(s)), lambda o: WarmupLR(o, s)):
        lrs = record_lrs(make, 50, peak_lr=0.5)
        assert lrs.shape == (50,) and lrs.dtype == np.float64
        np.testing.assert_allclose(lrs, 0.5 * s.values(50), rtol=1e-15, atol=0)
    assert lrs[0] == 0.0 and lrs[10] == 0.5  # update 0 is recorded before any scheduler step


def test_records_before_the_update_and_steps_after_it():
    # StepLR halves every 3 steps: updates 0,1,2 use the base LR, 3,4,5 half of it.
    lrs = record_lrs(lambda o: StepLR(o, step_size=3, gamma=0.5), 7, peak_lr=2.0)
    assert lrs.tolist() == [2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.5]


def test_no_call_order_warning_from_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns if scheduler.step() runs before optimizer.step()
        record_lrs(lambda o: SequentialLR(o, [LinearLR(o, 0.5, total_iters=2), StepLR(o, 1)], milestones=[2]), 5)


class _CountingScheduler:
    """A scheduler with timm's protocol: it is told the number of updates done."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.seen: list[int] = []

    def step_update(self, num_updates: int) -> None:
        self.seen.append(num_updates)
        self.optimizer.param_groups[0]["lr"] = 0.1 * num_updates


def test_custom_step_gets_the_update_index():
    made = []

    def make(opt):
        made.append(_CountingScheduler(opt))
        return made[-1]

    lrs = record_lrs(make, 4, peak_lr=1.0, step=lambda s, t: s.step_update(t + 1))
    assert made[0].seen == [1, 2, 3, 4]
    np.testing.assert_allclose(lrs, [1.0, 0.1, 0.2, 0.3])


def test_optimizer_class_and_kwargs_are_used():
    seen = {}

    def make(opt):
        seen["opt"] = opt
        return LambdaLR(opt, lambda t: 1.0)

    record_lrs(make, 2, peak_lr=1e-3, optimizer_cls=torch.optim.Adam, betas=(0.9, 0.98))
    assert isinstance(seen["opt"], torch.optim.Adam)
    assert seen["opt"].param_groups[0]["betas"] == (0.9, 0.98)
    assert seen["opt"].param_groups[0]["initial_lr"] == 1e-3


def test_tensor_lr_is_recorded_as_float():
    lrs = record_lrs(lambda o: WarmupLR(o, linear_warmup(4)), 6, peak_lr=1.0,
                     optimizer_cls=torch.optim.Adam, capturable=False)
    np.testing.assert_allclose(lrs, [0, 0.25, 0.5, 0.75, 1, 1])


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(make_scheduler=None, steps=3), TypeError, "make_scheduler"),
        (dict(steps=0), ValueError, "steps"),
        (dict(steps=2.5), TypeError, "steps"),  # not an int: TypeError (warmup_course.validation)
        (dict(steps=True), TypeError, "steps"),
        (dict(steps=3, peak_lr=0.0), ValueError, "peak_lr"),
        (dict(steps=3, peak_lr=float("nan")), ValueError, "peak_lr"),
        (dict(steps=3, step="no"), TypeError, "step"),
        (dict(steps=3, optimizer_cls=dict), TypeError, "optimizer_cls"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, exc, words):
    kwargs.setdefault("make_scheduler", lambda o: LambdaLR(o, lambda t: 1.0))
    with pytest.raises(exc, match=words):
        record_lrs(**kwargs)


def test_importing_the_library_loads_no_peer():
    code = (
        "import sys, warmup_course, warmup_course.peers, warmup_course.exercises; "
        "print(sorted(m for m in ('transformers', 'timm', 'keras', 'pytorch_warmup') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
