"""Tests for warmup_course.scheduler: the torch adapter, checkpoints/resume, and torch's own schedulers."""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
from torch.optim.lr_scheduler import (  # noqa: E402
    ChainedScheduler,
    CosineAnnealingLR,
    LambdaLR,
    LinearLR,
    OneCycleLR,
    SequentialLR,
)

from warmup_course.scheduler import WarmupLR, as_lr_lambda  # noqa: E402
from warmup_course.schedules import (  # noqa: E402
    cosine_decay,
    exponential_warmup,
    linear_decay,
    linear_warmup,
    warmup_constant,
    warmup_cosine,
    warmup_linear,
    with_warmup,
)

torch.set_num_threads(1)


def make_optimizer(lrs=(0.1,), kind: str = "sgd") -> torch.optim.Optimizer:
    torch.manual_seed(0)
    groups = [{"params": [torch.nn.Parameter(torch.randn(3))], "lr": lr} for lr in lrs]
    if kind == "adam":
        return torch.optim.AdamW(groups, lr=lrs[0])
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)


def train_step(opt: torch.optim.Optimizer) -> None:
    """A real update, so the optimizer has state to checkpoint."""
    opt.zero_grad()
    loss = sum((p**2).sum() for g in opt.param_groups for p in g["params"])
    loss.backward()
    opt.step()


def run(opt, sched, n: int) -> list[list[float]]:
    """lr of each group used by each of the next n updates."""
    out = []
    for _ in range(n):
        out.append([g["lr"] for g in opt.param_groups])
        train_step(opt)
        sched.step()
    return out


def roundtrip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


# ----------------------------------------------------------------------------- basics


def test_lr_is_base_times_schedule_per_group() -> None:
    opt = make_optimizer((0.1, 0.02, 1.0))
    s1, s2 = warmup_cosine(5, 30), warmup_linear(3, 30)
    s3 = with_warmup(exponential_warmup(2.0), cosine_decay(10), 4)
    sched = WarmupLR(opt, [s1, s2, s3])
    lrs = run(opt, sched, 35)
    for t, row in enumerate(lrs):
        assert row == [0.1 * s1(t), 0.02 * s2(t), 1.0 * s3(t)]
    assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
    assert sched.last_epoch == 35


def test_subclass_overriding_get_lr_is_honoured_at_every_step() -> None:
    class Halved(WarmupLR):
        def get_lr(self):
            return [lr / 2 for lr in super().get_lr()]

    opt = make_optimizer((0.1,))
    s = linear_warmup(4)
    lrs = run(opt, Halved(opt, s), 8)
    assert [row[0] for row in lrs] == [0.1 * s(t) / 2 for t in range(8)]


def test_single_schedule_shared_by_groups_and_repr() -> None:
    opt = make_optimizer((0.1, 0.3))
    sched = WarmupLR(opt, linear_warmup(4))
    assert [g["lr"] for g in opt.param_groups] == [0.0, 0.0]
    run(opt, sched, 2)
    assert [g["lr"] for g in opt.param_groups] == [0.1 * 0.5, 0.3 * 0.5]
    assert repr(sched) == "WarmupLR(linear_warmup(warmup_steps=4, start_factor=0.0), last_epoch=2)"


def test_equals_lambdalr_and_hf_exactly() -> None:
    s = warmup_cosine(7, 40)
    opt_a, opt_b = make_optimizer(), make_optimizer()
    ours = run(opt_a, WarmupLR(opt_a, s), 45)
    ref = run(opt_b, LambdaLR(opt_b, as_lr_lambda(s)), 45)
    assert ours == ref
    tr = pytest.importorskip("transformers")
    opt_c = make_optimizer()
    hf = run(opt_c, tr.get_cosine_schedule_with_warmup(opt_c, 7, 40), 41)
    assert ours[:41] == hf


def test_tensor_lr_is_updated_in_place() -> None:
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.Adam([p], lr=torch.tensor(0.01))
    lr_tensor = opt.param_groups[0]["lr"]
    sched = WarmupLR(opt, linear_warmup(4))
    for _ in range(3):
        train_step(opt)
        sched.step()
    assert opt.param_groups[0]["lr"] is lr_tensor
    assert float(lr_tensor) == pytest.approx(0.01 * 0.75)


