"""Issue 9: no silent wrong results, and errors that name the parameter (one test per reported case).

Each test here failed on the code before the fix (the reason is in its docstring); the generic sweep over every
public callable is tests/test_bad_inputs.py.
"""

from __future__ import annotations

import functools
import io
import json
import math

import numpy as np
import pytest
import torch

from warmup_course import schedules as S
from warmup_course.data import ArrayData, DigitsDataset, SequenceTask, load_digits
from warmup_course.models import SequenceTransformer, mlp
from warmup_course.scheduler import WarmupLR
from warmup_course.training import History, train


def tiny_data() -> ArrayData:
    g = torch.Generator().manual_seed(0)
    return ArrayData(torch.randn(24, 4, generator=g), torch.arange(24) % 3, torch.randn(12, 4, generator=g),
                     torch.arange(12) % 3, num_classes=3, name="tiny")


def tiny_model() -> torch.nn.Module:
    return mlp(in_features=4, hidden=4, depth=1, num_classes=3, seed=0)


def run(**kwargs):
    args = {"model": tiny_model(), "data": tiny_data(), "optimizer": functools.partial(torch.optim.SGD, lr=0.1),
            "schedule": None, "steps": 3, "batch_size": 4, "seed": 0}
    args.update(kwargs)
    return train(**args)


# ---------------------------------------------------------------------------------- silent wrong results


def test_tensor_lr_is_recorded_per_update_not_aliased() -> None:
    """Before: every History.lr entry was the same tensor (its final value) and config['base_lr'] was 0.0."""
    h = run(optimizer=functools.partial(torch.optim.SGD, lr=torch.tensor(0.1)), schedule=S.linear_warmup(4), steps=6)
    np.testing.assert_allclose(h.lr, 0.1 * S.linear_warmup(4).values(6), rtol=1e-6)
    assert h.config["base_lr"] == pytest.approx(0.1)
    assert h.lr.dtype == np.float64


def test_radam_warmup_does_not_overflow_at_huge_steps() -> None:
    """Before: 2·n overflowed to inf and inf·β₂ⁿ = inf·0 gave NaN (scalar) or 0.0 (array) at t = 1e308."""
    r = S.radam_warmup(0.999)
    assert r(1e308) == pytest.approx(1.0)
    np.testing.assert_allclose(r(np.array([1e300, 1e307, 1e308])), 1.0)
    assert r(np.array([1e308]))[0] == r(1e308)


def test_infinite_diverge_factor_is_stored_as_json() -> None:
    """Before: config held a raw inf and History.to_json() raised (strict JSON has no inf)."""
    h = run(diverge_factor=float("inf"))
    assert h.config["diverge_factor"] == "inf"
    assert History.from_json(h.to_json()) == h


def test_split_without_training_examples_is_refused() -> None:
    """Before: test_fraction=0.9999 gave an empty training set and NaN features, with only RuntimeWarnings."""
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=0.9999)


@pytest.mark.parametrize(
    "patch, key",
    [({"last_epoch": math.nan}, "last_epoch"), ({"base_lrs": [math.nan]}, "base_lrs"),
     ({"base_lrs": [0.1, 0.1]}, "base_lrs"), ({"base_lrs": "0.1"}, "base_lrs"), ({"last_epoch": -5}, "last_epoch"),
     ({"_last_lr": [math.inf]}, "_last_lr")],
)
def test_warmup_lr_checkpoint_fields_are_validated(patch, key) -> None:
    """Before: NaN fields set the lr to NaN silently; a wrong-length base_lrs was the only check."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    sched = WarmupLR(opt, S.linear_warmup(10))
    opt.step()
    sched.step()
    state = {**sched.state_dict(), **patch}
    before = opt.param_groups[0]["lr"]
    with pytest.raises((TypeError, ValueError), match=key):
        sched.load_state_dict(state)
    assert opt.param_groups[0]["lr"] == before and math.isfinite(sched.last_epoch)


def test_warmup_lr_step_epoch_nan_and_none_state() -> None:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    sched = WarmupLR(opt, S.linear_warmup(10))
    with pytest.raises(TypeError, match="epoch"):
        sched.step(epoch=math.nan)
    with pytest.raises(TypeError, match="state_dict"):
        sched.load_state_dict(None)
    assert math.isfinite(opt.param_groups[0]["lr"])


def test_warmup_lr_resume_on_fresh_optimizer_names_last_epoch() -> None:
    """Before: torch's KeyError('initial_lr')."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="last_epoch"):
        WarmupLR(opt, S.linear_warmup(10), last_epoch=3)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: load_digits(standardize="no"), "standardize"),
        (lambda: load_digits(flatten="no"), "flatten"),
        (lambda: DigitsDataset(train="no"), "train"),
        (lambda: __import__("warmup_course.experiments").experiments.compare(
            {"a": lambda s: None}, [0], progress="no"), "progress"),
        (lambda: __import__("warmup_course.widgets").widgets.explorer_figure(compare_none="no"), "compare_none"),
    ],
)
def test_flags_are_true_or_false(call, name) -> None:
    """Before: any truthy value was taken as True ("no" standardized, flattened, picked the train split...)."""
    with pytest.raises(TypeError, match=name):
        call()


