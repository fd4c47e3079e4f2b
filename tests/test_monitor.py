"""warmup_course.monitor: statistics against a hand computation, the same numbers as train(), flags on planted
problems (and none on a calm run), AMP skipped steps with a GradScaler on the CPU, hooks removed cleanly."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

matplotlib.use("Agg")

from warmup_course import data as D  # noqa: E402
from warmup_course import models as M  # noqa: E402
from warmup_course.monitor import WarmupMonitor, reduce_statistics  # noqa: E402
from warmup_course.schedules import linear_warmup  # noqa: E402
from warmup_course.training import train  # noqa: E402


def tiny(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))


def batch(seed: int = 0, n: int = 8):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, generator=g), torch.randint(0, 2, (n,), generator=g)


def test_statistics_equal_a_hand_computation():
    model = tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    mon = WarmupMonitor(model, opt, per_layer=True, fetch_every=2)
    expect = []
    for t in range(5):
        x, y = batch(t)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        grads = [p.grad.double().clone() for p in model.parameters()]
        before = [p.detach().double().clone() for p in model.parameters()]
        opt.step()
        mon.log_loss(loss)
        delta = [p.detach().double() - b for p, b in zip(model.parameters(), before)]
        flat = lambda ts: torch.cat([v.flatten() for v in ts])  # noqa: E731
        expect.append({
            "loss": loss.item(),
            "grad_norm": flat(grads).norm().item(),
            "update_ratio": (flat(delta).norm() / flat(before).norm()).item(),
            "layers": [(d.norm() / b.norm()).item() for d, b in zip(delta, before)],
            "layer_grads": [g.norm().item() for g in grads],
        })
    assert mon.updates == 5 and mon.layer_names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_allclose(mon.loss, [e["loss"] for e in expect], rtol=1e-6)
    np.testing.assert_allclose(mon.grad_norm, [e["grad_norm"] for e in expect], rtol=1e-5)
    np.testing.assert_allclose(mon.update_ratio, [e["update_ratio"] for e in expect], rtol=1e-4)
    np.testing.assert_allclose(mon.layer_update_ratio, [e["layers"] for e in expect], rtol=1e-4)
    np.testing.assert_allclose(mon.layer_grad_norm, [e["layer_grads"] for e in expect], rtol=1e-5)
    # the largest ratio is taken over the weight matrices only (indices 0 and 2), not the biases
    np.testing.assert_allclose(mon.update_ratio_max, [max(e["layers"][0], e["layers"][2]) for e in expect],
                               rtol=1e-4)
    np.testing.assert_array_equal(mon.lr, [0.3] * 5)


def test_reduce_statistics_formulas():
    g, w, d = np.array([[3.0, 4.0]]), np.array([[1.0, 2.0]]), np.array([[0.5, 0.2]])
    out = reduce_statistics(np.hstack([g, w, d]), weights=[1])
    assert out["grad_norm"][0] == pytest.approx(5.0)
    assert out["update_ratio"][0] == pytest.approx(math.sqrt(0.29) / math.sqrt(5.0))
    assert out["update_ratio_max"][0] == pytest.approx(0.1)  # only tensor 1 counts
    with pytest.raises(ValueError, match="stats"):
        reduce_statistics(np.zeros((2, 4)), [0])


def test_train_uses_the_same_statistics_as_the_monitor():
    """One implementation: a monitor attached to train()'s own optimizer records the very same numbers."""
    data = D.load_digits()
    model = M.mlp(hidden=16, depth=2, batchnorm=True, seed=3)
    monitors: list[WarmupMonitor] = []

    def factory(params):
        opt = torch.optim.SGD(params, lr=0.5, momentum=0.9)
        monitors.append(WarmupMonitor(model, opt))
        return opt

    hist = train(model, data, factory, linear_warmup(5), 40, 64, seed=1)
    mon = monitors[0]
    assert mon.updates == len(hist) == 40
    np.testing.assert_array_equal(mon.grad_norm, hist.grad_norm)
    np.testing.assert_array_equal(mon.update_ratio, hist.update_ratio)
    np.testing.assert_array_equal(mon.update_ratio_max, hist.update_ratio_max)
    np.testing.assert_array_equal(mon.lr, hist.lr)