def test_bad_arguments() -> None:
    opt = make_optimizer((0.1, 0.2))
    with pytest.raises(TypeError, match="schedule"):
        WarmupLR(opt, lambda t: 1.0)
    with pytest.raises(ValueError, match="param group"):
        WarmupLR(opt, [linear_warmup(3)])
    with pytest.raises(TypeError, match=r"schedule\[1\]"):
        WarmupLR(opt, [linear_warmup(3), 3])
    with pytest.raises(TypeError, match="optimizer"):
        WarmupLR("sgd", linear_warmup(3))
    with pytest.raises(TypeError, match="schedule"):
        as_lr_lambda(lambda t: 1.0)


# ----------------------------------------------------------------------------- checkpoints and resume


def test_state_dict_is_plain_data() -> None:
    opt = make_optimizer()
    sched = WarmupLR(opt, warmup_cosine(5, 20))
    run(opt, sched, 3)
    state = roundtrip(sched.state_dict())  # raises if anything but plain data is inside
    assert state["last_epoch"] == 3
    assert state["schedule_reprs"] == [repr(warmup_cosine(5, 20))]
    assert "schedules" not in state and "_fns" not in state


def _resume(schedule, k: int, n: int, lrs, order: str, kind: str):
    opt = make_optimizer(lrs, kind)
    sched = WarmupLR(opt, schedule)
    first = run(opt, sched, k)
    params = [p.detach().clone() for g in opt.param_groups for p in g["params"]]
    ckpt = roundtrip({"params": params, "opt": opt.state_dict(), "sched": sched.state_dict()})
    opt2 = make_optimizer([9.9] * len(lrs), kind)  # deliberately different fresh lrs
    with torch.no_grad():
        for p, saved in zip((p for g in opt2.param_groups for p in g["params"]), ckpt["params"]):
            p.copy_(saved)
    if order == "optimizer_first":
        opt2.load_state_dict(ckpt["opt"])
        sched2 = WarmupLR(opt2, schedule)  # this overwrites the loaded lrs (pytorch#65342) ...
        sched2.load_state_dict(ckpt["sched"])  # ... and this puts them back
    elif order == "scheduler_first":
        sched2 = WarmupLR(opt2, schedule)
        opt2.load_state_dict(ckpt["opt"])
        sched2.load_state_dict(ckpt["sched"])
    else:  # only the scheduler is restored: base lrs come from the checkpoint
        sched2 = WarmupLR(opt2, schedule)
        sched2.load_state_dict(ckpt["sched"])
    return first + run(opt2, sched2, n - k), opt2


@pytest.mark.parametrize("order", ["optimizer_first", "scheduler_first", "scheduler_only"])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_resume_mid_warmup_is_bit_identical(order: str, kind: str) -> None:
    s = warmup_cosine(10, 40)
    lrs = (0.1, 0.05)
    opt = make_optimizer(lrs, kind)
    uninterrupted = run(opt, WarmupLR(opt, s), 40)
    resumed, opt2 = _resume(s, 4, 40, lrs, order, kind)
    assert resumed == uninterrupted
    if order != "scheduler_only":  # the parameters followed the same path too
        for g1, g2 in zip(opt.param_groups, opt2.param_groups):
            assert torch.equal(g1["params"][0], g2["params"][0])


@settings(max_examples=20, deadline=None)
@given(
    w=st.integers(min_value=0, max_value=12),
    extra=st.integers(min_value=1, max_value=12),
    k=st.integers(min_value=0, max_value=24),
    order=st.sampled_from(["optimizer_first", "scheduler_first", "scheduler_only"]),
    fsn=st.booleans(),
)
def test_resume_equals_uninterrupted_property(w: int, extra: int, k: int, order: str, fsn: bool) -> None:
    s = warmup_linear(w, w + extra, first_step_nonzero=fsn)
    n = w + extra + 2
    k = min(k, n)
    opt = make_optimizer((0.3,))
    uninterrupted = run(opt, WarmupLR(opt, s), n)
    resumed, _ = _resume(s, k, n, (0.3,), order, "sgd")
    assert resumed == uninterrupted