@pytest.mark.parametrize(
    "change, name",
    [({"norm": "bogus"}, "norm"), ({"vocab": 0}, "vocab"), ({"layers": -1}, "layers"), ({"heads": 3}, "heads"),
     ({"dropout": 1.5}, "dropout")],
)
def test_sequence_transformer_checks_its_arguments(change, name) -> None:
    """Before: the class built directly accepted them; heads=3 with d_model=64 was a bare AssertionError."""
    kwargs = {"vocab": 8, "length": 4, "d_model": 64, "heads": 4, "layers": 1, "ff": 16, "norm": "pre",
              "dropout": 0.0, **change}
    with pytest.raises(ValueError, match=name):
        SequenceTransformer(**kwargs)


@pytest.mark.parametrize(
    "fn, exc", [(lambda t: -0.5, ValueError), (lambda t: None, TypeError), (lambda t: "1", TypeError),
                (lambda t: math.nan, ValueError)],
)
def test_schedule_callable_must_return_a_multiplier(fn, exc) -> None:
    """Before: a negative multiplier ran gradient ascent; None or a string failed deep inside with float()."""
    with pytest.raises(exc, match=r"schedule\(t\)"):
        run(schedule=fn)


def test_doctor_reports_bad_threads_instead_of_crashing(monkeypatch) -> None:
    """Before: a bad WARMUP_COURSE_THREADS crashed `python -m warmup_course doctor` with a traceback."""
    from warmup_course import doctor

    monkeypatch.setenv("WARMUP_COURSE_THREADS", "abc")
    assert doctor.check_threads().status == doctor.FAIL
    monkeypatch.setattr(doctor, "CHECKS", [doctor.check_threads, lambda: 1 / 0])
    out = io.StringIO()
    assert doctor.run(out) == 1
    text = out.getvalue()
    assert "FAIL  cpu threads" in text and "WARMUP_COURSE_THREADS" in text and "ZeroDivisionError" in text


def test_checker_judges_a_nan_answer_and_never_blames_the_learner() -> None:
    """Before: check_hf_schedule said "your code raised IndexError" -- the checker's own failure on NaN."""
    from warmup_course.exercises import nb03

    v = nb03.check_hf_schedule(lambda t: math.nan)
    assert not v.passed and v.attempted
    assert "raised" not in v.message and "finite" in v.message


def test_learners_own_exception_is_still_named_as_theirs() -> None:
    from warmup_course.exercises.core import check

    def learner():  # raised in the learner's frame: their exception, named as such
        raise ZeroDivisionError("division by zero")

    v = check(lambda fn: fn(), learner)
    assert "your code raised ZeroDivisionError" in v.message


def test_system_exit_from_learner_code_is_a_verdict() -> None:
    """Before: SystemExit (and any BaseException) escaped the checker and killed the cell or kernel."""
    import sys

    from warmup_course.exercises.core import check, compare_function

    def leaves():
        sys.exit(3)

    v = check(lambda fn: fn(), leaves)
    assert not v.passed and "SystemExit" in v.message
    v = compare_function(lambda x: sys.exit(1), abs, [1, 2])
    assert not v.passed and "SystemExit" in v.message

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # the stop button must still stop the cell
        check(lambda fn: fn(), interrupted)


# ------------------------------------------------------------------------------ errors that name the parameter


@pytest.mark.parametrize(
    "kwargs, name",
    [({"seed": 2**63}, "seed"), ({"steps": 10**18}, "steps"), ({"grad_accum": 10**18}, "grad_accum"),
     ({"steps": 10**6, "grad_accum": 10**3}, "grad_accum"), ({"threads": 0}, "threads"), ({"probes": "abc"}, "probes"),
     ({"diverge_factor": 10**400}, "diverge_factor")],
)
def test_train_refuses_by_name_up_front(kwargs, name) -> None:
    with pytest.raises((TypeError, ValueError), match=name):
        run(**kwargs)


def test_train_refuses_a_model_without_trainable_parameters() -> None:
    model = tiny_model().requires_grad_(False)
    with pytest.raises(ValueError, match="model"):
        run(model=model)