def _calm_run(steps: int = 60, lr: float = 0.05, **kw) -> WarmupMonitor:
    data = D.load_digits()
    model = M.mlp(hidden=32, depth=2, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    mon = WarmupMonitor(model, opt, **kw)
    batches = data.batches(64, seed=0)
    for _ in range(steps):
        x, y = next(batches)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        mon.log_loss(loss)
    return mon


def test_a_calm_run_raises_no_flag():
    mon = _calm_run()
    assert mon.flags == [], mon.summary()
    assert mon.loss[-1] < mon.loss[0]  # it did train
    assert "update ratio" in mon.summary() and "0" in mon.summary()


def test_planted_spikes_and_non_finite_values_are_flagged_where_they_happen():
    model = tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    mon = WarmupMonitor(model, opt, fetch_every=4)
    for t in range(30):
        x, y = batch(t)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if t == 12:  # a gradient 100x its usual size, for one update
            for p in model.parameters():
                p.grad.mul_(100.0)
        if t == 25:
            model[0].weight.grad[0, 0] = float("nan")
        opt.step()
        mon.log_loss(loss.item() * (10.0 if t == 18 else 1.0))  # a planted loss spike at update 18
    kinds = {(f.step, f.kind) for f in mon.flags}
    assert (12, "grad-norm spike") in kinds
    assert (12, "update ratio") in kinds  # 100x the gradient, 100x the SGD update
    assert (18, "loss spike") in kinds
    assert (25, "non-finite") in kinds
    assert mon.first_flag("loss spike") == 18 and mon.first_flag() == 12
    # nothing flagged before the first plant, and no loss spike anywhere else
    assert all(f.step >= 12 for f in mon.flags)
    assert [f.step for f in mon.flags if f.kind == "loss spike"] == [18]


def test_loss_logged_before_the_step_and_accumulated_micro_batches():
    model = tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    mon = WarmupMonitor(model, opt)
    mon.log_loss(1.0)
    mon.log_loss(3.0)  # two micro-batches before one step: averaged
    opt.zero_grad()
    F.cross_entropy(model(batch()[0]), batch()[1]).backward()
    opt.step()
    opt.step()  # an update without a logged loss
    mon.log_loss(5.0)  # after the step: belongs to update 1
    np.testing.assert_array_equal(mon.loss, [2.0, 5.0])


def test_works_in_a_plain_loop_with_a_grad_scaler_on_cpu():
    model = tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    mon = WarmupMonitor(model, opt, scaler=scaler)
    planted = {3, 7}
    for t in range(12):
        x, y = batch(t)
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        if t in planted:  # an overflowing gradient: the scaler skips this step and halves its scale
            model[2].bias.grad[0] = float("inf")
        scaler.step(opt)
        scaler.update()
        mon.log_loss(loss)
    assert mon.updates == 12 - len(planted)
    assert mon.skipped_steps == [3, 6]  # updates applied before each skipped iteration
    assert sum(f.kind == "skipped step" for f in mon.flags) == 2
    scale = mon.loss_scale
    assert scale[0] == 2.0**10 and scale[-1] == 2.0**8  # halved once per skip
    assert np.isfinite(mon.grad_norm).all()  # the pre-hook sees the unscaled, finite gradients of real steps
    np.testing.assert_allclose(mon.grad_norm[0], mon.grad_norm[0])
    assert "skipped step" in mon.summary()


def test_close_removes_the_hooks_and_the_loop_is_unchanged():
    model = tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with WarmupMonitor(model, opt) as mon:
        opt.step()
    opt.step()
    assert mon.updates == 1
    mon.close()  # twice is fine


def test_dashboard_draws_every_panel_and_marks_flags(tmp_path):
    mon = _calm_run(steps=20, lr=0.05, per_layer=True, ratio_threshold=1e-3)
    fig = mon.dashboard(layers=2, title="calm run")
    assert len(fig.axes) == 4
    assert any("update ratio flag" in t.get_text() for ax in fig.axes if ax.get_legend()
               for t in ax.get_legend().get_texts())
    fig.savefig(tmp_path / "d.png")
    with pytest.raises(ValueError, match="layers"):
        _calm_run(steps=2).dashboard(layers=2)


@pytest.mark.parametrize("kw, name", [
    ({"per_layer": 1}, "per_layer"), ({"loss_spike": 1.0}, "loss_spike"), ({"grad_spike": float("nan")}, "grad_spike"),
    ({"ratio_threshold": -1}, "ratio_threshold"), ({"baseline": 1.0}, "baseline"), ({"fetch_every": 0}, "fetch_every"),
    ({"scaler": "abc"}, "scaler"), ({"min_loss": -1}, "min_loss"),
])
def test_bad_arguments_name_the_parameter(kw, name):
    model = tiny()
    with pytest.raises((TypeError, ValueError), match=name):
        WarmupMonitor(model, torch.optim.SGD(model.parameters(), lr=0.1), **kw)
    with pytest.raises(TypeError, match="optimizer"):
        WarmupMonitor(model, "abc")
    with pytest.raises(TypeError, match="model"):
        WarmupMonitor(None, torch.optim.SGD(model.parameters(), lr=0.1))


def test_bad_loss_values_are_refused():
    model = tiny()
    mon = WarmupMonitor(model, torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="loss"):
        mon.log_loss(torch.ones(3))
    with pytest.raises(TypeError, match="loss"):
        mon.log_loss("abc")
    with pytest.raises(ValueError, match="kind"):
        mon.first_flag("nope")


def test_pending_rows_write_take_and_widen() -> None:
    from warmup_course.monitor import PendingRows

    rows = PendingRows(3, 2)
    rows.append([torch.tensor(1.5), torch.tensor(2.5)])
    assert rows.buffer is not None and rows.buffer.dtype == torch.float32  # the first row's dtype: no slow cast
    first = rows.take()
    assert first.dtype == np.float64 and first.tolist() == [[1.5, 2.5]] and rows.count == 0
    rows.append([torch.tensor(7.0), torch.tensor(8.0)])
    assert first.tolist() == [[1.5, 2.5]]  # what take() returned is a copy, not the reused buffer
    rows.append([torch.tensor(1 / 3, dtype=torch.float64), torch.tensor(0.0)])  # wider: the buffer widens, exactly
    assert rows.buffer.dtype == torch.float64
    assert rows.take().tolist() == [[7.0, 8.0], [1 / 3, 0.0]]
    for _ in range(3):
        rows.append([torch.tensor(0.0), torch.tensor(0.0)])
    with pytest.raises(RuntimeError, match="take"):
        rows.append([torch.tensor(0.0), torch.tensor(0.0)])
    with pytest.raises(ValueError, match="values"):
        PendingRows(2, 2).append([torch.tensor(0.0)])
    with pytest.raises(ValueError, match="values"):
        PendingRows(2, 2).append([torch.zeros(2), torch.tensor(0.0)])
    assert PendingRows(2, 4).take().shape == (0, 4)
