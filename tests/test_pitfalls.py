"""warmup_course.pitfalls: every buggy loop (real transformers / timm / torch / torch.amp / torch.distributed
calls) is caught by audit() with the right finding, and every fixed loop passes it silently."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from warmup_course import pitfalls as P

warnings.filterwarnings("ignore", message=".*lr_scheduler.step.*")


def _kinds(run, **kw):
    return set(run.audit(**kw).kinds())


@pytest.mark.parametrize("fn, buggy, kinds, blind_kinds", [
    # (pitfall, buggy variant, findings with the expected schedule, findings without it)
    (P.step_vs_epoch, "buggy", {"scheduler_rate", "epoch_steps", "zero_lr"}, {"scheduler_rate", "zero_lr"}),
    (P.step_vs_epoch, "timm_epochs", {"epoch_steps", "zero_lr"}, {"zero_lr"}),
    (P.step_vs_epoch, "epoch_schedule_per_step", {"rise_after_decay"}, {"rise_after_decay"}),
    (P.accumulation_total_steps, "buggy", {"time_scaled"}, set()),
    (P.resume, "no_scheduler_state", {"restarted"}, {"warmup_restart"}),
    (P.resume, "last_epoch", {"jumped"}, set()),
    (P.resume, "sequential_order", {"jumped"}, set()),
    (P.amp_skipped_steps, "buggy", {"skipped_steps", "shifted"}, {"skipped_steps"}),
    (P.warmup_decay_jump, "timm", {"decay_clock"}, {"warmup_jump"}),
    (P.warmup_decay_jump, "chained", {"decay_clock", "peak_not_reached"}, set()),
    (P.warmup_decay_jump, "handwritten", {"decay_clock"}, {"warmup_jump"}),
    (P.training_past_end, "hf", {"rises_after_end"}, {"rise_after_decay"}),
])
def test_buggy_loop_is_caught(fn, buggy, kinds, blind_kinds):
    run = fn(buggy)
    assert kinds <= _kinds(run) and not run.audit().ok, str(run.audit())
    assert blind_kinds <= _kinds(run, with_expected=False), str(run.audit(with_expected=False))


@pytest.mark.parametrize("fn, fixed", [(P.step_vs_epoch, "fixed"), (P.accumulation_total_steps, "fixed"),
                                       (P.resume, "fixed"), (P.resume, "fixed_sequential"),
                                       (P.amp_skipped_steps, "fixed"), (P.warmup_decay_jump, "fixed"),
                                       (P.training_past_end, "fixed")])
def test_fixed_loop_passes(fn, fixed):
    run = fn(fixed)
    for rep in (run.audit(), run.audit(with_expected=False)):
        assert rep.ok and not rep.findings, str(rep)


def test_fixed_loops_follow_the_schedule_exactly():
    run = P.step_vs_epoch("fixed")
    assert np.allclose(run.lrs, run.peak_lr * run.expected.values(len(run.lrs)))
    amp = P.amp_skipped_steps("fixed")
    assert amp.info["skipped"] >= 3 and not amp.info["warnings"]
    assert np.allclose(amp.lrs, amp.peak_lr * amp.expected.values(len(amp.lrs)))
    bug = P.amp_skipped_steps("buggy")
    k = bug.info["skipped"]
    assert bug.info["warnings"] and np.allclose(bug.lrs, bug.peak_lr * bug.expected(np.arange(len(bug.lrs)) + k))


def test_onecycle_past_total_steps_raises():
    run = P.training_past_end("onecycle")
    assert "Tried to step 61 times" in run.info["error"] and len(run.lrs) == 61


def test_per_epoch_stepping_costs_accuracy_over_seeds():
    ratio = [P.step_vs_epoch("buggy", s).final_loss() / P.step_vs_epoch("fixed", s).final_loss() for s in range(3)]
    assert np.median(ratio) > 3, ratio


def test_library_defaults_are_what_the_notebook_says():
    d = P.library_defaults()
    assert d["hf_default_warmup_steps"] == 0 and d["hf_get_warmup_steps(0, 1000)"] == 0
    assert isinstance(d["hf_has_warmup_ratio"], bool)
    assert d["hf_get_warmup_steps(0.1, 1000)"] == 100 and d["hf_get_warmup_steps(10, 1000)"] == 10
    k = d["keras_below_target"]
    assert k[0] == pytest.approx(1e-3) and np.all(np.diff(k[:11]) < 0) and k[10] == pytest.approx(1e-4)
    assert "greater than 0" in d["linearlr_start_0"]
    assert d["deepspeed_log_warmup"][0] > 0.1


def test_adamw_decay_warms_up_with_the_lr():
    d = P.adamw_decay_during_warmup(warmup_steps=100, total_steps=200, lr=1e-3, weight_decay=0.1)
    assert np.allclose(d["warmup"], d["formula"], rtol=1e-12)
    shrink_warm, shrink_const = 1 - d["warmup"][99], 1 - d["constant"][99]
    assert 0.45 < shrink_warm / shrink_const < 0.55  # half the decay during a linear warmup


def test_ema_without_warmup_stays_near_the_random_init():
    bug, fix = P.ema_warmup("buggy", 0, updates=60), P.ema_warmup("fixed", 0, updates=60)
    assert bug["ema_loss"] > 1.5 and fix["ema_loss"] < 0.6 * bug["ema_loss"]


def test_fresh_adam_first_update_is_lr_sized():
    d = P.finetune_first_update(0)
    assert d["fresh"] > 0.8 and d["resume"] < 0.7 * d["fresh"]


def test_data_parallel_total_steps_with_torch_distributed():
    runs = P.ddp_total_steps()
    bug, fix = runs["buggy"], runs["fixed"]
    assert bug.info["num_training_steps"] == 2 * fix.info["num_training_steps"]
    assert bug.info["same_on_all_ranks"] and fix.info["same_on_all_ranks"]
    f = [f for f in bug.audit().findings if f.kind == "time_scaled"]
    assert f and f[0].value == pytest.approx(0.5)
    assert fix.audit().ok and not fix.audit().findings


@pytest.mark.parametrize("call, name", [(lambda: P.step_vs_epoch("wrong"), "variant"),
                                        (lambda: P.resume(1), "variant"),
                                        (lambda: P.step_vs_epoch("buggy", -1), "seed"),
                                        (lambda: P.amp_skipped_steps("buggy", 0, init_scale=float("nan")), "init_scale"),
                                        (lambda: P.warmup_decay_jump("timm", warmup_steps=0), "warmup_steps"),
                                        (lambda: P.warmup_decay_jump("timm", warmup_steps=10, total_steps=5), "total_steps"),
                                        (lambda: P.adamw_decay_during_warmup(lr=0), "lr"),
                                        (lambda: P.ema_warmup("buggy", decay=1.0), "decay"),
                                        (lambda: P.ddp_total_steps(world_size=0), "world_size"),
                                        (lambda: P.ddp_total_steps(n_examples=4), "n_examples")])
def test_bad_input(call, name):
    with pytest.raises((TypeError, ValueError), match=name):
        call()
