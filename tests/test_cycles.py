"""Cyclical, one-cycle and SGDR schedules against torch's own schedulers, step by step; the product/splice
combinators and the 1-sqrt cooldown against timm, torch's ChainedScheduler and HF's get_wsd_schedule."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.optim.lr_scheduler import (
    ChainedScheduler,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    LinearLR,
    OneCycleLR,
)

from warmup_course import schedules as S
from warmup_course.cycles import cosine_restarts, cyclical, one_cycle
from warmup_course.scheduler import WarmupLR


def torch_lrs(make, n, lr=1.0, momentum=0.9):
    """The lr torch's scheduler gives updates 0..n-1 (read before each optimizer.step)."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=momentum)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


def ours_through_warmuplr(schedule, n, lr):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = WarmupLR(opt, schedule)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


@pytest.mark.parametrize("mode,up,down,gamma", [
    ("triangular", 7, None, 1.0), ("triangular", 5, 13, 1.0), ("triangular2", 6, 9, 1.0),
    ("exp_range", 8, None, 0.997), ("exp_range", 3, 11, 0.99),
])
def test_cyclical_equals_cycliclr_at_every_step(mode, up, down, gamma):
    base, peak, n = 0.013, 0.4, 600
    ref = torch_lrs(lambda o: CyclicLR(o, base_lr=base, max_lr=peak, step_size_up=up, step_size_down=down,
                                       mode=mode, gamma=gamma), n)
    s = cyclical(up, down, base_factor=base / peak, mode=mode, gamma=gamma)
    assert np.allclose(peak * s.values(n), ref, rtol=1e-12, atol=1e-15)
    assert np.allclose([peak * s(t) for t in range(n)], ref, rtol=1e-12, atol=1e-15)  # the scalar path too
    # and when it drives WarmupLR with the optimizer's lr at the peak
    assert np.allclose(ours_through_warmuplr(s, n, peak), ref, rtol=1e-12, atol=1e-15)


def test_cyclical_rising_half_is_a_linear_warmup():
    s = cyclical(10, base_factor=0.1)
    assert np.allclose(s.values(11), S.linear_warmup(10, start_factor=0.1).values(11))
    assert s(10) == 1.0 and s(20) == pytest.approx(0.1) and s(30) == pytest.approx(1.0)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("total,pct,div,final_div", [(1000, 0.3, 25.0, 1e4), (257, 0.25, 10.0, 100.0), (40, 0.1, 5.0, 1e3)])
def test_one_cycle_equals_onecyclelr_at_every_step(anneal, three_phase, total, pct, div, final_div):
    peak = 0.7
    ref = torch_lrs(lambda o: OneCycleLR(o, max_lr=peak, total_steps=total, pct_start=pct, anneal_strategy=anneal,
                                         div_factor=div, final_div_factor=final_div, three_phase=three_phase), total)
    s = one_cycle(total, pct, anneal, div, final_div, three_phase)
    # atol: the last updates are ~peak/2.5e5, where the (end - start)·pct + start arithmetic cancels (~1e-17)
    assert np.allclose(peak * s.values(total), ref, rtol=1e-12, atol=1e-14)
    assert np.allclose([peak * s(t) for t in range(total)], ref, rtol=1e-12, atol=1e-14)
    assert np.allclose(ours_through_warmuplr(s, total, peak), ref, rtol=1e-12, atol=1e-14)
    # starts at peak/div, ends at peak/(div * final_div), held there after the run
    assert s(0) == pytest.approx(1 / div) and s(total - 1) == pytest.approx(1 / (div * final_div))
    assert s(total + 50) == s(total - 1)


def test_one_cycle_peak_and_default_shape():
    s = one_cycle(100)
    v = s.values(100)
    assert int(np.argmax(v)) == 29 and v.max() == 1.0  # the peak at pct_start * T - 1
    assert (np.diff(v[:30]) > 0).all() and (np.diff(v[29:]) < 0).all()


