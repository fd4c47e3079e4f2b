"""Sharpness by Hessian-vector products: checked against Hessians formed explicitly on tiny models."""

from __future__ import annotations

import math

import numpy as np

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from warmup_course.diagnostics import hessian_vector_product, stability_threshold, top_hessian_eigenvalue


def _full_hessian(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn=F.cross_entropy) -> torch.Tensor:
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def loss(theta):
        params, i = {}, 0
        for n, s in zip(names, shapes):
            params[n] = theta[i : i + s.numel()].view(s)
            i += s.numel()
        return loss_fn(functional_call(model, params, (x,)), y)

    return torch.autograd.functional.hessian(loss, flat)


def _tiny(seed: int = 0, batchnorm: bool = False) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):  # seeded weights, global random state left alone
        torch.manual_seed(seed)
        layers = [nn.Linear(5, 6)] + ([nn.BatchNorm1d(6)] if batchnorm else []) + [nn.Tanh(), nn.Linear(6, 3)]
        model = nn.Sequential(*layers).double()
    x = torch.randn(40, 5, generator=g, dtype=torch.float64)
    y = torch.randint(3, (40,), generator=g)
    return model, x, y


def test_quadratic_loss_gives_the_exact_top_eigenvalue():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 8, generator=g, dtype=torch.float64) * torch.linspace(0.2, 3.0, 8, dtype=torch.float64)
    y = torch.randn(64, 1, generator=g, dtype=torch.float64)
    model = nn.Linear(8, 1, bias=False).double()
    exact = torch.linalg.eigvalsh(2 * x.T @ x / len(x))[-1].item()  # Hessian of mean squared error: 2 XᵀX / n
    got = top_hessian_eigenvalue(model, x, y, loss_fn=F.mse_loss, iters=8, tol=0)
    assert got == pytest.approx(exact, rel=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_network_top_eigenvalue_matches_the_full_hessian(seed):
    model, x, y = _tiny(seed)
    eig = torch.linalg.eigvalsh(_full_hessian(model, x, y))
    got = top_hessian_eigenvalue(model, x, y, iters=len(eig), tol=1e-10)
    assert got == pytest.approx(eig[-1].item(), rel=1e-6)
    assert eig[0] < 0  # a real test: the spectrum has negative eigenvalues, and the top *algebraic* one is found


def test_hessian_vector_product_matches_the_full_hessian():
    model, x, y = _tiny(3)
    h = _full_hessian(model, x, y)
    g = torch.Generator().manual_seed(0)
    v = [torch.randn(p.shape, generator=g, dtype=p.dtype) for p in model.parameters()]
    hv = torch.cat([t.reshape(-1) for t in hessian_vector_product(model, x, y, v)])
    assert torch.allclose(hv, h @ torch.cat([t.reshape(-1) for t in v]), rtol=1e-8, atol=1e-10)


def test_leaves_parameters_and_batchnorm_statistics_alone_and_runs_under_no_grad():
    model, x, y = _tiny(4, batchnorm=True)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        a = top_hessian_eigenvalue(model, x, y, seed=5)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert a == top_hessian_eigenvalue(model, x, y, seed=5)  # deterministic for a seed
    assert math.isfinite(a) and a > 0
    assert all(p.grad is None for p in model.parameters())


def test_sequence_outputs_are_flattened():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Embedding(4, 3), nn.Linear(3, 4))
        x = torch.randint(4, (6, 5))
    assert math.isfinite(top_hessian_eigenvalue(model, x, x))


def test_stability_threshold():
    assert stability_threshold(0.1) == pytest.approx(20.0)
    assert stability_threshold(3.2, momentum=0.9) == pytest.approx(3.8 / 3.2)
    assert stability_threshold(0.0) == math.inf


_X, _Y = torch.zeros(3, 2), torch.zeros(3, dtype=torch.long)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: stability_threshold(-1.0), "lr"),
        (lambda: stability_threshold(0.1, momentum=1.0), "momentum"),
        (lambda: top_hessian_eigenvalue(nn.Linear(2, 2), _X, _Y, iters=0), "iters"),
        (lambda: top_hessian_eigenvalue(nn.Linear(2, 2), _X, _Y, tol=-1), "tol"),
        (lambda: top_hessian_eigenvalue("model", _X, _Y), "model"),
        (lambda: hessian_vector_product(nn.Linear(2, 2), _X, _Y, [torch.zeros(2)]), "vector"),
    ],
)
def test_bad_input_names_the_parameter(call, words):
    with pytest.raises((TypeError, ValueError), match=words):
        call()


def test_non_finite_loss_is_a_clear_error():
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.fill_(float("nan"))
    with pytest.raises(ValueError, match="not finite"):
        top_hessian_eigenvalue(model, torch.ones(3, 2), torch.zeros(3, dtype=torch.long))


