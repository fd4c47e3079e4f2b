"""warmup_course.training: the loop's contract (schedule per update, accumulation, recording, divergence,
determinism across processes, serialisation, argument checks)."""

from __future__ import annotations

import copy
import functools
import json
import math
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from warmup_course import data as D
from warmup_course import models as M
from warmup_course.schedules import linear_warmup
from warmup_course.training import FETCH_EVERY, History, train

ROOT = Path(__file__).resolve().parents[1]
SGD = functools.partial(torch.optim.SGD, lr=0.05)


@pytest.fixture(scope="module")
def digits() -> D.ArrayData:
    return D.load_digits()


def small_mlp(seed: int = 0, **kw) -> nn.Module:
    return M.mlp(hidden=16, depth=1, seed=seed, **kw)


class CountingData:
    """Wraps a data object and counts the training batches drawn."""

    def __init__(self, inner):
        self.inner, self.drawn = inner, 0

    def batches(self, batch_size, *, seed, device="cpu"):
        for batch in self.inner.batches(batch_size, seed=seed, device=device):
            self.drawn += 1
            yield batch

    def eval_sets(self, device="cpu"):
        return self.inner.eval_sets(device)


def test_history_fields_and_lr_follow_schedule(digits) -> None:
    h = train(small_mlp(), digits, SGD, linear_warmup(20), 30, 32, seed=0, eval_every=10)
    assert isinstance(h, History) and len(h) == 30
    np.testing.assert_array_equal(h.step, np.arange(30))
    np.testing.assert_allclose(h.lr, 0.05 * np.minimum(np.arange(30) / 20, 1.0), rtol=1e-12)
    for name in ("loss", "grad_norm", "update_ratio", "update_ratio_max"):
        values = getattr(h, name)
        assert values.shape == (30,) and np.all(np.isfinite(values))
    assert h.update_ratio[0] == 0.0  # lr 0 at t = 0: no update
    assert np.all(h.update_ratio[1:] > 0)
    np.testing.assert_array_equal(h.eval_step, [0, 10, 20, 30])
    assert set(h.eval) == {"train_loss", "train_acc", "test_loss", "test_acc"}
    assert h.eval["test_loss"][-1] < h.eval["test_loss"][0]
    assert not h.diverged and h.diverged_step is None and h.divergence_reason is None
    assert h.config["steps"] == 30 and h.config["optimizer"] == "SGD" and "linear_warmup" in h.config["schedule"]


@pytest.mark.parametrize("grad_accum", [1, 3])
def test_scheduler_steps_once_per_update(digits, grad_accum: int) -> None:
    model = small_mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    data = CountingData(digits)
    h = train(model, data, opt, linear_warmup(100), 7, 16, seed=0, grad_accum=grad_accum)
    assert data.drawn == 7 * grad_accum
    np.testing.assert_allclose(h.lr, np.arange(7) / 100)
    # after 7 updates the optimizer holds the lr for update t = 7, whatever grad_accum is
    assert opt.param_groups[0]["lr"] == pytest.approx(7 / 100)


def test_accumulation_matches_one_large_batch(digits) -> None:
    # Micro-batches 2 x 8 see exactly the examples of one batch of 16 (same permutation), without BatchNorm.
    a = train(small_mlp(), digits, SGD, None, 20, 16, seed=4)
    b = train(small_mlp(), digits, SGD, None, 20, 8, seed=4, grad_accum=2)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-5)
    np.testing.assert_allclose(a.grad_norm, b.grad_norm, rtol=1e-4)


def test_update_ratio_is_measured_not_assumed(digits) -> None:
    # A bias-free linear model under plain SGD: dW = -lr g, so the ratio is lr ||g|| / ||W||.
    model = nn.Linear(64, 10, bias=False)
    torch.nn.init.normal_(model.weight, std=0.1, generator=torch.Generator().manual_seed(0))
    w0 = model.weight.detach().clone().requires_grad_()
    x, y = next(digits.batches(32, seed=9))
    loss = F.cross_entropy(x @ w0.T, y)
    (g,) = torch.autograd.grad(loss, [w0])
    w0 = w0.detach()
    h = train(model, digits, functools.partial(torch.optim.SGD, lr=0.5), None, 1, 32, seed=9, per_tensor=True)
    assert h.loss[0] == pytest.approx(float(loss.detach()), rel=1e-6)
    assert h.grad_norm[0] == pytest.approx(float(g.norm()), rel=1e-5)
    assert h.update_ratio[0] == pytest.approx(0.5 * float(g.norm() / w0.norm()), rel=1e-5)
    assert h.update_ratio_max[0] == pytest.approx(h.update_ratio[0], rel=1e-6)
    assert h.tensor_names == ["weight"] and h.tensor_update_ratio.shape == (1, 1)