def test_load_warns_when_schedule_differs() -> None:
    opt = make_optimizer()
    sched = WarmupLR(opt, warmup_cosine(5, 20))
    run(opt, sched, 3)
    state = sched.state_dict()
    other = WarmupLR(make_optimizer(), warmup_linear(5, 20))
    with pytest.warns(UserWarning, match="schedules"):
        other.load_state_dict(state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        WarmupLR(make_optimizer(), warmup_cosine(5, 20)).load_state_dict(state)


# ----------------------------------------------------------------------------- torch's own schedulers


def test_no_warnings_inside_sequential_and_chained() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = make_optimizer()
        seq = SequentialLR(
            opt, [WarmupLR(opt, linear_warmup(5)), LambdaLR(opt, as_lr_lambda(cosine_decay(10)))], milestones=[5]
        )
        got = run(opt, seq, 20)
        ref = warmup_cosine(5, 15)
        assert [row[0] for row in got] == pytest.approx([0.1 * ref(t) for t in range(20)], rel=1e-15, abs=1e-18)
        roundtrip(seq.state_dict())

        opt = make_optimizer()
        seq = SequentialLR(opt, [LinearLR(opt, 0.5, total_iters=2), WarmupLR(opt, cosine_decay(6))], milestones=[2])
        got = run(opt, seq, 10)
        expected = [0.05, 0.075] + [0.1 * cosine_decay(6)(t) for t in range(8)]
        assert [row[0] for row in got] == pytest.approx(expected, rel=1e-14, abs=1e-18)

        opt = make_optimizer()
        chained = ChainedScheduler([WarmupLR(opt, warmup_constant(4))], optimizer=opt)
        got = run(opt, chained, 8)
        assert [row[0] for row in got] == [0.1 * warmup_constant(4)(t) for t in range(8)]


@pytest.mark.parametrize("start_factor", [0.01, 1 / 3, 1.0])
def test_reproduces_linearlr_sequential_cosineannealing(start_factor: float) -> None:
    w, total, base = 8, 40, 0.1
    opt_t = make_optimizer((base,))
    torch_sched = SequentialLR(
        opt_t,
        [LinearLR(opt_t, start_factor=start_factor, total_iters=w), CosineAnnealingLR(opt_t, T_max=total - w)],
        milestones=[w],
    )
    opt_o = make_optimizer((base,))
    ours = WarmupLR(opt_o, with_warmup(linear_warmup(w, start_factor), cosine_decay(total - w), w))
    a = np.array(run(opt_t, torch_sched, total + 1))
    b = np.array(run(opt_o, ours, total + 1))
    # torch steps both recursively (chainable form); equal up to rounding
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15)


def test_reproduces_onecycle_linear() -> None:
    total, pct, div, final_div, max_lr = 100, 0.25, 25.0, 1e4, 0.5
    opt_t = make_optimizer((max_lr,))
    ref = OneCycleLR(
        opt_t,
        max_lr=max_lr,
        total_steps=total,
        pct_start=pct,
        anneal_strategy="linear",
        div_factor=div,
        final_div_factor=final_div,
        cycle_momentum=False,
    )
    w = int(pct * total) - 1  # OneCycleLR reaches max_lr at step pct*total - 1
    up = linear_warmup(w, start_factor=1 / div)
    down = linear_decay(total - 1 - w, end_factor=1 / (div * final_div))
    opt_o = make_optimizer((max_lr,))
    ours = WarmupLR(opt_o, with_warmup(up, down, w))
    a = np.array(run(opt_t, ref, total))
    b = np.array(run(opt_o, ours, total))
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15)


def test_lambdalr_state_dict_with_as_lr_lambda_is_weights_only_safe() -> None:
    opt = make_optimizer()
    sched = LambdaLR(opt, as_lr_lambda(warmup_cosine(3, 10)))
    run(opt, sched, 2)
    state = roundtrip(sched.state_dict())
    assert state["lr_lambdas"] == [None] and state["last_epoch"] == 2
    assert math.isclose(as_lr_lambda(warmup_cosine(3, 10))(2), 2 / 3)
