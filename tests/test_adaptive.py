"""warmup_course.adaptive: each controller against a hand-computed trajectory, exact resume, bad input, the probe."""

from __future__ import annotations

import io
import math
from functools import partial

import numpy as np
import pytest
import torch
from torch import nn

from warmup_course import adaptive as ad
from warmup_course import schedules
from warmup_course.training import train


class Quadratic(nn.Module):
    """``forward()`` returns the parameter itself; the loss ``0.5 * sum(h * w^2)`` has Hessian ``diag(h)``."""

    def __init__(self, w0):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w0, dtype=torch.float64))

    def forward(self, x):
        return self.w.expand(len(x), -1)


def quad_loss(h):
    h = torch.tensor(h, dtype=torch.float64)
    return lambda out, y: 0.5 * (h * out[0] ** 2).sum()


BATCH = (torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64))


# ----------------------------------------------------------------------------------------------- update size


def test_update_size_follows_hand_computed_trajectory():
    w = nn.Parameter(torch.full((2, 2), 10.0, dtype=torch.float64))
    c = torch.ones(2, 2, dtype=torch.float64)  # loss = sum(c * w): gradient c, every step
    opt = torch.optim.SGD([w], lr=1.0)
    sched = ad.UpdateSizeWarmup(opt, target_ratio=0.02, start_factor=0.1, lo=0.5, hi=1.25)
    lrs = []
    wv, lr = 10.0 * np.ones((2, 2)), 0.1
    expected = []
    for _ in range(25):
        lrs.append(opt.param_groups[0]["lr"])
        expected.append(lr)
        opt.zero_grad()
        (c * w).sum().backward()
        opt.step()
        sched.step()
        new = wv - lr * np.ones((2, 2))
        r = np.linalg.norm(new - wv) / np.linalg.norm(wv)
        lr = min(1.0, lr * float(np.clip(0.02 / r, 0.5, 1.25)))
        wv = new
    assert np.allclose(lrs, expected, rtol=1e-12, atol=0)
    assert lrs[0] == pytest.approx(0.1) and lrs[1] == pytest.approx(0.125)  # ratio 0.01 < 0.02: grow by hi
    assert max(lrs) < 1.0  # r* caps it: at lr 0.2, ||dW||/||W|| ~ 0.02
    assert sched.last_ratio == pytest.approx(np.linalg.norm(lr * 0 + expected[-1] * np.ones((2, 2))) / np.linalg.norm(wv + expected[-1]), rel=1e-9)


def test_update_size_backs_off_and_hands_over():
    w = nn.Parameter(torch.ones(3, 3))
    opt = torch.optim.SGD([w], lr=0.5)
    sched = ad.UpdateSizeWarmup(opt, target_ratio=1e-6, start_factor=1.0)  # every update is too big
    (w.sum()).backward(); opt.step(); sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25)  # clipped at lo = 0.5
    opt2 = torch.optim.SGD([nn.Parameter(torch.ones(3, 3))], lr=0.5)
    then = schedules.linear_decay(4)
    s2 = ad.UpdateSizeWarmup(opt2, target_ratio=10.0, start_factor=0.8, then=then)  # tiny updates: grow to target
    p = opt2.param_groups[0]["params"][0]
    lrs = []
    for _ in range(6):
        lrs.append(opt2.param_groups[0]["lr"])
        opt2.zero_grad(); p.sum().backward(); opt2.step(); s2.step()
    # 0.4 -> 0.5 (factor 1: warmup over at t = 1), then target * linear_decay(4)(t - 1)
    assert lrs[:2] == pytest.approx([0.4, 0.5])
    assert s2.handover_step == 1 and s2.warmup_over
    assert lrs[2:] == pytest.approx([0.5 * then(t - 1) for t in range(2, 6)])


# ----------------------------------------------------------------------------------------------- loss gap


def test_loss_gap_constants_match_the_papers_rule():
    lr, dstar = 3.2, 0.3
    k0, krho = ad.loss_gap_constants(lr, dstar)
    assert k0 == pytest.approx(1 / (4 * lr**2 * krho))  # llm-baselines lipschitz_scheduler.py: K0 = 1/(4 lr^2 Krho)
    assert math.sqrt(k0 / krho) == pytest.approx(dstar)  # the peak gap, rho = 2
    grid = np.linspace(0.01, 3, 3001)
    lrs = grid / (k0 + krho * grid**2)
    assert grid[lrs.argmax()] == pytest.approx(dstar, abs=2e-3) and lrs.max() == pytest.approx(lr, rel=1e-5)
    k0, krho = ad.loss_gap_constants(1.0, 0.5, rho=3.0)  # general rho: the peak is still at D*, value the target
    lrs = grid / (k0 + krho * grid**3)
    assert grid[lrs.argmax()] == pytest.approx(0.5, abs=2e-3) and lrs.max() == pytest.approx(1.0, rel=1e-5)


