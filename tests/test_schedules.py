"""Tests for warmup_course.schedules: exact values from the formulas, peers' conventions, validation, properties."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warmup_course import schedules as S
from warmup_course.schedules import (
    Schedule,
    constant,
    cosine_decay,
    effective_warmup_length,
    exponential_warmup,
    geometric_warmup,
    inverse_sqrt_decay,
    linear_decay,
    linear_warmup,
    polynomial_decay,
    radam_warmup,
    step_decay,
    untuned_warmup,
    warmup_constant,
    warmup_cosine,
    warmup_linear,
    warmup_stable_decay,
    with_warmup,
)

PROPS = settings(max_examples=60, deadline=None)


def all_examples() -> list[Schedule]:
    return [
        linear_warmup(10),
        linear_warmup(10, 0.25, first_step_nonzero=True),
        linear_warmup(0),
        exponential_warmup(7.5),
        exponential_warmup(3, first_step_nonzero=True),
        geometric_warmup(8, 0.01),
        untuned_warmup(0.99),
        untuned_warmup(0.99, "exponential", first_step_nonzero=True),
        radam_warmup(0.95),
        constant(),
        linear_decay(20, 0.1),
        cosine_decay(20, 0.05),
        inverse_sqrt_decay(16),
        polynomial_decay(20, 2.0, 0.1),
        step_decay(5, 0.5),
        warmup_stable_decay(5, 10, 30, min_factor=0.1, warmup_shape="cosine", decay_shape="1-sqrt"),
        warmup_stable_decay(5, 10, stable_steps=7, first_step_nonzero=True),
        with_warmup(exponential_warmup(4.0), step_decay(3), 9),
        warmup_cosine(10, 50),
        warmup_cosine(10, 50, 0.1, shape="geometric", start_factor=0.01),
        warmup_linear(10, 50),
        warmup_constant(10, first_step_nonzero=True),
    ]


def test_module_does_not_import_torch() -> None:
    code = "import sys, warmup_course.schedules; print('torch' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                         env={**os.environ, "PYTHONPATH": str(root)}, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- exact values


def test_linear_warmup_exact_values() -> None:
    s = linear_warmup(4)
    assert [s(t) for t in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    s = linear_warmup(4, start_factor=0.2)
    assert [s(t) for t in range(5)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0], abs=1e-15)
    assert s(4) == 1.0 and s(100) == 1.0


def test_first_step_nonzero_shifts_by_one() -> None:
    s = linear_warmup(4, first_step_nonzero=True)
    assert [s(t) for t in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    e = exponential_warmup(2.0, first_step_nonzero=True)
    assert e(0) == pytest.approx(1 - math.exp(-0.5), rel=1e-15)
    g = geometric_warmup(2, 0.01, first_step_nonzero=True)
    assert g(0) == pytest.approx(0.1, rel=1e-14) and g(1) == 1.0


def test_warmup_steps_zero_means_no_warmup() -> None:
    for s in (linear_warmup(0), geometric_warmup(0, 0.1), warmup_constant(0)):
        assert s(0) == 1.0
        np.testing.assert_array_equal(s.values(5), np.ones(5))
    assert warmup_cosine(0, 10)(0) == 1.0
    assert warmup_cosine(0, 10)(5) == pytest.approx(0.5, abs=1e-15)


def test_exponential_and_geometric_exact() -> None:
    e = exponential_warmup(10.0)
    assert e(0) == 0.0
    assert e(10) == pytest.approx(1 - math.exp(-1), rel=1e-15)
    g = geometric_warmup(4, 1e-4)
    assert [g(t) for t in range(5)] == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0], rel=1e-12)
    assert g(4) == 1.0


def test_untuned_warmup_rounding_and_shapes() -> None:
    lin = untuned_warmup(0.999)
    assert lin.warmup_steps == 2000  # nearest integer of 2/(1-0.999) = 1999.99999...
    assert int(2.0 / (1.0 - 0.999)) == 1999  # what pytorch_warmup's truncation gives
    assert lin(1000) == 0.5 and lin(2000) == 1.0 and lin(1999) < 1.0
    exp = untuned_warmup(0.999, shape="exponential")
    tau = 1.0 / (1.0 - 0.999)
    assert exp(500) == pytest.approx(1 - math.exp(-500 / tau), rel=1e-15)
    assert untuned_warmup(0.98).warmup_steps == 100


def test_untuned_matches_pytorch_warmup_up_to_period() -> None:
    pw = pytest.importorskip("pytorch_warmup")
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=1.0, betas=(0.9, 0.99))
    ref = pw.UntunedLinearWarmup(opt)
    period = ref.warmup_params[0]["warmup_period"]
    assert period == 199  # truncated; ours is 200
    ours = linear_warmup(period, first_step_nonzero=True)
    for t in range(0, 260, 7):
        assert ours(t) == ref.warmup_factor(t, warmup_period=period)
    assert untuned_warmup(0.99).warmup_steps == 200
    e_ref = pw.ExponentialWarmup(opt, warmup_period=50)
    ours_e = exponential_warmup(50, first_step_nonzero=True)
    for t in range(0, 300, 11):
        assert ours_e(t) == e_ref.warmup_factor(t, warmup_period=50)


def _radam_reference(beta2: float, n: int) -> float:
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * n * beta2**n / (1 - beta2**n)
    if rho <= 4:
        return 0.0
    return math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))


def test_radam_warmup_matches_formula() -> None:
    s = radam_warmup(0.999)
    vals = s.values(3000)
    ref = np.array([_radam_reference(0.999, t + 1) for t in range(3000)])
    np.testing.assert_allclose(vals, ref, rtol=1e-9, atol=1e-12)
    assert s(0) == 0.0  # rho_1 = 1
    first = int(np.argmax(vals > 0))
    assert first >= 3 and all(vals[:first] == 0.0)
    assert np.all(np.diff(vals[first:]) > 0) and vals[-1] < 1.0
    assert s(10**7) == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match="beta2"):
        radam_warmup(0.5)


def test_decays_exact_values() -> None:
    assert [linear_decay(4)(t) for t in range(6)] == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    assert linear_decay(4, 0.2)(2) == pytest.approx(0.6, abs=1e-15)
    c = cosine_decay(4, 0.1)
    assert c(0) == 1.0 and c(2) == pytest.approx(0.55, abs=1e-15) and c(4) == 0.1 and c(40) == 0.1
    i = inverse_sqrt_decay(4)
    assert [i(t) for t in (0, 12, 60)] == pytest.approx([1.0, 0.5, 0.25], rel=1e-15)
    p = polynomial_decay(10, power=2.0, end_factor=0.1)
    assert p(5) == pytest.approx(0.1 + 0.9 * 0.25, rel=1e-15) and p(10) == 0.1 and p(11) == 0.1
    sd = step_decay(3, 0.5)
    assert [sd(t) for t in range(7)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert constant()(123) == 1.0


def test_with_warmup_composition_values() -> None:
    s = with_warmup(linear_warmup(4), cosine_decay(8), 4)
    assert s(3) == 0.75 and s(4) == 1.0 and s(8) == pytest.approx(0.5, abs=1e-15) and s(12) == 0.0
    assert with_warmup(linear_warmup(4), constant()) == with_warmup(linear_warmup(4), constant(), 4)
    with pytest.raises(ValueError, match="warmup_steps"):
        with_warmup(exponential_warmup(3.0), constant())


def test_warmup_stable_decay_phases() -> None:
    s = warmup_stable_decay(4, 4, 12)  # W=4, S=4, D=4
    assert s(2) == 0.5 and s(4) == 1.0 and s(7) == 1.0
    assert s(10) == pytest.approx(0.5, abs=1e-15) and s(12) == 0.0 and s(50) == 0.0
    assert repr(s) == repr(warmup_stable_decay(4, 4, stable_steps=4))
    with pytest.raises(ValueError, match="total_steps"):
        warmup_stable_decay(4, 4, 12, stable_steps=5)
    with pytest.raises(ValueError, match="total_steps"):
        warmup_stable_decay(4, 4, 7)
    with pytest.raises(ValueError, match="stable_steps"):
        warmup_stable_decay(4, 4)


def test_effective_warmup_length() -> None:
    assert effective_warmup_length(linear_warmup(10), 50) == pytest.approx(5.5, abs=1e-12)
    assert effective_warmup_length(linear_warmup(10, first_step_nonzero=True), 50) == pytest.approx(4.5, abs=1e-12)
    # Exponential: sum_t exp(-t/tau) = 1/(1 - exp(-1/tau)) ~ tau + 1/2
    tau = 200.0
    assert effective_warmup_length(exponential_warmup(tau), 20000) == pytest.approx(1 / (1 - math.exp(-1 / tau)), rel=1e-9)
    assert effective_warmup_length(constant(), 100) == 0.0


# ----------------------------------------------------------------------------- peers: HF transformers


def _hf_lambda(sched_fn, *args, **kwargs):
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    return sched_fn(opt, *args, **kwargs).lr_lambdas[0]


@pytest.mark.parametrize("warmup,total", [(0, 10), (1, 10), (7, 50), (100, 1000), (33, 34)])
def test_presets_equal_hf_exactly(warmup: int, total: int) -> None:
    tr = pytest.importorskip("transformers")
    cos = _hf_lambda(tr.get_cosine_schedule_with_warmup, warmup, total)
    lin = _hf_lambda(tr.get_linear_schedule_with_warmup, warmup, total)
    const = _hf_lambda(tr.get_constant_schedule_with_warmup, warmup)
    ours_cos, ours_lin, ours_const = warmup_cosine(warmup, total), warmup_linear(warmup, total), warmup_constant(warmup)
    steps = range(total + 1)
    assert [ours_cos(t) for t in steps] == [cos(t) for t in steps]
    assert [ours_lin(t) for t in steps] == [lin(t) for t in steps]
    assert [ours_const(t) for t in range(total + 5)] == [const(t) for t in range(total + 5)]
    # The vectorised path agrees to the last bits (numpy's cos may differ from libm by an ulp).
    np.testing.assert_allclose(ours_cos.values(total + 1), [cos(t) for t in steps], rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(ours_lin.values(total + 1), [lin(t) for t in steps])


def test_min_factor_equals_hf_cosine_with_min_lr() -> None:
    tr = pytest.importorskip("transformers")
    ref = _hf_lambda(tr.get_cosine_with_min_lr_schedule_with_warmup, 10, 100, min_lr_rate=0.1)
    ours = warmup_cosine(10, 100, min_factor=0.1)
    assert [ours(t) for t in range(101)] == [ref(t) for t in range(101)]


@pytest.mark.parametrize("wshape", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("dshape", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("min_factor", [0.0, 0.1])
def test_wsd_matches_hf(wshape: str, dshape: str, min_factor: float) -> None:
    tr = pytest.importorskip("transformers")
    ref = _hf_lambda(
        tr.get_wsd_schedule, 8, 12, num_training_steps=40, warmup_type=wshape, decay_type=dshape, min_lr_ratio=min_factor
    )
    ours = warmup_stable_decay(8, 12, 40, min_factor=min_factor, warmup_shape=wshape, decay_shape=dshape)
    np.testing.assert_allclose(ours.values(60), [ref(t) for t in range(60)], rtol=1e-13, atol=1e-15)


def test_inverse_sqrt_and_polynomial_match_hf() -> None:
    tr = pytest.importorskip("transformers")
    ref = _hf_lambda(tr.get_inverse_sqrt_schedule, 16)
    ours = with_warmup(linear_warmup(16), inverse_sqrt_decay(16))
    assert [ours(t) for t in range(200)] == [ref(t) for t in range(200)]
    ref = _hf_lambda(tr.get_polynomial_decay_schedule_with_warmup, 10, 60, lr_end=0.1, power=2.0)
    ours = with_warmup(linear_warmup(10), polynomial_decay(50, power=2.0, end_factor=0.1))
    np.testing.assert_allclose(ours.values(80), [ref(t) for t in range(80)], rtol=1e-13, atol=1e-15)


# ----------------------------------------------------------------------------- repr, evaluation types


@pytest.mark.parametrize("s", all_examples(), ids=repr)
def test_repr_is_readable_and_round_trips(s: Schedule) -> None:
    text = repr(s)
    assert "object at" not in text and text.split("(")[0] in S.__all__
    rebuilt = eval(text, vars(S))  # noqa: S307 - our own repr
    np.testing.assert_array_equal(rebuilt.values(60), s.values(60))
    assert rebuilt == s


def test_repr_examples() -> None:
    assert repr(linear_warmup(100)) == "linear_warmup(warmup_steps=100, start_factor=0.0)"
    assert repr(untuned_warmup(0.999)) == "untuned_warmup(beta2=0.999, shape='linear')"
    assert repr(warmup_cosine(10, 100)) == (
        "with_warmup(linear_warmup(warmup_steps=10, start_factor=0.0), "
        "cosine_decay(decay_steps=90, min_factor=0.0), warmup_steps=10)"
    )


def test_call_types() -> None:
    s = warmup_cosine(10, 100)
    assert type(s(5)) is float and type(s(np.int64(5))) is float and type(s(5.0)) is float
    assert s(np.int64(5)) == s(5) == s(5.0)
    out = s(np.arange(12).reshape(3, 4))
    assert isinstance(out, np.ndarray) and out.shape == (3, 4) and out.dtype == np.float64
    np.testing.assert_array_equal(s([0, 5, 10]), s.values(11)[[0, 5, 10]])
    assert s(np.array([], dtype=np.int64)).shape == (0,)
    assert step_decay(4)(7.9) == 0.1 ** 1


@pytest.mark.parametrize("bad", [-1, -0.5, float("nan"), float("inf"), np.array([0, -3]), np.array([1.0, np.nan])])
def test_bad_steps_raise_value_error(bad) -> None:
    with pytest.raises(ValueError, match="step t"):
        warmup_cosine(10, 100)(bad)


@pytest.mark.parametrize("bad", [True, "3", None, np.array([True, False]), {1: 2}, 1 + 2j])
def test_bad_step_types_raise_type_error(bad) -> None:
    with pytest.raises(TypeError, match="step t"):
        linear_warmup(10)(bad)


# ----------------------------------------------------------------------------- constructor validation


@pytest.mark.parametrize(
    "make,param,exc",
    [
        (lambda: linear_warmup(-1), "warmup_steps", ValueError),
        (lambda: linear_warmup(10.0), "warmup_steps", TypeError),
        (lambda: linear_warmup(True), "warmup_steps", TypeError),
        (lambda: linear_warmup("10"), "warmup_steps", TypeError),
        (lambda: linear_warmup(10, 1.5), "start_factor", ValueError),
        (lambda: linear_warmup(10, -0.1), "start_factor", ValueError),
        (lambda: linear_warmup(10, float("nan")), "start_factor", ValueError),
        (lambda: linear_warmup(10, first_step_nonzero=1), "first_step_nonzero", TypeError),
        (lambda: geometric_warmup(10, 0.0), "start_factor", ValueError),
        (lambda: geometric_warmup(10, 2.0), "start_factor", ValueError),
        (lambda: exponential_warmup(0), "tau", ValueError),
        (lambda: exponential_warmup(float("inf")), "tau", ValueError),
        (lambda: exponential_warmup("5"), "tau", TypeError),
        (lambda: untuned_warmup(1.0), "beta2", ValueError),
        (lambda: untuned_warmup(0.0), "beta2", ValueError),
        (lambda: untuned_warmup(0.9, shape="cosine"), "shape", ValueError),
        (lambda: radam_warmup(1.5), "beta2", ValueError),
        (lambda: linear_decay(0), "decay_steps", ValueError),
        (lambda: cosine_decay(-5), "decay_steps", ValueError),
        (lambda: cosine_decay(5, 1.2), "min_factor", ValueError),
        (lambda: linear_decay(5, end_factor=-0.1), "end_factor", ValueError),
        (lambda: polynomial_decay(5, power=0), "power", ValueError),
        (lambda: inverse_sqrt_decay(0), "timescale", ValueError),
        (lambda: step_decay(0), "step_size", ValueError),
        (lambda: step_decay(3, gamma=0.0), "gamma", ValueError),
        (lambda: warmup_cosine(10, 10), "total_steps", ValueError),
        (lambda: warmup_cosine(10, 5.5), "total_steps", TypeError),
        (lambda: warmup_linear(-3, 10), "warmup_steps", ValueError),
        (lambda: warmup_cosine(10, 100, shape="exponential"), "shape", ValueError),
        (lambda: warmup_cosine(10, 100, shape="geometric"), "start_factor", ValueError),
        (lambda: with_warmup(linear_warmup(3), lambda t: 1.0, 3), "then", TypeError),
        (lambda: with_warmup(linear_warmup(3), constant(), -1), "warmup_steps", ValueError),
        (lambda: warmup_stable_decay(4, 0, 20), "decay_steps", ValueError),
        (lambda: warmup_stable_decay(4, 4, 20, decay_shape="step"), "decay_shape", ValueError),
        (lambda: effective_warmup_length(constant(), -1), "n", ValueError),
        (lambda: effective_warmup_length(lambda t: 1.0, 3), "schedule", TypeError),
        (lambda: constant().values(2.0), "n", TypeError),
    ],
)
def test_constructor_validation_names_parameter(make, param: str, exc: type) -> None:
    with pytest.raises(exc, match=param):
        make()


# ----------------------------------------------------------------------------- properties

warmup_steps = st.integers(min_value=1, max_value=500)
start_factors = st.floats(min_value=0.0, max_value=1.0)


@PROPS
@given(w=warmup_steps, s=start_factors, fsn=st.booleans())
def test_linear_warmup_properties(w: int, s: float, fsn: bool) -> None:
    v = linear_warmup(w, s, first_step_nonzero=fsn).values(w + 3)
    assert np.all(v >= s) and np.all(v <= 1.0)
    assert np.all(np.diff(v) >= 0)
    assert v[w] == 1.0 and np.all(v[w:] == 1.0)


@PROPS
@given(w=warmup_steps, s=st.floats(min_value=1e-8, max_value=1.0), fsn=st.booleans())
def test_geometric_warmup_properties(w: int, s: float, fsn: bool) -> None:
    v = geometric_warmup(w, s, first_step_nonzero=fsn).values(w + 3)
    assert np.all(v >= s * (1 - 1e-15)) and np.all(v <= 1.0)
    assert np.all(np.diff(v) >= 0)
    assert v[w] == 1.0


@PROPS
@given(tau=st.floats(min_value=0.1, max_value=1e4), fsn=st.booleans())
def test_exponential_warmup_properties(tau: float, fsn: bool) -> None:
    v = exponential_warmup(tau, first_step_nonzero=fsn).values(300)
    assert np.all(v >= 0.0) and np.all(v <= 1.0) and np.all(np.diff(v) >= 0)


@PROPS
@given(beta2=st.floats(min_value=0.61, max_value=0.9999))
def test_radam_warmup_properties(beta2: float) -> None:
    v = radam_warmup(beta2).values(2000)
    assert np.all(v >= 0.0) and np.all(v <= 1.0 + 1e-12) and np.all(np.diff(v) >= -1e-12)


@PROPS
@given(
    w=st.integers(min_value=0, max_value=200),
    d=st.integers(min_value=1, max_value=300),
    m=st.floats(min_value=0.0, max_value=1.0),
    fsn=st.booleans(),
    shape=st.sampled_from(["linear", "geometric"]),
)
def test_composition_continuous_at_boundary(w: int, d: int, m: float, fsn: bool, shape: str) -> None:
    for make in (warmup_cosine, warmup_linear):
        s = make(w, w + d, m, shape=shape, start_factor=0.01, first_step_nonzero=fsn)
        if w > 0 and shape == "linear":
            # the last warmup step is within one warmup increment of 1
            assert 0.0 <= s(w) - s(w - 1) <= 1.0 / w + 1e-12
        assert s(w) == 1.0  # the warmup ends exactly at 1 and the decay starts there
        assert abs(s(w + 1) - s(w)) <= (1.0 - m) * math.pi / (2 * d) + 1e-12


@PROPS
@given(
    idx=st.integers(min_value=0, max_value=len(all_examples()) - 1),
    steps=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=50),
)
def test_array_equals_elementwise_scalar(idx: int, steps: list[int]) -> None:
    s = all_examples()[idx]
    arr = s(np.array(steps))
    scal = np.array([s(t) for t in steps])
    # rational formulas agree bit for bit; transcendental ones may differ by an ulp (numpy vs libm)
    np.testing.assert_allclose(arr, scal, rtol=1e-13, atol=1e-15)