def test_recording_does_not_change_the_run(digits) -> None:
    full = train(small_mlp(batchnorm=True), digits, SGD, linear_warmup(4), 10, 32, seed=2, per_tensor=True)
    light = train(small_mlp(batchnorm=True), digits, SGD, linear_warmup(4), 10, 32, seed=2, diagnostics=False)
    np.testing.assert_array_equal(full.loss, light.loss)
    np.testing.assert_array_equal(full.lr, light.lr)
    assert np.all(np.isnan(light.grad_norm)) and np.all(np.isnan(light.update_ratio_max))
    assert light.tensor_update_ratio is None and full.tensor_update_ratio.shape == (10, len(full.tensor_names))
    assert History.from_json(light.to_json()) == light
    with pytest.raises(ValueError, match="per_tensor"):
        train(small_mlp(), digits, SGD, None, 2, 8, seed=0, diagnostics=False, per_tensor=True)


def test_huge_lr_diverges_cleanly(digits) -> None:
    model = small_mlp()
    h = train(model, digits, functools.partial(torch.optim.SGD, lr=1e6), None, 3 * FETCH_EVERY, 32, seed=0, eval_every=5)
    assert h.diverged and isinstance(h.diverged_step, int) and h.diverged_step < 10
    assert len(h) == h.diverged_step + 1 and len(h.lr) == len(h.loss) == len(h.update_ratio)
    assert isinstance(h.divergence_reason, str) and "loss" in h.divergence_reason
    last = h.loss[-1]
    assert (not math.isfinite(last)) or last > 10 * h.loss[0]
    assert np.all(h.eval_step <= h.diverged_step)
    assert "diverged" in repr(h) and "diverged at step" in h.table()


def test_run_diverged_before_any_evaluation_still_names_its_metrics(digits) -> None:
    # eval_every=None evaluates only at the end, which a diverged run never reaches: final() is nan, not a KeyError
    h = train(small_mlp(), digits, functools.partial(torch.optim.SGD, lr=1e6), None, 3 * FETCH_EVERY, 32, seed=0,
              probes={"zero": lambda model: 0.0})
    assert h.diverged and len(h.eval_step) == 0
    assert set(h.eval) == {"train_loss", "train_acc", "test_loss", "test_acc", "zero"}
    assert math.isnan(h.final("test_acc")) and math.isnan(h.best("test_loss"))
    assert History.from_json(h.to_json()) == h


def test_non_finite_loss_is_caught_without_spike_check(digits) -> None:
    h = train(small_mlp(), digits, functools.partial(torch.optim.SGD, lr=1e30), None, 50, 32, seed=0,
              diverge_factor=None)
    assert h.diverged and "non-finite" in h.divergence_reason
    assert not math.isfinite(h.loss[-1]) and np.all(np.isfinite(h.loss[:-1]))


def test_global_rng_untouched_and_model_trained_in_place(digits) -> None:
    torch.manual_seed(7)
    state = torch.get_rng_state()
    model = small_mlp()
    before = copy.deepcopy(model.state_dict())
    train(model, digits, SGD, None, 5, 32, seed=1)
    assert torch.equal(torch.get_rng_state(), state)
    assert not torch.equal(before["1.weight"], model.state_dict()["1.weight"])
    assert model.training


def test_same_seed_same_history_in_process(digits) -> None:
    a = train(small_mlp(batchnorm=True), digits, SGD, linear_warmup(5), 12, 64, seed=3, eval_every=4)
    b = train(small_mlp(batchnorm=True), digits, SGD, linear_warmup(5), 12, 64, seed=3, eval_every=4)
    c = train(small_mlp(batchnorm=True), digits, SGD, linear_warmup(5), 12, 64, seed=4, eval_every=4)
    assert a == b and a != c