def test_loss_gap_lr_for_a_loss_sequence_is_the_formula():
    losses = [2.3, 2.1, 1.5, 0.9, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05, float("nan"), 0.04]
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=2.0)
    k0, k1, krho, rho, star = 0.05, 0.1, 0.5, 2.0, 0.02
    sched = ad.LossGapWarmup(opt, k0=k0, krho=krho, k1=k1, rho=rho, loss_star=star, beta=0.0, start_factor=0.25,
                             min_factor=0.01)
    got = [opt.param_groups[0]["lr"]]
    for loss in losses:
        p.grad = torch.zeros(1); opt.step()
        sched.step(torch.tensor(loss, dtype=torch.float64))
        got.append(opt.param_groups[0]["lr"])
    want = [0.5]
    for loss in losses:
        if math.isnan(loss):
            want.append(0.01 * 2.0)  # non-finite loss: the floor
            continue
        d = max(loss - star, 1e-12)
        want.append(min(2.0, max(0.02, d / (k0 + k1 * d + krho * d**rho))))
    assert got == pytest.approx(want, rel=1e-12)
    assert got[1] == pytest.approx(ad.loss_gap_lr(2.3 - star, k0, k1, krho, rho))


def test_loss_gap_smoothing_and_peak():
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = ad.LossGapWarmup(opt, delta_peak=0.3, beta=0.5)
    k0, krho = ad.loss_gap_constants(1.0, 0.3)
    ema, lrs = None, []
    for loss in (2.0, 1.0, 0.5, 0.3, 0.1):
        p.grad = torch.zeros(1); opt.step(); sched.step(loss)
        ema = loss if ema is None else 0.5 * ema + 0.5 * loss
        lrs.append(opt.param_groups[0]["lr"])
        assert lrs[-1] == pytest.approx(min(1.0, ema / (k0 + krho * ema**2)), rel=1e-12)
    assert sched.delta == pytest.approx(ema)
    with pytest.raises(TypeError, match="loss"):
        sched.step()


# ----------------------------------------------------------------------------------------------- CDAT


def test_cdat_on_a_quadratic_is_the_hand_computed_step():
    h, w0 = [4.0, 1.0], [1.0, -2.0]
    model = Quadratic(w0)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    loss_fn = quad_loss(h)
    sched = ad.CDATWarmup(opt, model, loss_fn, BATCH, sigma=2.0, beta=0.5, start_factor=0.1)
    loss_fn(model(BATCH[0]), None).backward()
    opt.step()
    sched.step()
    hv, w = np.array(h), np.array(w0)
    g0 = hv * w
    w1 = w - 0.1 * g0
    u = -g0  # the move per unit lr
    g1 = hv * w1
    eta = 2.0 * max(-(g1 @ u), 0.0) / (u @ (hv * u) + 1e-12)
    assert sched.last_eta == pytest.approx(eta, rel=1e-9)
    assert opt.param_groups[0]["lr"] == pytest.approx(min(1.0, 0.5 * 0.1 + 0.5 * eta), rel=1e-9)