@pytest.mark.parametrize("t0,mult,eta_min", [(10, 1, 0.0), (7, 2, 0.05), (5, 3, 0.0), (1, 1, 0.1), (13, 1, 0.2)])
def test_cosine_restarts_equals_torch_at_every_step(t0, mult, eta_min):
    peak, n = 0.3, 800
    ref = torch_lrs(lambda o: CosineAnnealingWarmRestarts(o, T_0=t0, T_mult=mult, eta_min=eta_min * peak), n, lr=peak)
    s = cosine_restarts(t0, mult, eta_min)
    assert np.allclose(peak * s.values(n), ref, rtol=1e-12, atol=1e-15)
    assert np.allclose([peak * s(t) for t in range(n)], ref, rtol=1e-12, atol=1e-15)
    assert np.allclose(ours_through_warmuplr(s, n, peak), ref, rtol=1e-12, atol=1e-15)


def test_cosine_restarts_rewarmup_replaces_the_jump():
    t0, mult, r = 20, 2, 5
    plain, warm = cosine_restarts(t0, mult), cosine_restarts(t0, mult, rewarmup_steps=r)
    a, b = plain.values(140), warm.values(140)
    assert np.array_equal(a[:t0], b[:t0])  # the first cycle is untouched
    for start, length in ((20, 40), (60, 80)):
        assert a[start] == 1.0 and b[start] == 0.0  # the restart: a jump vs a ramp from the bottom
        assert np.allclose(b[start:start + r], np.arange(r) / r)
        assert b[start + r] == 1.0 and b[start + length - 1] < 0.01
        assert (np.diff(b[start + r:start + length]) < 0).all()
    # in the ramp the lr never jumps by more than 1/R per update
    assert np.abs(np.diff(b)).max() <= 1 / r + 1e-12 < np.abs(np.diff(a)).max()


def test_float_steps_and_arrays_agree():
    for s in (cyclical(4, 6, base_factor=0.2, mode="triangular2"), one_cycle(50, three_phase=True),
              cosine_restarts(6, 2, 0.1, rewarmup_steps=2)):
        t = np.array([0.0, 1.5, 3.25, 17.0, 44.5])
        assert np.allclose(s(t), [s(float(x)) for x in t], rtol=1e-12)
        assert s(np.arange(30).reshape(5, 6)).shape == (5, 6)


# -------------------------------------------------------------------------- product, splice, 1 - sqrt


def test_product_is_torch_chainedscheduler():
    w, T, n = 20, 200, 200
    ref = torch_lrs(lambda o: ChainedScheduler([LinearLR(o, start_factor=1e-3, total_iters=w),
                                                CosineAnnealingLR(o, T_max=T)]), n, lr=0.5)
    s = S.product(S.linear_warmup(w, start_factor=1e-3), S.cosine_decay(T))
    assert np.allclose(0.5 * s.values(n), ref, rtol=1e-9, atol=1e-12)


def test_product_with_numbers_and_scalars():
    s = S.product(S.linear_warmup(4), 0.5, S.constant())
    assert s(2) == 0.25 and np.allclose(s.values(6), 0.5 * S.linear_warmup(4).values(6))
    assert "product(" in repr(s)


def test_splice_is_timm_without_warmup_prefix():
    timm_cos = pytest.importorskip("timm.scheduler.cosine_lr")
    w, t_initial, n = 25, 300, 300
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    sched = timm_cos.CosineLRScheduler(opt, t_initial=t_initial, warmup_t=w, warmup_lr_init=0.0,
                                       warmup_prefix=False, t_in_epochs=False)
    ref = []
    for t in range(n):
        sched.step_update(t)
        ref.append(opt.param_groups[0]["lr"])
    ours = S.splice(S.linear_warmup(w), S.cosine_decay(t_initial), w)
    assert np.allclose(0.2 * ours.values(n), ref, rtol=1e-12, atol=1e-15)
    # ... and with_warmup is warmup_prefix=True; the product is neither
    assert not np.allclose(0.2 * S.product(S.linear_warmup(w), S.cosine_decay(t_initial)).values(n), ref)