# --- the BatchNorm weight norm and notebook 01's stability criterion ------------------------------------------


def test_normalized_weight_norm_counts_only_layers_that_feed_a_batchnorm():
    from warmup_course.diagnostics import normalized_weight_norm

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 2))
    expected = model[0].weight.detach().double().norm().item()
    assert normalized_weight_norm(model) == pytest.approx(expected, rel=1e-12)
    assert normalized_weight_norm(nn.Sequential(nn.Linear(3, 2), nn.ReLU())) == 0.0
    with pytest.raises(TypeError, match="model"):
        normalized_weight_norm("abc")


def test_batchnorm_makes_the_sharpness_scale_as_one_over_the_squared_weight_norm():
    # The fact notebook 01 leans on: scaling the weights in front of a BatchNorm by c scales the Hessian by 1/c².
    from warmup_course.diagnostics import normalized_weight_norm

    model, x, y = _tiny(3, batchnorm=True)
    model.train()
    w0 = normalized_weight_norm(model)
    lam = []
    for c in (1.0, 3.0):
        scaled = nn.Sequential(*[m for m in model])
        with torch.no_grad():
            scaled[0].weight.mul_(c)
            scaled[0].bias.mul_(c)
        # only the first layer's block is scale-invariant: restrict the Hessian to it
        for p in scaled.parameters():
            p.requires_grad_(False)
        scaled[0].weight.requires_grad_(True)
        scaled[0].bias.requires_grad_(True)
        lam.append(top_hessian_eigenvalue(scaled, x, y, iters=40, tol=1e-10))
        assert normalized_weight_norm(scaled) == pytest.approx(c * w0, rel=1e-9)
        with torch.no_grad():
            scaled[0].weight.div_(c)
            scaled[0].bias.div_(c)
    assert lam[1] == pytest.approx(lam[0] / 9.0, rel=1e-3)  # not exact: BatchNorm's eps breaks the invariance slightly


def _hist(loss, diverged=False):
    from types import SimpleNamespace

    return SimpleNamespace(loss=np.asarray(loss, dtype=float), diverged=diverged)


def test_is_stable_run_follows_its_formula():
    from warmup_course.diagnostics import is_stable_run

    falling = [2.0, 1.0, 0.5] + [0.01] * 5
    assert is_stable_run(_hist(falling))
    assert not is_stable_run(_hist(falling, diverged=True))
    assert not is_stable_run(_hist([2.0, 2.5] + [0.01] * 5))  # rose above 1.2 × start
    assert is_stable_run(_hist([2.0, 2.4] + [0.01] * 5))  # 1.2 × start exactly is allowed
    assert not is_stable_run(_hist([2.0, 1.0] + [0.2] * 5))  # did not get low enough
    assert is_stable_run(_hist([2.0, 1.0] + [0.2] * 5), target=0.3)
    assert not is_stable_run(_hist([2.0, float("nan"), 0.01]))
    for bad in dict(max_rise=0.5), dict(target=0.0), dict(last=0), dict(max_rise=float("nan")):
        name = next(iter(bad))
        with pytest.raises((TypeError, ValueError), match=name):
            is_stable_run(_hist(falling), **bad)
    with pytest.raises(TypeError, match="history"):
        is_stable_run([1.0, 2.0])


def test_on_evaluations_probes_only_the_chosen_evaluations_of_each_run():
    from functools import partial

    from warmup_course import models
    from warmup_course.data import load_digits
    from warmup_course.diagnostics import normalized_weight_norm, on_evaluations
    from warmup_course.training import train

    data = load_digits()
    calls = []

    def norm(model):
        calls.append(model)
        return normalized_weight_norm(model)

    sparse = on_evaluations(norm, {0, 2})
    runs = [train(models.mlp(hidden=16, depth=2, batchnorm=True, seed=s), data, partial(torch.optim.SGD, lr=0.5),
                  None, 12, 64, seed=s, eval_every=3, probes={"full": normalized_weight_norm, "sparse": sparse})
            for s in (0, 1)]
    assert len(calls) == 4  # two evaluations per run: the count restarts with the second run's model
    for h in runs:
        full, part = np.asarray(h.eval["full"]), np.asarray(h.eval["sparse"])
        assert part[0] == full[0] and part[2] == full[2]  # the same values where probed
        assert np.isnan(part[[1, 3, 4]]).all()


def test_on_evaluations_refuses_bad_arguments():
    from warmup_course.diagnostics import on_evaluations

    with pytest.raises(TypeError, match="probe"):
        on_evaluations(3, [0])
    with pytest.raises(ValueError, match="evaluations"):
        on_evaluations(len, [])
    with pytest.raises(ValueError, match="evaluations"):
        on_evaluations(len, [-1])