def test_probe_returning_a_non_number_fails_at_the_first_evaluation() -> None:
    calls = []

    def probe(model):
        calls.append(1)
        return "high"

    with pytest.raises(TypeError, match="probes"):
        run(probes={"p": probe}, eval_every=1, steps=50)
    assert len(calls) == 1  # before: the whole run, then a float() error while assembling the History


def test_schedule_values_refuses_absurd_sizes() -> None:
    with pytest.raises(ValueError, match=r"\bn\b"):
        S.linear_warmup(10).values(10**18)
    with pytest.raises(ValueError, match=r"\bt\b"):
        S.linear_warmup(10)(10**400)
    with pytest.raises(ValueError, match=r"\bt\b"):
        S.linear_warmup(10)([[1, 2], [3]])


def test_history_from_untrusted_data_names_the_field() -> None:
    h = run()
    with pytest.raises(ValueError, match="step"):
        History.from_dict({})
    with pytest.raises(ValueError, match="text"):
        History.from_json("abc")
    bad = h.to_dict()
    bad["loss"] = bad["loss"][:-1]
    with pytest.raises(ValueError, match="loss"):
        History.from_dict(bad)
    with pytest.raises(ValueError, match="target"):
        h.steps_to(math.nan)


def test_experiment_arguments_are_named() -> None:
    from warmup_course.experiments import RunConfig, compare

    with pytest.raises(TypeError, match="train_kwargs"):
        RunConfig(model=tiny_model, data=tiny_data(), optimizer=torch.optim.SGD, train_kwargs="abc")
    with pytest.raises(ValueError, match="seeds"):
        compare({"a": lambda s: None}, 0)
    with pytest.raises(ValueError, match="kind"):
        SequenceTask(kind=["reverse"])


def test_notebook_files_that_are_not_json_are_named(tmp_path) -> None:
    from warmup_course.authoring import build_student, hygiene_problems
    from warmup_course.course import course_map

    bad = tmp_path / "01_broken.ipynb"
    bad.write_text("{not json")
    for call in (lambda: course_map(tmp_path), lambda: hygiene_problems(bad),
                 lambda: build_student([bad], tmp_path / "out")):
        with pytest.raises(ValueError, match="01_broken.ipynb"):
            call()
    with pytest.raises(ValueError, match="notebooks_dir"):
        course_map(tmp_path / "missing")


def test_diagnostics_name_wrong_shapes_and_dtypes() -> None:
    from warmup_course.diagnostics import top_hessian_eigenvalue

    model = tiny_model()
    x, y = torch.randn(8, 4), torch.arange(8) % 3
    with pytest.raises(ValueError, match="inputs"):
        top_hessian_eigenvalue(model, torch.randn(8, 5), y)
    with pytest.raises(ValueError, match="targets"):
        top_hessian_eigenvalue(model, x, y.float().unsqueeze(1))
    with pytest.raises(ValueError, match="targets"):
        top_hessian_eigenvalue(model, x, y[:4])


def test_reference_helpers_and_doctor_estimate() -> None:
    from warmup_course.doctor import estimate_course_seconds
    from warmup_course.exercises.nb02 import geometric_warmup_reference, matching_tau

    with pytest.raises(ValueError, match="warmup_steps"):
        geometric_warmup_reference(3, 0, 0.1)  # before: ZeroDivisionError
    with pytest.raises(ValueError, match="start_factor"):
        geometric_warmup_reference(3, 10, -0.5)  # before: accepted (a complex-valued power)
    with pytest.raises(ValueError, match="warmup_steps"):
        matching_tau(1)
    with pytest.raises(ValueError, match="probe_seconds"):
        estimate_course_seconds(-1)  # before: a negative time


def test_plotting_refuses_empty_runs_and_infinite_schedules() -> None:
    from warmup_course.plotting import plot_schedules, plot_training

    with pytest.raises(ValueError, match="schedules"):
        plot_schedules({"bad": np.array([1.0, -np.inf, 1.0])}, 3)
    empty = History.from_json(run().to_json())
    empty = History(**{**{f: getattr(empty, f) for f in ("eval_step", "eval", "config")},
                       **{f: getattr(empty, f)[:0] for f in ("step", "lr", "loss", "grad_norm", "update_ratio",
                                                              "update_ratio_max")}})
    with pytest.raises(ValueError, match="runs"):
        plot_training(empty)


def test_schedule_explorer_settings_are_not_clamped() -> None:
    from warmup_course.widgets import schedule_explorer

    with pytest.raises(ValueError, match="warmup_steps"):
        schedule_explorer(warmup_steps=5000)  # before: clamped silently to the slider's end
    with pytest.raises(ValueError, match="beta2"):
        schedule_explorer(beta2=0.5)  # before: a traitlets TraitError naming no setting
    with pytest.raises(TypeError, match="log"):
        schedule_explorer(log="yes")
