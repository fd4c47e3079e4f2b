"""warmup_course.audit: silent on every correct schedule of notebook 03, each detector on hand-built traces,
bad input. The real buggy loops are in tests/test_pitfalls.py."""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import pytest

from warmup_course import schedules as S
from warmup_course.audit import KINDS, Finding, LRTrace, Report, audit

W, T, PEAK = 200, 1000, 1e-3


# ----------------------------------------------------------------------------------------------- no false alarms


def _nb03_correct_traces():
    """Every correct schedule notebook 03 executes, recorded the same way, with the course schedule it equals."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    import pytorch_warmup
    import torch
    from timm.scheduler import CosineLRScheduler
    from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LinearLR, OneCycleLR, SequentialLR
    from transformers.optimization import (get_cosine_schedule_with_warmup, get_inverse_sqrt_schedule,
                                           get_linear_schedule_with_warmup, get_wsd_schedule)

    from warmup_course.peers import record_lrs
    from warmup_course.scheduler import WarmupLR, as_lr_lambda

    ours = S.warmup_cosine(W, T)
    run = lambda make: record_lrs(make, T, peak_lr=PEAK)  # noqa: E731
    timm_step = lambda s, t: s.step_update(num_updates=t + 1)  # noqa: E731

    def dampened(pair, t):
        sched, warm = pair
        with warm.dampening():
            sched.step()

    def alone(make, n, **kw):
        def step(w, t):
            with w.dampening():
                pass
        return record_lrs(make, n, peak_lr=PEAK, step=step, **kw)

    keras_sched = keras.optimizers.schedules.CosineDecay(0.0, T - W, warmup_target=PEAK, warmup_steps=W)
    t = np.arange(T)
    return {
        "LambdaLR(as_lr_lambda)": (run(lambda o: LambdaLR(o, as_lr_lambda(ours))), ours),
        "WarmupLR": (run(lambda o: WarmupLR(o, ours)), ours),
        "SequentialLR": (run(lambda o: SequentialLR(o, [LinearLR(o, start_factor=1e-3, total_iters=W),
                                                         CosineAnnealingLR(o, T_max=T - W)], milestones=[W])),
                         S.warmup_cosine(W, T, start_factor=1e-3)),
        "OneCycleLR linear": (run(lambda o: OneCycleLR(o, PEAK, total_steps=T, pct_start=W / T,
                                                        anneal_strategy="linear", cycle_momentum=False)), None),
        "OneCycleLR cos": (run(lambda o: OneCycleLR(o, PEAK, total_steps=T, pct_start=W / T,
                                                     cycle_momentum=False)), None),
        "HF linear": (run(lambda o: get_linear_schedule_with_warmup(o, W, T)), S.warmup_linear(W, T)),
        "HF cosine": (run(lambda o: get_cosine_schedule_with_warmup(o, W, T)), ours),
        "HF wsd": (run(lambda o: get_wsd_schedule(o, num_warmup_steps=W, num_decay_steps=200, num_training_steps=T)),
                   S.warmup_stable_decay(W, 200, T)),
        "HF inverse sqrt": (run(lambda o: get_inverse_sqrt_schedule(o, num_warmup_steps=W)),
                            S.with_warmup(S.linear_warmup(W), S.inverse_sqrt_decay(W))),
        "timm warmup_prefix": (record_lrs(lambda o: CosineLRScheduler(
            o, t_initial=T - W, warmup_t=W, warmup_lr_init=0.0, warmup_prefix=True, t_in_epochs=False),
            T, peak_lr=PEAK, step=timm_step), ours),
        "Keras CosineDecay(T-W)": (np.array([float(keras_sched(i)) for i in range(T)]), ours),
        "pytorch_warmup on cosine": (record_lrs(lambda o: (CosineAnnealingLR(o, T_max=T),
                                                           pytorch_warmup.LinearWarmup(o, warmup_period=W)),
                                                T, peak_lr=PEAK, step=dampened), None),
        "pytorch_warmup linear": (alone(lambda o: pytorch_warmup.LinearWarmup(o, warmup_period=W), 2100),
                                  S.linear_warmup(W, first_step_nonzero=True)),
        "pytorch_warmup exponential": (alone(lambda o: pytorch_warmup.ExponentialWarmup(o, warmup_period=W // 2), 2100),
                                       S.exponential_warmup(W // 2, first_step_nonzero=True)),
        "pytorch_warmup untuned": (alone(pytorch_warmup.UntunedLinearWarmup, 2100, optimizer_cls=torch.optim.Adam,
                                         betas=(0.9, 0.999)), S.linear_warmup(1999, first_step_nonzero=True)),
        "DeepSpeed log warmup (formula)": (PEAK * np.where(t < W, np.log(t + 1) / math.log(W), 1.0), None),
        "fairseq inverse_sqrt (formula)": (PEAK * np.where(t < W, 0.01 + 0.99 * t / W,
                                                           np.sqrt(W / np.maximum(t, 1))), None),
    }


@pytest.fixture(scope="module")
def correct_traces():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _nb03_correct_traces()


def test_silent_on_every_correct_schedule_of_notebook_03(correct_traces):
    assert len(correct_traces) >= 15
    for name, (lrs, expected) in correct_traces.items():
        report = audit(lrs)
        assert report.ok and not report.findings, (name, str(report))
        if expected is not None:
            report = audit(lrs, expected, peak_lr=PEAK, total_steps=len(lrs))
            assert report.ok and not report.findings, (name, str(report))


def test_silent_on_course_schedules_of_many_shapes():
    for sched, n in ((S.warmup_cosine(10, 50), 50), (S.warmup_linear(3, 30), 30), (S.warmup_constant(50), 400),
                     (S.constant(), 100), (S.warmup_stable_decay(20, 30, 200), 200),
                     (S.warmup_cosine(100, 1000, shape="geometric", start_factor=0.01), 1000),
                     (S.with_warmup(S.exponential_warmup(20), S.cosine_decay(300), 100), 400),
                     (S.step_decay(100, 0.5), 300)):
        lrs = 0.1 * sched.values(n)
        assert audit(lrs).ok, (sched, str(audit(lrs)))
        assert not audit(lrs, sched, peak_lr=0.1).findings, (sched, str(audit(lrs, sched, peak_lr=0.1)))


# ----------------------------------------------------------------------------------------------- hand-built traces


def _kinds(lrs, *args, **kw):
    return audit(lrs, *args, **kw).kinds()


def test_time_scaled_both_ways_and_recovers_the_ratio():
    s = S.warmup_cosine(40, 400)
    for r in (0.25, 0.5, 2.0, 4.0):
        lrs = s(np.arange(400) * r)
        rep = audit(lrs, s, peak_lr=1.0, total_steps=400)
        f = [f for f in rep.findings if f.kind == "time_scaled"]
        assert f and abs(f[0].value - r) < 1e-9, (r, str(rep))


def test_epoch_steps_staircase():
    s = S.warmup_cosine(40, 400)
    lrs = s(np.arange(400) // 10)
    assert "epoch_steps" in _kinds(lrs, s, peak_lr=1.0)


def test_shift_restart_jump():
    s = S.warmup_cosine(30, 300)
    t = np.arange(300)
    assert "shifted" in _kinds(s(t + 5), s, peak_lr=1.0)
    restart = s(np.where(t < 150, t, t - 150))
    rep = audit(restart, s, peak_lr=1.0)
    assert rep.findings[0].kind == "restarted" and rep.findings[0].update == 150, str(rep)
    assert "warmup_restart" in _kinds(restart)  # without expected too
    jump = s(np.where(t < 100, t, t - 100 + 60))
    rep = audit(jump, s, peak_lr=1.0)
    assert rep.findings[0].kind == "jumped" and rep.findings[0].value == -40, str(rep)


def test_decay_clock_and_warmup_jump():
    w, n = 200, 500  # a 40 % warmup: the cosine of the global step is at 0.65 when the warmup ends
    t = np.arange(n)
    lrs = np.where(t < w, t / w, 0.5 * (1 + np.cos(np.pi * t / n)))  # cosine of the global step
    assert "decay_clock" in _kinds(lrs, S.warmup_cosine(w, n), peak_lr=1.0)
    rep = audit(lrs)
    assert rep.kinds() == ["warmup_jump"] and rep.findings[0].update == w, str(rep)


def test_zero_stretch_still_ramping_rise_after_decay_and_past_end():
    assert "zero_lr" in _kinds(np.r_[np.linspace(0, 1, 20), np.zeros(30), np.ones(50)])
    assert _kinds(np.zeros(100)) == ["zero_lr"]
    assert "zero_lr" not in _kinds(np.r_[0.0, np.linspace(0.1, 1, 99)])  # one update at 0 is HF's convention
    assert "still_ramping" in _kinds(np.linspace(0, 0.4, 100))
    s = S.warmup_cosine(10, 100)
    hf_past = np.where(np.arange(150) < 10, np.arange(150) / 10,
                       0.5 * (1 + np.cos(np.pi * (np.arange(150) - 10) / 90)))  # HF's lambda past T
    assert "rise_after_decay" in _kinds(hf_past)
    assert "rises_after_end" in _kinds(hf_past, s, peak_lr=1.0, total_steps=100)
    assert "rises_after_end" in _kinds(hf_past, total_steps=100)
    assert not audit(hf_past, cyclic=True).findings


def test_peak_not_reached_and_cut_off():
    s = S.warmup_cosine(20, 200)
    assert "peak_not_reached" in _kinds(0.5 * s.values(200), s, peak_lr=1.0)
    rep = audit(s.values(120), s, peak_lr=1.0, total_steps=200)
    assert rep.kinds() == ["cut_off"] and not rep.ok


def test_mismatch_when_nothing_explains_it():
    s = S.warmup_cosine(20, 200)
    rng = np.random.default_rng(0)
    lrs = np.clip(s.values(200) + rng.normal(0, 0.05, 200), 0, None)
    assert "mismatch" in _kinds(lrs, s, peak_lr=1.0)


def test_events_scheduler_rate_and_skips():
    lrs = S.warmup_linear(10, 100).values(100)
    per_micro = LRTrace(lrs, scheduler_calls=np.repeat(np.arange(1, 101), 4))
    assert "scheduler_rate" in audit(per_micro)
    per_epoch = LRTrace(lrs, scheduler_calls=np.arange(10, 101, 10))
    assert "scheduler_rate" in audit(per_epoch)
    skipped = LRTrace(lrs, skipped=[0, 0, 0], scheduler_calls=np.r_[[0, 0, 0], np.arange(1, 101)])
    f = audit(skipped).findings[0]
    assert f.kind == "skipped_steps" and f.value == 3
    right = LRTrace(lrs, skipped=[0, 0, 0], scheduler_calls=np.arange(1, 101))
    assert audit(right).ok and not audit(right).findings


def test_report_renders():
    s = S.warmup_cosine(20, 200)
    rep = audit(s(np.arange(200) // 10), s, peak_lr=1.0)
    assert isinstance(rep, Report) and not rep.ok and len(rep) >= 1
    text = str(rep)
    assert "PROBLEMS FOUND" in text and "likely cause" in text and "fix" in text
    assert rep._repr_html_().startswith("<p>") and "<table>" in rep._repr_html_()
    assert "| severity |" in rep._repr_markdown_()
    ok = audit(s.values(200))
    assert ok.ok and "OK" in str(ok) and "<table>" not in ok._repr_html_()
    assert all(f.kind in KINDS and isinstance(f, Finding) for f in rep.findings)
    assert audit([]).ok and "empty" in audit([]).summary


def test_multi_group_trace_and_group_choice():
    lrs = np.c_[S.warmup_linear(10, 100).values(100), np.zeros(100)]
    assert audit(lrs).ok
    assert "zero_lr" in audit(lrs, group=1)


def test_audit_does_not_import_torch():
    import subprocess
    code = "import sys, warmup_course.audit; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", [None, "abc", 1.5, True, {}, [1, [2]], [1, float("nan")], [1, -1], [[[1]]]])
def test_bad_trace(bad):
    with pytest.raises((TypeError, ValueError), match="trace"):
        audit(bad)


@pytest.mark.parametrize("name, value", [("total_steps", 0), ("total_steps", 1.5), ("total_steps", True),
                                         ("peak_lr", -1.0), ("peak_lr", float("nan")), ("peak_lr", "abc"),
                                         ("group", -1), ("group", 5), ("tol", 0.0), ("tol", float("inf")),
                                         ("min_zero_run", 0), ("rise_tol", 2.0), ("cyclic", 1)])
def test_bad_keywords(name, value):
    with pytest.raises((TypeError, ValueError), match=name):
        audit([0.0, 0.5, 1.0], **{name: value})


def test_bad_expected_and_missing_peak():
    with pytest.raises(TypeError, match="expected"):
        audit([0.1, 0.2], "cosine")
    with pytest.raises(ValueError, match="expected"):
        audit([0.1, 0.2], [0.1, float("inf")])
    with pytest.raises(ValueError, match="peak_lr"):
        audit([0.1, 0.2], S.warmup_cosine(1, 2))


def test_bad_trace_fields():
    with pytest.raises(ValueError, match="lrs"):
        LRTrace([-1.0, 2.0])
    with pytest.raises(ValueError, match="skipped"):
        LRTrace([1.0, 2.0], skipped=[5])
    with pytest.raises(ValueError, match="scheduler_calls"):
        LRTrace([1.0, 2.0], scheduler_calls=[0.5])
    with pytest.raises(ValueError, match="base_lrs"):
        LRTrace([1.0, 2.0], base_lrs=(1.0, 2.0))
    with pytest.raises(TypeError, match="base_lrs"):
        LRTrace([1.0, 2.0], base_lrs="x")
