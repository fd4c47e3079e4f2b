"""Property-based tests (hypothesis): schedules, WarmupLR resume and History round-trips hold for ANY valid input,
not only for the handful of examples the other tests pick."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warmup_course import schedules as S
from warmup_course.scheduler import WarmupLR
from warmup_course.training import History

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

unit = st.floats(0.0, 1.0, allow_nan=False)
unit_open_low = st.floats(1e-6, 1.0, allow_nan=False)
beta2s = st.floats(0.61, 0.9999, allow_nan=False)
lengths = st.integers(0, 2000)
flags = st.booleans()


@st.composite
def warmups(draw):
    """A warmup schedule (rises from its start towards 1) of any kind and parameters."""
    kind = draw(st.sampled_from(["linear", "exponential", "geometric", "untuned", "radam", "curved"]))
    fsn = draw(flags)
    if kind == "linear":
        return S.linear_warmup(draw(lengths), draw(unit), first_step_nonzero=fsn)
    if kind == "exponential":
        return S.exponential_warmup(draw(st.floats(0.01, 1e4)), first_step_nonzero=fsn)
    if kind == "geometric":
        return S.geometric_warmup(draw(lengths), draw(unit_open_low), first_step_nonzero=fsn)
    if kind == "untuned":
        return S.untuned_warmup(draw(beta2s), draw(st.sampled_from(["linear", "exponential"])),
                                first_step_nonzero=fsn)
    if kind == "radam":
        return S.radam_warmup(draw(beta2s))
    w = draw(st.integers(0, 500))
    d = draw(st.integers(1, 500))
    return S.warmup_stable_decay(w, d, stable_steps=10**6, min_factor=draw(unit),
                                 warmup_shape=draw(st.sampled_from(["linear", "cosine", "1-sqrt"])),
                                 first_step_nonzero=fsn)  # the decay starts after 10**6: a pure warmup here


@st.composite
def any_schedule(draw):
    """Any schedule of the module: a warmup, a decay, or a preset combining them."""
    kind = draw(st.sampled_from(["warmup", "cosine", "linear", "wsd", "decay", "inverse_sqrt", "poly", "step"]))
    w = draw(st.integers(0, 300))
    total = w + draw(st.integers(1, 3000))
    if kind == "warmup":
        return draw(warmups())
    if kind == "cosine":
        return S.warmup_cosine(w, total, draw(unit), shape=draw(st.sampled_from(["linear", "geometric"])),
                               start_factor=draw(unit_open_low))
    if kind == "linear":
        return S.warmup_linear(w, total, draw(unit))
    if kind == "wsd":
        d = draw(st.integers(1, total - w))
        return S.warmup_stable_decay(w, d, total, min_factor=draw(unit),
                                     warmup_shape=draw(st.sampled_from(["linear", "cosine", "1-sqrt"])),
                                     decay_shape=draw(st.sampled_from(["linear", "cosine", "1-sqrt"])))
    if kind == "decay":
        return S.with_warmup(draw(warmups()), S.cosine_decay(draw(st.integers(1, 3000)), draw(unit)),
                             draw(st.integers(0, 300)))
    if kind == "inverse_sqrt":
        return S.inverse_sqrt_decay(draw(st.floats(0.5, 1e4)))
    if kind == "poly":
        return S.polynomial_decay(draw(st.integers(1, 3000)), draw(st.floats(0.1, 5.0)), draw(unit))
    return S.step_decay(draw(st.integers(1, 500)), draw(st.floats(0.01, 1.0)))


steps = st.lists(st.integers(0, 10**6), min_size=1, max_size=40)


@FAST
@given(any_schedule(), steps)
def test_values_are_multipliers_in_unit_interval(s, ts) -> None:
    values = np.array([s(t) for t in ts])
    assert np.all(np.isfinite(values))
    assert np.all(values >= 0.0) and np.all(values <= 1.0 + 1e-12)


@FAST
@given(any_schedule(), steps)
def test_array_path_equals_scalar_path(s, ts) -> None:
    scalar = np.array([s(t) for t in ts])
    np.testing.assert_allclose(s(np.array(ts)), scalar, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s([float(t) for t in ts]), scalar, rtol=1e-12, atol=1e-15)


@FAST
@given(any_schedule(), st.integers(1, 400))
def test_values_equals_calling_on_arange(s, n) -> None:
    np.testing.assert_array_equal(s.values(n), s(np.arange(n)))


@FAST
@given(warmups(), st.integers(2, 3000))
def test_warmups_never_decrease(s, n) -> None:
    v = s.values(n)
    assert np.all(np.diff(v) >= -1e-12), (s, int(np.argmin(np.diff(v))))


@FAST
@given(any_schedule(), st.floats(0.0, 1e6, allow_nan=False))
def test_float_steps_are_the_continuous_extension(s, t) -> None:
    assert s(t) == pytest.approx(float(s(np.array([t]))[0]), rel=1e-12, abs=1e-15)


# ------------------------------------------------------------------------------------------ WarmupLR resume


def _lrs(sched: WarmupLR, opt: torch.optim.Optimizer, n: int) -> list[list[float]]:
    out = []
    for _ in range(n):
        out.append([float(g["lr"]) for g in opt.param_groups])
        opt.step()
        sched.step()
    return out


def _optimizer(lrs: list[float]) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_schedule(), st.lists(st.floats(1e-5, 1.0), min_size=1, max_size=3), st.integers(1, 60),
       st.integers(1, 60), st.booleans())
def test_warmup_lr_resume_mid_run_gives_identical_lrs(s, base_lrs, k, m, optimizer_first) -> None:
    """Uninterrupted run == (run k updates, checkpoint, rebuild, load, run m more), in either load order."""
    opt = _optimizer(base_lrs)
    sched = WarmupLR(opt, s)
    reference = _lrs(sched, opt, k + m)

    opt = _optimizer(base_lrs)
    sched = WarmupLR(opt, s)
    first = _lrs(sched, opt, k)
    buf = io.BytesIO()
    torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, buf)
    buf.seek(0)
    saved = torch.load(buf, weights_only=True)  # a checkpoint holds plain data only

    opt2 = _optimizer(base_lrs)
    if optimizer_first:
        opt2.load_state_dict(saved["opt"])
        sched2 = WarmupLR(opt2, s)
    else:
        sched2 = WarmupLR(opt2, s)
        opt2.load_state_dict(saved["opt"])
    sched2.load_state_dict(saved["sched"])
    rest = _lrs(sched2, opt2, m)
    assert first + rest == reference


# ------------------------------------------------------------------------------------------ History round-trip

finite_or_not = st.floats(allow_nan=True, allow_infinity=True, width=64)


@st.composite
def histories(draw):
    n = draw(st.integers(0, 20))
    k = draw(st.integers(0, 5))
    col = lambda size: np.array(draw(st.lists(finite_or_not, min_size=size, max_size=size)), dtype=np.float64)  # noqa: E731
    names = draw(st.lists(st.sampled_from(["test_loss", "test_acc", "train_loss", "probe"]), unique=True, max_size=3))
    per_tensor = draw(st.booleans())
    diverged = draw(st.booleans())
    tensors = draw(st.integers(1, 3))
    return History(
        step=np.arange(n, dtype=np.int64), lr=col(n), loss=col(n), grad_norm=col(n), update_ratio=col(n),
        update_ratio_max=col(n), eval_step=np.array(sorted(draw(st.lists(st.integers(0, 100), min_size=k,
                                                                          max_size=k))), dtype=np.int64),
        eval={name: col(k) for name in names},
        diverged=diverged, diverged_step=(n - 1 if diverged and n else None),
        divergence_reason=draw(st.one_of(st.none(), st.text(max_size=20))),
        config=draw(st.dictionaries(st.text(max_size=5), st.one_of(st.integers(-10, 10), st.text(max_size=5),
                                                                   st.booleans(), st.none()), max_size=4)),
        tensor_names=[f"w{i}" for i in range(tensors)] if per_tensor else None,
        tensor_update_ratio=(np.array([[draw(finite_or_not) for _ in range(tensors)] for _ in range(n)],
                                      dtype=np.float64).reshape(n, tensors) if per_tensor else None),
    )


@FAST
@given(histories())
def test_history_json_round_trip_is_exact(h) -> None:
    text = h.to_json()
    assert "NaN" not in text and "Infinity" not in text  # strict JSON
    back = History.from_json(text)
    assert back == h
    assert History.from_dict(h.to_dict()) == h
    assert back.to_json() == text


@FAST
@given(histories())
def test_history_summaries_agree_with_the_arrays(h) -> None:
    if len(h):
        assert h.final("loss") == h.loss[-1] or (math.isnan(h.final("loss")) and math.isnan(h.loss[-1]))
    finite = h.loss[np.isfinite(h.loss)]
    best = h.best("loss")
    assert (math.isnan(best) and not finite.size) or best == finite.min()
