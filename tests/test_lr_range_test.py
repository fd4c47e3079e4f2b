"""The LR range test (experiments.lr_range_test) and its figure."""

from __future__ import annotations

import math
from functools import partial

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from warmup_course import models
from warmup_course.data import load_digits
from warmup_course.experiments import RangeTestResult, _suggest, lr_range_test
from warmup_course.plotting import plot_range_test

DIGITS = load_digits()
SGD = partial(torch.optim.SGD, lr=0.1, momentum=0.9)


def run(start, end, steps=40, seed=0, **kw):
    return lr_range_test(models.mlp(hidden=32, depth=2, batchnorm=True, seed=seed), DIGITS, SGD, batch_size=256,
                         seed=seed, start_lr=start, end_lr=end, steps=steps, train_kwargs={"diagnostics": False}, **kw)


def test_sweep_is_geometric_and_smoothing_is_debiased_ema():
    r = run(1e-4, 1e-1)
    assert isinstance(r, RangeTestResult) and not r.diverged and r.stop_step is None
    i = np.arange(40)
    assert np.allclose(r.lrs, 1e-4 * (1e-1 / 1e-4) ** (i / 40), rtol=1e-9)
    # the EMA written as a weighted mean: weights beta^(i-j) (1-beta), normalised by 1 - beta^(i+1)
    beta = 0.98
    for k in (0, 1, 7, 39):
        w = (1 - beta) * beta ** (k - np.arange(k + 1))
        assert r.smoothed[k] == pytest.approx(np.dot(w, r.losses[: k + 1]) / (1 - beta ** (k + 1)), rel=1e-9)
    assert r.smoothed[0] == pytest.approx(r.losses[0])  # bias correction: the first value is the first loss


def test_divergence_is_recorded_not_raised():
    r = run(1e-3, 1e4, steps=60)
    assert r.diverged and r.stop_step is not None and r.stop_step < 59
    assert r.divergence_reason
    assert r.lrs[r.stop_step] > 1.0  # it got far before blowing up
    # every suggestion lies inside the swept range and below the stop
    for v in r.suggestions.values():
        assert 1e-3 / 10 <= v <= r.lrs[r.stop_step]
    assert r.suggestion == r.suggestions["minimum"] and "stopped at update" in repr(r)


def test_suggestion_rules_on_a_known_curve():
    lrs = np.logspace(-4, 1, 101)
    x = np.log10(lrs)
    losses = 2.0 - 1.5 / (1 + np.exp(-4 * (x + 2))) + 0.5 * np.maximum(x, 0) ** 2  # steepest at 1e-2, min near 1
    out = _suggest(lrs, losses)
    assert out["steep"] == pytest.approx(1e-2, rel=0.15)
    assert out["minimum"] == pytest.approx(lrs[np.argmin(losses)] / 10)
    assert 1e-3 < out["valley"] < 1.0


def test_rules_choose_the_suggestion():
    r = run(1e-4, 1.0, rule="steep")
    assert r.suggestion == r.suggestions["steep"] and r.min_loss_lr == pytest.approx(10 * r.suggestions["minimum"])


@pytest.mark.parametrize("kwargs,name", [
    ({"start_lr": 0.0}, "start_lr"), ({"end_lr": 1e-5}, "end_lr"), ({"steps": 5}, "steps"),
    ({"beta": 1.0}, "beta"), ({"stop_factor": 1.0}, "stop_factor"), ({"rule": "valleys"}, "rule"),
    ({"batch_size": 0}, "batch_size"), ({"seed": -1}, "seed"), ({"train_kwargs": {"seed": 1}}, "train_kwargs"),
])
def test_bad_arguments_name_the_parameter(kwargs, name):
    args = dict(batch_size=64, seed=0) | kwargs
    with pytest.raises((TypeError, ValueError), match=name):
        lr_range_test(models.mlp(hidden=8, depth=1, seed=0), DIGITS, SGD, **args)


def test_bad_model_data_optimizer():
    with pytest.raises(TypeError, match="model"):
        lr_range_test("mlp", DIGITS, SGD, batch_size=8, seed=0)
    with pytest.raises(TypeError, match="data"):
        lr_range_test(models.mlp(hidden=8, depth=1), [1, 2], SGD, batch_size=8, seed=0)
    m = models.mlp(hidden=8, depth=1)
    with pytest.raises(TypeError, match="optimizer"):
        lr_range_test(m, DIGITS, torch.optim.SGD(m.parameters(), lr=0.1), batch_size=8, seed=0)


def test_plot_range_test_draws_each_test_and_marks():
    a, b = run(1e-3, 1e3, steps=40, seed=0), run(1e-3, 1e3, steps=40, seed=1)
    fig = plot_range_test({"seed 0": a, "seed 1": b}, marks={"largest lr without warmup": 2.0}, title="t")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and "learning rate" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "seed 0" in labels and "largest lr without warmup" in labels
    assert plot_range_test(a).axes  # one result alone
    with pytest.raises(TypeError, match="results"):
        plot_range_test([a])
    with pytest.raises(ValueError, match="marks"):
        plot_range_test(a, marks={"x": -1.0})
    with pytest.raises(ValueError, match="marks"):
        plot_range_test(a, marks={"x": math.nan})
