"""warmup_course.experiments: RunConfig, compare (tidy rows + summary), sweep, progress kept out of outputs."""

from __future__ import annotations

import functools
import math
import pickle

import numpy as np
import pytest
import torch

from warmup_course import data as D
from warmup_course import models as M
from warmup_course.experiments import Results, RunConfig, compare, sweep
from warmup_course.schedules import linear_warmup
from warmup_course.seeds import seeds as course_seeds
from warmup_course.training import History, train


@pytest.fixture(scope="module")
def base() -> RunConfig:
    return RunConfig(
        model=functools.partial(M.mlp, hidden=16, depth=1),
        data=D.load_digits(),
        optimizer=functools.partial(torch.optim.SGD, lr=0.5, momentum=0.9),
        steps=12,
        batch_size=32,
    )


@pytest.fixture(scope="module")
def results(base: RunConfig) -> Results:
    huge = base.replace(optimizer=functools.partial(torch.optim.SGD, lr=1e6))
    return compare({"plain": base, "warmup": base.replace(schedule=linear_warmup(6)), "huge": huge},
                   [0, 1], target_loss=1.5)


def test_runs_are_the_configured_trainings(base: RunConfig, results: Results) -> None:
    assert results.names == ["plain", "warmup", "huge"] and results.seeds == [0, 1]
    assert all(len(hs) == 2 for hs in results.histories.values())
    direct = train(base.model(seed=1), base.data, base.optimizer, None, 12, 32, seed=1)
    assert results["plain"][1] == direct
    assert results["plain"][0] != results["plain"][1]


def test_rows_are_tidy(results: Results) -> None:
    rows = results.rows
    assert len(rows) == 6
    assert set(rows[0]) == {"config", "seed", "final_loss", "best_loss", "test_loss", "test_acc", "diverged",
                            "diverged_step", "steps_to_target"}
    plain0 = rows[0]
    h = results["plain"][0]
    assert plain0["final_loss"] == h.loss[-1] and plain0["best_loss"] == h.loss.min()
    assert plain0["test_acc"] == h.eval["test_acc"][-1] and plain0["steps_to_target"] == h.steps_to(1.5)
    huge = [r for r in rows if r["config"] == "huge"]
    assert all(r["diverged"] and isinstance(r["diverged_step"], int) for r in huge)
    assert all(math.isnan(r["test_acc"]) for r in huge)
    np.testing.assert_array_equal(results.column("seed")["warmup"], [0, 1])


def test_summary_counts_and_spread(results: Results) -> None:
    summary = {s["config"]: s for s in results.summary}
    plain = summary["plain"]
    accs = results.column("test_acc")["plain"]
    assert plain["runs"] == 2 and plain["diverged"] == 0
    assert plain["test_acc_mean"] == pytest.approx(accs.mean())
    assert plain["test_acc_std"] == pytest.approx(accs.std(ddof=1))
    assert plain["test_acc_min"] <= plain["test_acc_mean"] <= plain["test_acc_max"]
    assert summary["huge"]["diverged"] == 2 and math.isnan(summary["huge"]["test_acc_mean"])
    assert math.isfinite(summary["huge"]["best_loss_mean"])
    reached = sum(r["steps_to_target"] is not None for r in results.rows if r["config"] == "plain")
    assert plain["reached"] == reached


def test_text_tables_are_stable(results: Results) -> None:
    text = repr(results)
    assert text == results.summary_table() == str(results)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["config", "runs", "diverged"] and len(lines) == 2 + 3
    assert "±" in lines[2] and "0x" not in text and "s)" not in text
    assert lines[4].split()[:3] == ["huge", "2", "2"]
    assert len(results.table().splitlines()) == 2 + 6
    # formatting is a pure function of the numbers
    again = Results.from_dict(results.to_dict())
    assert again.summary_table() == text and again.table() == results.table()


def test_results_serialise(results: Results) -> None:
    back = pickle.loads(pickle.dumps(results))
    assert back["warmup"][0] == results["warmup"][0]
    assert Results.from_dict(results.to_dict())["huge"][1] == results["huge"][1]


def test_progress_only_when_asked(base: RunConfig, capsys) -> None:
    compare({"a": base.replace(steps=2)}, [0])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    compare({"a": base.replace(steps=2)}, [0], progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "[1/1]" in captured.err and captured.err.endswith("\n")


def test_callable_configs_and_seed_count(base: RunConfig) -> None:
    calls = []

    def custom(seed: int) -> History:
        calls.append(seed)
        return base.replace(steps=2).run(seed)

    res = compare({"custom": custom}, 2)
    assert calls == course_seeds(2) and res.seeds == course_seeds(2)
    with pytest.raises(TypeError, match="History"):
        compare({"bad": lambda seed: 1.0}, [0])


def test_sweep_over_field_and_function(base: RunConfig) -> None:
    res = sweep("batch_size", [8, 16], base.replace(steps=3), [0])
    assert res.names == ["batch_size=8", "batch_size=16"] and res.param == "batch_size" and res.values == [8, 16]
    assert [h.config["batch_size"] for h in (res["batch_size=8"][0], res["batch_size=16"][0])] == [8, 16]
    assert res.summary[1]["batch_size"] == 16
    res = sweep("warmup", [0, 4], lambda w: base.replace(steps=3, schedule=linear_warmup(w)), [0])
    np.testing.assert_allclose(res["warmup=4"][0].lr, [0.0, 0.125, 0.25])
    with pytest.raises(ValueError, match="param"):
        sweep("lr", [0.1], base, [0])
    with pytest.raises(ValueError, match="distinct"):
        sweep("steps", [2, 2], base, [0])


@pytest.mark.parametrize(
    "change, exc, word",
    [
        ({"steps": 0}, ValueError, "steps"),
        ({"batch_size": -1}, ValueError, "batch_size"),
        ({"grad_accum": 0}, ValueError, "grad_accum"),
        ({"model": M.mlp()}, TypeError, "model"),
        ({"data": [1, 2]}, TypeError, "data"),
        ({"train_kwargs": {"seed": 3}}, ValueError, "train_kwargs"),
    ],
)
def test_run_config_validates(base: RunConfig, change, exc, word) -> None:
    with pytest.raises(exc, match=word):
        base.replace(**change)


def test_run_config_rejects_optimizer_instance(base: RunConfig) -> None:
    with pytest.raises(TypeError, match="optimizer"):
        base.replace(optimizer=torch.optim.SGD(M.mlp().parameters(), lr=0.1))


def test_compare_validates(base: RunConfig) -> None:
    with pytest.raises(TypeError, match="configs"):
        compare({}, [0])
    with pytest.raises(TypeError, match="configs"):
        compare({"x": 3}, [0])
    with pytest.raises(ValueError, match="seeds"):
        compare({"a": base}, [0, 0])
    with pytest.raises(ValueError, match="seeds"):
        compare({"a": base}, [])
    with pytest.raises(ValueError, match="target_loss"):
        compare({"a": base}, [0], target_loss=float("nan"))
