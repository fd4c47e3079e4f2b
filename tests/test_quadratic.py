"""warmup_course.quadratic: gradient descent on ½λx², against closed forms and torch.optim.SGD itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from warmup_course.quadratic import decaying_curvature, growth_factor, quadratic_descent
from warmup_course.schedules import linear_warmup


def test_plain_gradient_descent_multiplies_x_by_one_minus_eta_lambda():
    run = quadratic_descent(2.0, 0.3, 10, x0=1.5)
    assert np.allclose(run.x, 1.5 * (1 - 0.6) ** np.arange(11))
    assert np.allclose(run.loss, 0.5 * 2.0 * run.x**2)
    assert np.allclose(run.sharpness_times_lr, 0.6)


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_matches_torch_sgd_with_momentum_and_a_changing_lr_and_curvature(momentum):
    steps = 25
    lam = decaying_curvature(5.0, 0.5, 4.0, steps)
    lrs = [0.9 * float(linear_warmup(8)(t)) for t in range(steps)]
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([x], lr=lrs[0], momentum=momentum)
    xs = [1.0]
    for t in range(steps):
        for g in opt.param_groups:
            g["lr"] = lrs[t]
        opt.zero_grad()
        (0.5 * lam[t] * x**2).sum().backward()
        opt.step()
        xs.append(x.item())
    run = quadratic_descent(lam, lrs, steps, momentum=momentum)
    assert np.allclose(run.x, xs, rtol=1e-12, atol=1e-15)


def test_the_edge_is_two_and_two_plus_two_beta():
    assert quadratic_descent(1.0, 1.9, 60).loss[-1] < 1e-2 < 10 < quadratic_descent(1.0, 2.1, 60).loss[-1]
    assert growth_factor(1.9, 1.0) < 1 < growth_factor(2.1, 1.0)
    for beta in (0.5, 0.9):
        edge = 2 + 2 * beta
        assert growth_factor(edge - 0.05, 1.0, beta) < 1 < growth_factor(edge + 0.05, 1.0, beta)
        assert growth_factor(edge, 1.0, beta) == pytest.approx(1.0)
        stable = quadratic_descent(1.0, edge - 0.1, 300, momentum=beta)
        unstable = quadratic_descent(1.0, edge + 0.1, 300, momentum=beta)
        assert stable.loss[-1] < 1e-3 < 1e3 < unstable.loss[-1]
    assert growth_factor(0.5, 1.0, 0.81) == pytest.approx(0.9)  # complex roots: modulus sqrt(β)


def test_decaying_curvature_formula():
    lam = decaying_curvature(7.0, 0.5, 5.0, 30)
    assert lam[0] == 7.0
    assert lam[5] == pytest.approx(0.5 + 6.5 * math.exp(-1))
    assert np.all(np.diff(lam) < 0) and lam[-1] > 0.5


def test_callables_and_arrays_agree_and_overflow_is_recorded_not_raised():
    a = quadratic_descent(lambda t: 1.0 + t, lambda t: 0.1, 5)
    b = quadratic_descent(np.arange(1.0, 6.0), [0.1] * 5, 5)
    assert np.array_equal(a.x, b.x)
    blown = quadratic_descent(10.0, 5.0, 400)
    assert not np.isfinite(blown.loss[-1])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(curvature=-1.0), "curvature"),
        (dict(curvature=float("nan")), "curvature"),
        (dict(curvature=[1.0, 2.0]), "curvature"),
        (dict(curvature="abc"), "curvature"),
        (dict(lr=None), "lr"),
        (dict(lr=True), "lr"),
        (dict(lr=float("inf")), "lr"),
        (dict(steps=0), "steps"),
        (dict(steps=1.5), "steps"),
        (dict(momentum=1.0), "momentum"),
        (dict(momentum="abc"), "momentum"),
        (dict(x0=float("nan")), "x0"),
        (dict(lr=lambda t: -1.0), "lr"),
    ],
)
def test_bad_inputs_name_the_parameter(kwargs, name):
    args = dict(curvature=1.0, lr=0.1, steps=3) | kwargs
    with pytest.raises((TypeError, ValueError), match=name):
        quadratic_descent(**args)


def test_bad_inputs_of_the_helpers():
    with pytest.raises(ValueError, match="lr"):
        growth_factor(-1.0, 1.0)
    with pytest.raises(TypeError, match="momentum"):
        growth_factor(1.0, 1.0, None)
    with pytest.raises(ValueError, match="tau"):
        decaying_curvature(7.0, 0.5, 0.0, 10)
    with pytest.raises(TypeError, match="steps"):
        decaying_curvature(7.0, 0.5, 1.0, 2.5)