def test_cdat_restores_batchnorm_statistics():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    x, y = torch.randn(8, 3), torch.randint(2, (8,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = ad.CDATWarmup(opt, model, nn.functional.cross_entropy, (x, y))
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    before = [b.clone() for b in model.buffers()]
    sched.step()
    assert all(torch.equal(a, b) for a, b in zip(before, model.buffers()))


# ----------------------------------------------------------------------------------------------- guard


def test_spike_guard_hand_computed():
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    g = ad.SpikeGuard(opt, spike=1.5, cut=0.5, growth=1.25, beta=0.5, start_factor=0.5)
    lrs = []
    for loss in (1.0, 1.0, 3.0, 1.0, 1.0):
        p.grad = torch.zeros(1); opt.step(); g.step(loss)
        lrs.append(opt.param_groups[0]["lr"])
    # EMA 1, 1; 3 > 1.5 x 1: cut; EMA -> 2; then growth
    assert lrs == pytest.approx([0.625, 0.78125, 0.390625, 0.48828125, 0.6103515625])
    assert g.cuts == 1


# ----------------------------------------------------------------------------------------------- probe


@pytest.mark.parametrize("lam", [0.5, 4.0, 100.0])
def test_probe_finds_two_over_lambda(lam):
    model = Quadratic([1.5])
    res = ad.find_critical_lr(model, quad_loss([lam]), BATCH, bisection_steps=12)
    assert res.lr == pytest.approx(2 / lam, rel=1e-3)
    assert res.sharpness == pytest.approx(lam, rel=1e-3)
    assert model.w.item() == 1.5  # weights restored


def test_probe_along_an_eigenvector_and_a_given_direction():
    h = [9.0, 1.0]
    model = Quadratic([1.0, 0.0])  # gradient along the first eigenvector
    assert ad.find_critical_lr(model, quad_loss(h), BATCH, bisection_steps=12).lr == pytest.approx(2 / 9, rel=1e-3)
    model = Quadratic([1.0, 1.0])
    d = [torch.tensor([0.0, -1.0], dtype=torch.float64)]  # along the flat direction: eta_c = 2 (w=1) / 1
    assert ad.find_critical_lr(model, quad_loss(h), BATCH, d, bisection_steps=12).lr == pytest.approx(2.0, rel=1e-3)
    up = [torch.tensor([0.0, 1.0], dtype=torch.float64)]  # uphill: any step raises the loss
    assert ad.find_critical_lr(model, quad_loss(h), BATCH, up, lr_start=1e-3).lr <= 1e-3


# ----------------------------------------------------------------------------------------------- GI-Adam


def test_gi_adam_first_step_is_damped_by_sqrt_one_minus_beta2():
    g0 = torch.tensor([0.3, -2.0, 5.0])
    for cls in (ad.GIAdam, torch.optim.Adam):
        p = nn.Parameter(torch.zeros(3))
        opt = cls([p], lr=0.1, betas=(0.9, 0.99), eps=0.0)
        p.grad = g0.clone()
        opt.step()
        step = -p.detach()
        if cls is ad.GIAdam:  # v1 = g0^2 -> v_hat = g0^2 / (1 - 0.99): update lr * sqrt(0.01) * sign(g)
            assert torch.allclose(opt.state[p]["exp_avg_sq"], g0**2)
            assert torch.allclose(step, 0.1 * 0.1 * g0.sign(), rtol=1e-5)
        else:
            assert torch.allclose(step, 0.1 * g0.sign(), rtol=1e-5)


def test_gi_adam_init_keeps_torch_adam_structure():
    torch.manual_seed(0)
    p1, p2 = nn.Parameter(torch.randn(4)), nn.Parameter(torch.randn(4))
    p2.data.copy_(p1.data)
    a1, a2 = torch.optim.Adam([p1], lr=0.1), torch.optim.Adam([p2], lr=0.1)
    for t in range(3):
        g = torch.randn(4)
        p1.grad, p2.grad = g.clone(), g.clone()
        if t == 0:
            assert ad.gi_adam_init_(a2) == 1
            a2.state[p2]["exp_avg_sq"].zero_()  # v0 = 0 again: must be plain Adam exactly
        a1.step(); a2.step()
    assert torch.equal(p1, p2)
    with pytest.raises(TypeError, match="optimizer"):
        ad.gi_adam_init_(torch.optim.SGD([p1], lr=0.1))


# ----------------------------------------------------------------------------------------------- resume


def _controllers():
    return {
        "update_size": lambda opt, model, batch: ad.UpdateSizeWarmup(opt, target_ratio=0.05, start_factor=0.05),
        "loss_gap": lambda opt, model, batch: ad.LossGapWarmup(opt, delta_peak=0.3),
        "guard": lambda opt, model, batch: ad.SpikeGuard(opt, growth=1.25, start_factor=0.1),
        "cdat": lambda opt, model, batch: ad.CDATWarmup(opt, model, nn.functional.cross_entropy, batch),
        "update_size_then": lambda opt, model, batch: ad.UpdateSizeWarmup(
            opt, target_ratio=0.5, start_factor=0.5, then=schedules.cosine_decay(20)),
    }


def _run(make, steps, *, resume_at=None):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 5, generator=g), torch.randint(3, (64,), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    sched = make(opt, model, (x, y))
    lrs = []
    for t in range(steps):
        if t == resume_at:
            buf = io.BytesIO()
            torch.save({"m": model.state_dict(), "o": opt.state_dict(), "s": sched.state_dict()}, buf)
            buf.seek(0)
            ck = torch.load(buf, weights_only=True)
            torch.manual_seed(1)
            model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
            opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
            model.load_state_dict(ck["m"]); opt.load_state_dict(ck["o"])
            sched = make(opt, model, (x, y))
            sched.load_state_dict(ck["s"])
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sched.step(loss) if sched.needs_loss else sched.step()
    return lrs, [p.detach().clone() for p in model.parameters()], sched


@pytest.mark.parametrize("name", list(_controllers()))
def test_resume_mid_warmup_is_bit_exact(name):
    make = _controllers()[name]
    lrs, params, sched = _run(make, 14)
    lrs2, params2, _ = _run(make, 14, resume_at=5)
    assert lrs == lrs2
    assert all(torch.equal(a, b) for a, b in zip(params, params2))
    assert len(set(lrs[:6])) > 1  # the checkpoint was taken while the lr was still moving


# ----------------------------------------------------------------------------------------------- bad input


def _sched():
    opt = torch.optim.SGD([nn.Parameter(torch.ones(2, 2))], lr=1.0)
    return ad.UpdateSizeWarmup(opt, target_ratio=0.1)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"factor": float("nan")}, "factor"),
        ({"factor": 2.0}, "factor"),
        ({"factor": "abc"}, "factor"),
        ({"last_epoch": 1.5}, "last_epoch"),
        ({"last_epoch": True}, "last_epoch"),
        ({"base_lrs": [1.0, 2.0]}, "base_lrs"),
        ({"base_lrs": [-1.0]}, "base_lrs"),
        ({"base_lrs": "1"}, "base_lrs"),
        ({"controller": "LossGapWarmup"}, "LossGapWarmup"),
        ({"handover_step": 10**6}, "handover_step"),
        ({"evil": 1}, "unknown"),
        ({"then": "cosine_decay(10)"}, "then"),
    ],
)
def test_bad_checkpoints_are_refused(change, match):
    s = _sched()
    state = s.state_dict() | change
    with pytest.raises((TypeError, ValueError), match=match):
        s.load_state_dict(state)