_SCRIPT = textwrap.dedent(
    """
    import functools, sys, torch
    from warmup_course import data as D, models as M
    from warmup_course.schedules import linear_warmup
    from warmup_course.training import train
    task = D.SequenceTask(length=6, vocab=5, eval_size=64)
    h1 = train(M.transformer(vocab=5, length=6, d_model=16, heads=2, layers=2, ff=32, seed=1), task,
               functools.partial(torch.optim.Adam, lr=3e-3), linear_warmup(4), 12, 16, seed=1, eval_every=6)
    h2 = train(M.mlp(hidden=32, depth=2, batchnorm=True, seed=2), D.load_digits(),
               functools.partial(torch.optim.SGD, lr=0.5, momentum=0.9), None, 12, 64, seed=2, eval_every=6)
    sys.stdout.write(h1.to_json() + "\\n" + h2.to_json())
    """
)


def test_two_processes_give_bit_identical_histories() -> None:
    env = {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0"}
    outs = [
        subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, cwd=ROOT, check=True,
                       timeout=120).stdout
        for _ in range(2)
    ]
    assert outs[0] == outs[1]
    first, second = (History.from_json(line) for line in outs[0].splitlines())
    assert len(first) == 12 and len(second) == 12 and "test_acc" in first.eval


def test_history_serialises(digits) -> None:
    h = train(small_mlp(), digits, SGD, linear_warmup(3), 6, 32, seed=0, eval_every=2, per_tensor=True)
    text = h.to_json()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    assert History.from_json(text) == h
    assert History.from_dict(h.to_dict()) == h
    assert pickle.loads(pickle.dumps(h)) == h
    bad = train(small_mlp(), digits, functools.partial(torch.optim.SGD, lr=1e30), None, 40, 32, seed=0)
    assert bad.diverged and History.from_json(bad.to_json()) == bad
    assert History.from_json(bad.to_json()) != h


def test_rows_table_final_best(digits) -> None:
    h = train(small_mlp(), digits, SGD, None, 8, 32, seed=0, eval_every=4)
    rows = h.to_rows()
    assert len(rows) == 8 and rows[3]["step"] == 3 and rows[3]["loss"] == h.loss[3]
    assert set(rows[0]) == {"step", "lr", "loss", "grad_norm", "update_ratio", "update_ratio_max"}
    eval_rows = h.to_rows("eval")
    assert [r["step"] for r in eval_rows] == [0, 4, 8]
    assert h.final("test_acc") == h.eval["test_acc"][-1]
    assert h.best("loss") == h.loss.min() and h.best("test_acc") == h.eval["test_acc"].max()
    assert h.steps_to(h.loss[0] + 1) == 0 and h.steps_to(-1.0) is None
    table = h.table(every=3)
    assert table.splitlines()[0].split() == ["step", "lr", "loss", "grad_norm", "update_ratio", "update_ratio_max"]
    assert len(table.splitlines()) == 1 + 3 + 1  # header, steps 0/3/6, and the last step 7
    with pytest.raises(KeyError, match="metric"):
        h.final("nope")


def test_sequence_task_probes_and_eval_sets() -> None:
    task = D.SequenceTask(length=5, vocab=4, eval_size=32)
    model = M.transformer(vocab=4, length=5, d_model=8, heads=2, layers=1, ff=16, seed=0)
    h = train(model, task, functools.partial(torch.optim.Adam, lr=1e-2), None, 6, 8, seed=0, eval_every=3,
              probes={"pos_norm": lambda m: m.pos.weight.norm()})
    assert set(h.eval) == {"test_loss", "test_acc", "pos_norm"}
    assert h.eval["test_loss"][0] == pytest.approx(math.log(4), abs=0.3)
    assert len(h.eval["pos_norm"]) == 3 and h.eval["pos_norm"][0] != h.eval["pos_norm"][-1]


def test_eval_every_zero_skips_evaluation(digits) -> None:
    h = train(small_mlp(), digits, SGD, None, 3, 32, seed=0, eval_every=0)
    assert h.eval == {} and len(h.eval_step) == 0


