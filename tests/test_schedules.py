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


# ----------------------------------------------------------------- cosine, constant and DeepSpeed warmups (issue 8)


class _DeepSpeedWarmupLR:
    """DeepSpeed's ``WarmupLR``, its protocol re-implemented line by line from the source (deepspeed 0.19.8,
    https://github.com/microsoft/DeepSpeed/blob/master/deepspeed/runtime/lr_schedules.py):

        self.warmup_num_steps = max(2, warmup_num_steps)
        self.inverse_log_warm_up = 1.0 / math.log(self.warmup_num_steps)
        self.last_batch_iteration = last_batch_iteration          # default -1
        if last_batch_iteration == -1:
            self._last_lr = update_lr(self.optimizer.param_groups, self.get_lr())
        def get_lr(self):
            if self.last_batch_iteration < 0: return self.min_lrs
            gamma = self._get_gamma()
            return [min_lr + (delta_lr * gamma) ...]
        def step(self, last_batch_iteration=None):
            if last_batch_iteration is None: last_batch_iteration = self.last_batch_iteration + 1
            ...
        def _get_gamma(self):
            if self.last_batch_iteration < self.warmup_num_steps:
                if log: return self.inverse_log_warm_up * math.log(self.last_batch_iteration + 1)
                elif linear: return self.last_batch_iteration / self.warmup_num_steps
            return 1.0
    """

    def __init__(self, optimizer, warmup_min_lr, warmup_max_lr, warmup_num_steps, warmup_type):
        self.optimizer = optimizer
        self.min_lr, self.delta = warmup_min_lr, warmup_max_lr - warmup_min_lr
        self.warmup_num_steps = max(2, warmup_num_steps)
        self.inverse_log_warm_up = 1.0 / math.log(self.warmup_num_steps)
        self.warmup_type = warmup_type
        self.last_batch_iteration = -1
        self._update()  # "Initialize lr in optimizer"

    def _gamma(self):
        i = self.last_batch_iteration
        if i < self.warmup_num_steps:
            if self.warmup_type == "log":
                return self.inverse_log_warm_up * math.log(i + 1)
            return i / self.warmup_num_steps
        return 1.0

    def _update(self):
        lr = self.min_lr if self.last_batch_iteration < 0 else self.min_lr + self.delta * self._gamma()
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def step(self):
        self.last_batch_iteration += 1
        self._update()


def _deepspeed_engine_lrs(make_scheduler, updates, overflow=()):
    """The engine's order (engine.py, ``_take_model_step``): ``optimizer.step()``, then -- unless the fp16 optimizer
    reported an overflow, in which case the update was skipped -- ``lr_scheduler.step()``. Returns the LR of
    each *applied* update."""
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = make_scheduler(opt)
    lrs, k = [], 0
    while len(lrs) < updates:
        lr = opt.param_groups[0]["lr"]
        opt.step()
        if k in overflow:
            k += 1
            continue  # skipped update: no scheduler step
        lrs.append(lr)
        sched.step()
        k += 1
    return np.array(lrs)


@pytest.mark.parametrize("warmup_type", ["log", "linear"])
@pytest.mark.parametrize("w", [1, 2, 5, 10, 200])
@pytest.mark.parametrize("min_lr", [0.0, 0.1])
def test_deepspeed_warmup_follows_deepspeeds_init_then_step_protocol(warmup_type, w, min_lr):
    lrs = _deepspeed_engine_lrs(lambda o: _DeepSpeedWarmupLR(o, min_lr, 1.0, w, warmup_type), 3 * w + 5)
    ours = S.deepspeed_warmup(w, warmup_type, min_factor=min_lr).values(len(lrs))
    np.testing.assert_allclose(ours, lrs, rtol=0, atol=1e-15)
    assert lrs[0] == lrs[1] == min_lr, "updates 0 and 1 both run at warmup_min_lr"


def test_deepspeed_warmup_conventions_in_numbers():
    lin, log = S.deepspeed_warmup(10, "linear"), S.deepspeed_warmup(10, "log")
    t = np.arange(1, 12)
    np.testing.assert_allclose(lin(t), np.minimum(1, (t - 1) / 10))
    assert lin(10) < 1 and lin(11) == 1.0, "linear: the peak at update W + 1"
    np.testing.assert_allclose(log(t), np.minimum(1, np.log(t) / np.log(10)))
    assert log(9) < 1 and log(10) == pytest.approx(1.0, abs=1e-15) and log(11) == 1.0, "log: 1 (to rounding) at update W"
    assert S.deepspeed_warmup(1).values(4).tolist() == S.deepspeed_warmup(2).values(4).tolist(), "W = max(2, W)"
    assert int(np.argmax(S.deepspeed_warmup(200).values(300) >= 0.5)) == 15, "log: half the peak at update 15"