def test_missing_key_and_non_mapping():
    s = _sched()
    state = s.state_dict()
    del state["factor"]
    with pytest.raises(ValueError, match="factor"):
        s.load_state_dict(state)
    with pytest.raises(TypeError, match="state_dict"):
        s.load_state_dict([1, 2])


@pytest.mark.parametrize("bad", [None, "abc", float("nan"), float("inf"), -1, 10**400, [1, 2], {}, True])
def test_bad_constructor_arguments_name_the_parameter(bad):
    opt = torch.optim.SGD([nn.Parameter(torch.ones(2, 2))], lr=1.0)
    with pytest.raises((TypeError, ValueError), match="target_ratio"):
        ad.UpdateSizeWarmup(opt, target_ratio=bad)
    with pytest.raises((TypeError, ValueError), match="delta_peak"):
        ad.LossGapWarmup(opt, delta_peak=bad)
    with pytest.raises((TypeError, ValueError), match="spike"):
        ad.SpikeGuard(opt, spike=bad)
    with pytest.raises((TypeError, ValueError), match="optimizer"):
        ad.UpdateSizeWarmup(bad)
    with pytest.raises((TypeError, ValueError), match="lr_start"):
        ad.find_critical_lr(Quadratic([1.0]), quad_loss([1.0]), BATCH, lr_start=bad)


def test_loss_must_be_a_scalar():
    opt = torch.optim.SGD([nn.Parameter(torch.ones(1))], lr=1.0)
    s = ad.LossGapWarmup(opt)
    with pytest.raises(ValueError, match="loss"):
        s.step(torch.ones(3))
    with pytest.raises(TypeError, match="loss"):
        s.step("abc")


# ----------------------------------------------------------------------------------------------- train()


class _Data:
    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.x, self.y = torch.randn(64, 5, generator=g), torch.randint(3, (64,), generator=g)

    def batches(self, batch_size, *, seed, device):
        while True:
            yield self.x, self.y

    def eval_sets(self, device):
        return {"test": (self.x, self.y)}


def test_train_drives_a_loss_taking_controller():
    data = _Data()
    make = lambda: nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))  # noqa: E731
    torch.manual_seed(0)
    h = train(make(), data, partial(torch.optim.SGD, lr=0.5), partial(ad.LossGapWarmup, delta_peak=0.3, beta=0.0),
              10, 64, seed=0)
    k0, krho = ad.loss_gap_constants(0.5, 0.3)
    want = [0.05] + [min(0.5, max(5e-4, loss / (k0 + krho * loss**2))) for loss in h.loss[:-1]]
    assert np.allclose(h.lr, want, rtol=1e-6)  # recorded lr of update t+1 = the rule at the loss of update t
    opt = torch.optim.SGD(make().parameters(), lr=0.5)
    with pytest.raises(ValueError, match="another optimizer"):
        train(make(), data, partial(torch.optim.SGD, lr=0.5), ad.UpdateSizeWarmup(opt), 2, 64, seed=0)
