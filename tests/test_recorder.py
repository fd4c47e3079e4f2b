"""warmup_course.recorder: the LR each optimizer.step() used, skipped AMP steps, scheduler calls; clean removal."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from warmup_course import schedules as S
from warmup_course.audit import LRTrace, audit
from warmup_course.recorder import LRRecorder, record_lr
from warmup_course.scheduler import WarmupLR


def _opt(groups: int = 1, lr: float = 0.1) -> torch.optim.Optimizer:
    params = [{"params": [nn.Parameter(torch.zeros(2))], "lr": lr * (i + 1)} for i in range(groups)]
    return torch.optim.SGD(params, lr=lr)


def _step(opt):
    for g in opt.param_groups:
        for p in g["params"]:
            p.grad = torch.ones_like(p)
    opt.step()


def test_records_the_lr_each_step_used_per_group():
    opt = _opt(groups=2)
    sched = WarmupLR(opt, S.warmup_linear(5, 20))
    with record_lr(opt, sched) as rec:
        for _ in range(20):
            _step(opt)
            sched.step()
    tr = rec.trace
    expected = S.warmup_linear(5, 20).values(20)
    assert tr.lrs.shape == (20, 2)
    assert np.allclose(tr.lrs[:, 0], 0.1 * expected) and np.allclose(tr.lrs[:, 1], 0.2 * expected)
    assert tr.base_lrs == (0.1, 0.2)
    assert np.array_equal(tr.scheduler_calls, np.arange(1, 21))
    assert len(tr.skipped) == 0
    assert audit(rec, S.warmup_linear(5, 20), total_steps=20).ok  # peak from the recorded base LR


def test_hooks_and_wrappers_removed_on_exit():
    opt = _opt()
    sched = LambdaLR(opt, lambda t: 1.0)
    had_step = "step" in vars(sched)
    with record_lr(opt, sched) as rec:
        _step(opt)
        sched.step()
    assert ("step" in vars(sched)) == had_step
    _step(opt)
    sched.step()
    assert len(rec) == 1 and len(rec.trace.scheduler_calls) == 1
    rec.close()  # twice is fine
    assert rec.closed


def test_scheduler_step_restored_exactly():
    opt = _opt()
    sched = LambdaLR(opt, lambda t: 1.0)
    before = vars(sched).get("step")
    rec = record_lr(opt, sched)
    assert vars(sched).get("step") is not before
    rec.close()
    assert vars(sched).get("step") is before


def test_step_that_raises_is_not_recorded():
    opt = _opt()

    def bad_closure():
        raise RuntimeError("boom")

    with record_lr(opt) as rec:
        with pytest.raises(RuntimeError):
            opt.step(bad_closure)
        _step(opt)
    assert len(rec) == 1


def test_grad_scaler_skips_are_recorded_and_audited():
    opt = _opt()
    sched = WarmupLR(opt, S.warmup_linear(5, 30))
    scaler = torch.amp.GradScaler("cpu", init_scale=4.0)
    p = opt.param_groups[0]["params"][0]
    import warnings
    with warnings.catch_warnings(), record_lr(opt, sched, scaler=scaler) as rec:
        warnings.simplefilter("ignore")
        for t in range(30):
            loss = (p * (float("inf") if t < 3 else 1.0)).sum()  # inf gradients in the first 3 iterations
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()  # the bug: stepped even when the optimizer skipped
    tr = rec.trace
    assert len(tr) == 27 and np.array_equal(tr.skipped, [0, 0, 0])
    rep = audit(rec)
    assert "skipped_steps" in rep and rep.findings[0].value == 3
    assert np.allclose(tr.lr, 0.1 * S.warmup_linear(5, 30)(np.arange(27) + 3))  # 3 updates ahead


def test_trace_snapshot_and_repr():
    opt = _opt()
    rec = LRRecorder(opt)
    _step(opt)
    tr = rec.trace
    _step(opt)
    assert len(tr) == 1 and len(rec.trace) == 2 and tr.scheduler_calls is None
    assert isinstance(tr, LRTrace) and "updates=2" in repr(rec)
    rec.close()
    empty = LRRecorder(_opt()).trace
    assert len(empty) == 0 and empty.lrs.shape == (0, 1)


@pytest.mark.parametrize("kwargs, name", [({"optimizer": None}, "optimizer"), ({"optimizer": "abc"}, "optimizer"),
                                          ({"scheduler": 1}, "scheduler"), ({"scaler": "x"}, "scaler")])
def test_bad_input(kwargs, name):
    args = {"optimizer": _opt()} | kwargs
    with pytest.raises(TypeError, match=name):
        record_lr(args.pop("optimizer"), **args)