def test_deepspeed_warmup_counts_applied_updates_when_fp16_overflows():
    lrs = _deepspeed_engine_lrs(lambda o: _DeepSpeedWarmupLR(o, 0.0, 1.0, 10, "linear"), 15, overflow={0, 1, 4})
    np.testing.assert_allclose(lrs, S.deepspeed_warmup(10, "linear").values(15), atol=1e-15)


def test_deepspeed_itself_when_installed():
    ds = pytest.importorskip("deepspeed.runtime.lr_schedules")
    for warmup_type in ("log", "linear"):
        lrs = _deepspeed_engine_lrs(lambda o: ds.WarmupLR(o, warmup_min_lr=0.0, warmup_max_lr=1.0,
                                                          warmup_num_steps=20, warmup_type=warmup_type), 30)
        np.testing.assert_allclose(S.deepspeed_warmup(20, warmup_type).values(30), lrs, rtol=0, atol=1e-15)


def test_cosine_warmup_formula_and_peers():
    import torch
    from transformers.optimization import get_wsd_schedule

    from warmup_course.peers import record_lrs

    w = 40
    t = np.arange(w + 5)
    np.testing.assert_allclose(S.cosine_warmup(w).values(w + 5), np.where(t < w, 0.5 * (1 - np.cos(np.pi * t / w)), 1))
    hf = record_lrs(lambda o: get_wsd_schedule(o, num_warmup_steps=w, num_decay_steps=10, num_training_steps=200,
                                               warmup_type="cosine"), w + 1)
    np.testing.assert_allclose(hf, S.cosine_warmup(w).values(w + 1), rtol=0, atol=1e-12)
    # OneCycleLR's default warm phase: cosine from max_lr / 25, at the peak on update pct_start * total - 1
    total, pct = 200, 0.2
    one = record_lrs(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=total, pct_start=pct,
                                                                   cycle_momentum=False), total)
    k = round(pct * total)
    np.testing.assert_allclose(one[:k], S.cosine_warmup(k - 1, 1 / 25).values(k), rtol=0, atol=1e-12)


def test_cosine_warmup_costs_the_same_as_linear():
    for w in (1, 2, 7, 20, 333):
        assert effective_warmup_length(S.cosine_warmup(w), w + 10) == pytest.approx((w + 1) / 2, abs=1e-9)


def test_constant_warmup_equals_torch_constant_lr():
    import torch

    from warmup_course.peers import record_lrs

    for w, f in ((5, 0.1), (11, 1 / 16), (1, 0.5)):
        lrs = record_lrs(lambda o: torch.optim.lr_scheduler.ConstantLR(o, factor=f, total_iters=w), 3 * w)
        np.testing.assert_allclose(S.constant_warmup(w, f).values(3 * w), lrs, rtol=0, atol=1e-15)
        assert effective_warmup_length(S.constant_warmup(w, f), 3 * w) == pytest.approx(w * (1 - f))


@pytest.mark.parametrize("w,s", [(13, 0.01), (100, 0.01), (7, 0.5), (1000, 1e-3)])
def test_geometric_warmup_effective_length_closed_form(w, s):
    closed = w - (1 - s) / (s ** (-1 / w) - 1)  # Σ_{t<W} (1 - s^{1 - t/W}), a geometric series
    assert effective_warmup_length(geometric_warmup(w, s), w + 5) == pytest.approx(closed, rel=1e-10)


@pytest.mark.parametrize("bad", [None, "abc", float("nan"), -1, 10**400, [1, 2], True])
def test_new_warmups_reject_bad_arguments(bad):
    for make in (lambda v: S.cosine_warmup(v), lambda v: S.cosine_warmup(10, v), lambda v: S.constant_warmup(v, 0.1),
                 lambda v: S.constant_warmup(10, v), lambda v: S.deepspeed_warmup(v),
                 lambda v: S.deepspeed_warmup(10, v), lambda v: S.deepspeed_warmup(10, "log", v)):
        with pytest.raises((TypeError, ValueError)):
            make(bad)