@pytest.mark.parametrize(
    "kwargs, exc, word",
    [
        ({"steps": 0}, ValueError, "steps"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 10_000}, ValueError, "batch_size"),
        ({"grad_accum": 0}, ValueError, "grad_accum"),
        ({"grad_accum": 1.5}, TypeError, "grad_accum"),
        ({"seed": -1}, ValueError, "seed"),
        ({"device": "quantum"}, ValueError, "device"),
        ({"eval_every": -2}, ValueError, "eval_every"),
        ({"diverge_factor": 0.5}, ValueError, "diverge_factor"),
        ({"threads": 0}, ValueError, "threads must be"),
        ({"schedule": "cosine"}, TypeError, "schedule"),
        ({"optimizer": "sgd"}, TypeError, "optimizer"),
        ({"data": (1, 2)}, TypeError, "data"),
        ({"model": "mlp"}, TypeError, "model"),
        ({"probes": {"test_acc": lambda m: 0.0}}, ValueError, "probes"),
    ],
)
def test_bad_arguments(digits, kwargs, exc, word) -> None:
    args = {"model": small_mlp(), "data": digits, "optimizer": SGD, "schedule": None, "steps": 2, "batch_size": 8,
            "seed": 0}
    args.update(kwargs)
    with pytest.raises(exc, match=word):
        train(**args)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA present")
def test_cuda_unavailable_is_a_clear_error(digits) -> None:
    with pytest.raises(ValueError, match="device"):
        train(small_mlp(), digits, SGD, None, 2, 8, seed=0, device="cuda")


def test_optimizer_must_hold_the_models_parameters(digits) -> None:
    model, other = small_mlp(0), small_mlp(1)
    with pytest.raises(ValueError, match="not parameters of model"):
        train(model, digits, torch.optim.SGD(other.parameters(), lr=0.1), None, 2, 8, seed=0)
    partial_opt = torch.optim.SGD(list(model.parameters())[:1], lr=0.1)
    with pytest.raises(ValueError, match="does not hold"):
        train(model, digits, partial_opt, None, 2, 8, seed=0)


def test_shape_mismatch_is_a_value_error(digits) -> None:
    with pytest.raises(ValueError, match="model cannot take"):
        train(M.cnn(seed=0), digits, SGD, None, 2, 8, seed=0)  # flat digits into a CNN
    with pytest.raises(ValueError, match="model output"):
        train(nn.Sequential(nn.Linear(64, 1), nn.Flatten(0)), digits, SGD, None, 2, 8, seed=0)  # (N,) scores


@pytest.mark.parametrize("factory", [
    functools.partial(torch.optim.SGD, lr=0.5, momentum=0.9, nesterov=True, weight_decay=1e-4),
    functools.partial(torch.optim.Adam, lr=3e-3, betas=(0.9, 0.95)),
    functools.partial(torch.optim.AdamW, lr=3e-3, weight_decay=0.1),
])
def test_factory_optimizers_use_foreach_with_identical_results(digits, factory) -> None:
    # train() asks for torch's multi-tensor implementation on CPU (speed); it must not change a single number
    built = []

    def spy(params):
        built.append(factory(params))
        return built[-1]

    fast = train(M.mlp(hidden=32, depth=2, batchnorm=True, seed=1), digits, spy, linear_warmup(5), 15, 64, seed=1)
    assert all(g["foreach"] is True for g in built[0].param_groups)
    loop = train(M.mlp(hidden=32, depth=2, batchnorm=True, seed=1), digits, functools.partial(factory, foreach=False),
                 linear_warmup(5), 15, 64, seed=1)
    assert np.array_equal(fast.loss, loop.loss) and np.array_equal(fast.update_ratio, loop.update_ratio)


def test_optimizers_whose_foreach_path_differs_are_left_alone(digits) -> None:
    built = []
    train(M.mlp(hidden=32, depth=2, seed=1), digits, lambda p: built.append(torch.optim.RAdam(p)) or built[-1], None, 2, 32,
          seed=1)
    assert built[0].param_groups[0]["foreach"] is None  # torch.optim.RAdam's foreach path differs in the last bits


def test_a_built_optimizer_is_used_as_given(digits) -> None:
    model = M.mlp(hidden=32, depth=2, seed=1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    train(model, digits, opt, None, 3, 32, seed=1)
    assert opt.param_groups[0]["foreach"] is None