def test_sqrt_decay_is_hf_wsd_cooldown():
    transformers = pytest.importorskip("transformers")
    w, stable, d, m = 10, 30, 20, 0.1
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    hf = transformers.get_wsd_schedule(opt, num_warmup_steps=w, num_decay_steps=d, num_stable_steps=stable,
                                       min_lr_ratio=m, decay_type="1-sqrt")
    ref = [hf.lr_lambdas[0](t) for t in range(w + stable + d + 5)]
    # a WSD run from pieces: warmup, then (constant for `stable` updates, then the cooldown on its own clock)
    ours = S.with_warmup(S.linear_warmup(w, start_factor=m), S.with_warmup(S.constant(), S.sqrt_decay(d, m), stable), w)
    assert np.allclose(ours.values(len(ref)), ref, rtol=1e-12, atol=1e-15)
    v = S.sqrt_decay(100).values(101)
    assert v[25] == pytest.approx(0.5) and v[100] == 0.0  # half the drop after a quarter of the cooldown
    assert (v < S.linear_decay(100).values(101) + 1e-12).all()  # below the linear cooldown all the way


@pytest.mark.parametrize("call,name", [
    (lambda: cyclical(0, base_factor=0.1), "step_size_up"),
    (lambda: cyclical(5, 0, base_factor=0.1), "step_size_down"),
    (lambda: cyclical(5, base_factor=1.0), "base_factor"),
    (lambda: cyclical(5, base_factor=0.1, mode="tri"), "mode"),
    (lambda: cyclical(5, base_factor=0.1, mode="exp_range", gamma=0.0), "gamma"),
    (lambda: one_cycle(1), "total_steps"),
    (lambda: one_cycle(10, 0.05), "pct_start"),
    (lambda: one_cycle(10, 0.6, three_phase=True), "pct_start"),
    (lambda: one_cycle(10, anneal_strategy="cosine"), "anneal_strategy"),
    (lambda: one_cycle(10, div_factor=0.5), "div_factor"),
    (lambda: one_cycle(10, three_phase=1), "three_phase"),
    (lambda: cosine_restarts(0), "cycle_steps"),
    (lambda: cosine_restarts(10, 1.5), "cycle_mult"),
    (lambda: cosine_restarts(10, rewarmup_steps=10), "rewarmup_steps"),
    (lambda: cosine_restarts(10, min_factor=math.nan), "min_factor"),
    (lambda: S.product(), "factors"),
    (lambda: S.product(S.constant(), "x"), "factors[1]"),
    (lambda: S.splice(S.constant(), 3, 1), "then"),
    (lambda: S.splice(S.constant(), S.constant(), -1), "at"),
    (lambda: S.sqrt_decay(0), "decay_steps"),
])
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises((TypeError, ValueError), match=re_escape(name)):
        call()


def re_escape(name):
    import re

    return re.escape(name)


def test_composition_values_and_figure():
    import matplotlib

    matplotlib.use("Agg")
    from warmup_course.plotting import composition_values, plot_composition

    v = composition_values(20, 200, "cosine", 50, 0.3)
    # the product multiplies the three factors on one clock; with_warmup starts decay x cycle at W
    assert np.allclose(v["product"], v["warmup"] * v["decay"] * v["cycle"])
    assert v["with_warmup"][20] == 1.0 and v["product"].max() < 1.0
    assert np.allclose(v["cycle"][:120], cosine_restarts(50, min_factor=0.3).values(120))
    assert composition_values(0, 50, "constant")["product"].min() == 1.0
    fig = plot_composition(30, 120, "1-sqrt", 40, 0.2)
    assert len(fig.axes) == 2 and fig.axes[0].get_ylabel().startswith("LR multiplier")
    with pytest.raises(ValueError, match="decay"):
        composition_values(10, 100, "exp")
    with pytest.raises(ValueError, match="warmup_steps"):
        composition_values(100, 100)
