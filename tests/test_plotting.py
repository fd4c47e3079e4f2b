"""warmup_course.plotting: every input kind gives a Figure, options change what is drawn, bad input is named."""

from __future__ import annotations

import functools
import io
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from warmup_course import data as D  # noqa: E402
from warmup_course import models as M  # noqa: E402
from warmup_course import plotting as P  # noqa: E402
from warmup_course import schedules as S  # noqa: E402
from warmup_course.experiments import Results, RunConfig, compare, sweep  # noqa: E402
from warmup_course.training import History  # noqa: E402


def make_history(n: int = 50, seed: int = 0, diverged_at: int | None = None, warmup: int = 10) -> History:
    """A synthetic History with a loss spanning decades (fast: no training)."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n if diverged_at is None else diverged_at + 1)
    loss = 2.3 * np.exp(-steps / 8.0) * (1 + 0.1 * rng.random(len(steps))) + 1e-3
    if diverged_at is not None:
        loss[-1] = np.inf
    lr = 0.1 * np.minimum(steps / warmup, 1.0) if warmup else np.full(len(steps), 0.1)
    eval_step = np.arange(0, len(steps), 10)
    return History(
        step=steps, lr=lr, loss=loss, grad_norm=1 + rng.random(len(steps)), update_ratio=lr * 0.3 + 1e-6,
        update_ratio_max=lr * 0.5 + 1e-6, eval_step=eval_step,
        eval={"test_loss": loss[eval_step] * 1.1, "test_acc": np.linspace(0.1, 0.9, len(eval_step))},
        diverged=diverged_at is not None, diverged_step=diverged_at,
        divergence_reason=None if diverged_at is None else "non-finite loss",
    )


@pytest.fixture(autouse=True)
def no_figures_left_open():
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before, "a plotting function left a figure open in pyplot"


@pytest.fixture(scope="module")
def real() -> dict:
    """Real (tiny) training runs: a compare with a diverging configuration, and two LR sweeps."""
    base = RunConfig(model=functools.partial(M.mlp, hidden=16, depth=1), data=D.load_digits(),
                     optimizer=functools.partial(torch.optim.SGD, lr=0.5, momentum=0.9), steps=12, batch_size=32,
                     eval_every=6)
    huge = base.replace(optimizer=functools.partial(torch.optim.SGD, lr=1e6))
    res = compare({"plain": base, "warmup": base.replace(schedule=S.linear_warmup(6)), "huge": huge}, [0, 1])

    def at(schedule):
        return lambda lr: base.replace(optimizer=functools.partial(torch.optim.SGD, lr=lr), schedule=schedule)

    sw0 = sweep("lr", [0.01, 0.1, 1e6], at(None), [0, 1])
    sw1 = sweep("lr", [0.01, 0.1, 1e6], at(S.linear_warmup(6)), [0, 1])
    return {"res": res, "sw0": sw0, "sw1": sw1}


def legend_texts(fig: Figure) -> list[str]:
    texts = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    for ax in fig.axes:
        if ax.get_legend() is not None:
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return texts


def x_marks(ax) -> list:
    return [line for line in ax.lines if line.get_marker() == "x"]


# ------------------------------------------------------------------------------------------- schedules


def test_schedules_every_input_kind_and_values():
    sched = S.warmup_cosine(10, 100)
    fig = P.plot_schedules({"preset": sched, "array": np.linspace(0, 1, 120), "list": [0.5] * 100,
                            "lambda": lambda t: min(1.0, (t + 1) / 10)}, 100, peak_lr=0.3)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 0.3 * sched.values(100))
    np.testing.assert_allclose(ax.lines[1].get_ydata(), 0.3 * np.linspace(0, 1, 120)[:100])
    np.testing.assert_allclose(ax.lines[3].get_ydata()[:3], [0.03, 0.06, 0.09])
    assert ax.get_xlabel() == "step (optimizer update)" and ax.get_ylabel() == "learning rate"
    assert legend_texts(fig) == ["preset", "array", "list", "lambda"]


def test_schedules_log_options():
    scheds = {"linear": S.linear_warmup(20), "geometric": S.geometric_warmup(20, 1e-4)}
    lin = P.plot_schedules(scheds, 50)
    assert lin.axes[0].get_yscale() == "linear" and lin.axes[0].get_ylabel() == "LR multiplier"
    log = P.plot_schedules(scheds, 50, log=True)
    assert log.axes[0].get_yscale() == "log"
    assert log.axes[0].get_ylim()[0] <= 1e-4  # the geometric start is on the axis
    both = P.plot_schedules(scheds, 50, log="both")
    assert [a.get_yscale() for a in both.axes] == ["linear", "log"]
    assert len(legend_texts(both)) == 2  # one legend for both panels, no duplicates


def test_schedules_into_given_axes_stays_open():
    fig, ax = plt.subplots()
    try:
        assert P.plot_schedules({"c": S.constant()}, 10, ax=ax) is fig
        assert plt.fignum_exists(fig.number)
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, exc, word",
    [
        (dict(schedules=[S.constant()], steps=10), TypeError, "schedules"),
        (dict(schedules={}, steps=10), ValueError, "schedules"),
        (dict(schedules={"c": S.constant()}, steps=0), ValueError, "steps"),
        (dict(schedules={"c": S.constant()}, steps=10.0), TypeError, "steps"),
        (dict(schedules={"c": S.constant()}, steps=10, peak_lr=-1), ValueError, "peak_lr"),
        (dict(schedules={"c": S.constant()}, steps=10, log="yes"), ValueError, "log"),
        (dict(schedules={"c": [1.0, 1.0]}, steps=10), ValueError, "schedules['c']"),
        (dict(schedules={"c": np.ones((2, 10))}, steps=10), ValueError, "schedules['c']"),
        (dict(schedules={"c": "cosine"}, steps=10), TypeError, "schedules['c']"),
        (dict(schedules={1: S.constant()}, steps=10), TypeError, "keys"),
        (dict(schedules={"c": S.constant()}, steps=10, ax="ax"), TypeError, "ax"),
    ],
)
def test_schedules_bad_input(kwargs, exc, word):
    with pytest.raises(exc, match=word.replace("[", r"\[").replace("]", r"\]")):
        P.plot_schedules(**kwargs)


# -------------------------------------------------------------------------------------------- training


def test_training_every_input_kind(real):
    h, h2 = make_history(), make_history(seed=1)
    for runs in (h, [h, h2], {"a": h, "b": [h, h2]}, real["res"]):
        fig = P.plot_training(runs)
        assert isinstance(fig, Figure) and len(fig.axes) == 2
        assert fig.axes[1].get_xlabel() == "step (optimizer update)"
        assert fig.axes[1].get_ylabel() == "learning rate"
        assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0) and fig.get_facecolor()[3] == 1.0


def test_training_lr_panel_shows_the_recorded_lr():
    h = make_history()
    fig = P.plot_training({"w": h})
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), h.lr)
    assert len(P.plot_training(h, lr=False).axes) == 1


def test_training_marks_divergence_and_counts_it(real):
    fig = P.plot_training({"ok": [make_history(), make_history(seed=1)],
                           "bad": [make_history(diverged_at=7), make_history(seed=1)]})
    texts = legend_texts(fig)
    assert "ok (0/2 diverged)" in texts and "bad (1/2 diverged)" in texts
    marks = x_marks(fig.axes[0])
    assert len(marks) == 1 and marks[0].get_xdata()[0] == 7
    # Real runs: the lr=1e6 configuration diverges in both seeds.
    fig = P.plot_training(real["res"])
    assert "huge (2/2 diverged)" in legend_texts(fig) and len(x_marks(fig.axes[0])) == 2
    assert not any("diverged" in t for t in legend_texts(P.plot_training(make_history())))


def test_training_log_axis_and_cap():
    fig = P.plot_training(make_history())  # loss spans 2.3 -> 1e-3
    assert fig.axes[0].get_yscale() == "log"
    assert P.plot_training(make_history(), log=False).axes[0].get_yscale() == "linear"
    h = make_history(diverged_at=5)
    h.loss[4] = 1e12  # a blow-up must not stretch the axis over 12 decades
    top = P.plot_training(h).axes[0].get_ylim()[1]
    assert top < 100


def test_training_spread_modes_and_options():
    hs = [make_history(seed=s) for s in range(4)]
    lines = P.plot_training({"x": hs}, spread="lines")
    assert len(lines.axes[0].lines) == 4
    for mode in ("minmax", "iqr"):
        fig = P.plot_training({"x": hs}, spread=mode)
        assert any(isinstance(c, PolyCollection) for c in fig.axes[0].collections)
        assert len(fig.axes[0].lines) == 1
    fig = P.plot_training({"x": hs}, smooth=5, steps=20)
    assert max(max(line.get_xdata()) for line in fig.axes[0].lines) < 20
    acc = P.plot_training(hs, "test_acc")
    assert acc.axes[0].get_yscale() == "linear" and acc.axes[0].get_ylim() == (0, 1.02)


@pytest.mark.parametrize(
    "runs, kwargs, exc, word",
    [
        (3, {}, TypeError, "runs"),
        ({}, {}, ValueError, "runs"),
        ([], {}, ValueError, "runs"),
        ({"a": [1, 2]}, {}, TypeError, r"runs\['a'\]"),
        (None, {"metric": "accuracy"}, ValueError, "metric"),
        (None, {"spread": "band"}, ValueError, "spread"),
        (None, {"smooth": 0}, ValueError, "smooth"),
        (None, {"log": "auto"}, TypeError, "log"),
        (None, {"steps": -1}, ValueError, "steps"),
        (None, {"lr": 1}, TypeError, "lr"),
    ],
)
def test_training_bad_input(runs, kwargs, exc, word):
    with pytest.raises(exc, match=word):
        P.plot_training(make_history() if runs is None else runs, **kwargs)


# ---------------------------------------------------------------------------------------------- sweeps


def test_sweep_real_results(real):
    fig = P.plot_sweep({"no warmup": real["sw0"], "warmup 6": real["sw1"]}, xlabel="peak learning rate")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "peak learning rate"
    texts = legend_texts(fig)
    assert "no warmup (2/6 diverged)" in texts and "warmup 6 (2/6 diverged)" in texts
    marks = x_marks(ax)
    assert len(marks) == 2 and all(m.get_xdata()[0] == 1e6 for m in marks)
    assert 1e6 < ax.get_xlim()[1]  # values where every seed diverged still get room
    single = P.plot_sweep(real["sw0"], "test_acc")
    assert single.axes[0].get_xlabel() == "lr" and single.axes[0].get_ylabel() == "test accuracy"


def test_sweep_mapping_and_categorical_values():
    data = {10: [make_history(warmup=10)], 100: [make_history(warmup=100), make_history(seed=1, diverged_at=3)]}
    fig = P.plot_sweep(data, "best_loss", xlabel="warmup steps")
    assert fig.axes[0].get_xscale() == "log"  # 10..100 spans a decade
    means = fig.axes[0].lines[0].get_ydata()
    assert np.isclose(means[0], make_history(warmup=10).best("loss"))
    cat = P.plot_sweep({"linear": [make_history()], "exponential": [make_history(seed=2)]})
    assert [t.get_text() for t in cat.axes[0].get_xticklabels()] == ["linear", "exponential"]


def test_sweep_bad_input(real):
    with pytest.raises(TypeError, match="sweeps"):
        P.plot_sweep([1, 2, 3])
    with pytest.raises(ValueError, match="metric"):
        P.plot_sweep(real["sw0"], "accuracy")
    with pytest.raises(ValueError, match="values="):
        P.plot_sweep(real["res"])
    assert isinstance(P.plot_sweep(real["res"], values=[1, 2, 3]), Figure)
    with pytest.raises(ValueError, match="log_x"):
        P.plot_sweep({-1: [make_history()], 1: [make_history()]}, log_x=True)
    with pytest.raises(TypeError, match="values"):
        P.plot_sweep(real["res"], values="abc")


# ----------------------------------------------------------------------------------------- diagnostics


def test_diagnostics(real):
    runs = {"warmup": make_history(), "diverged": make_history(warmup=0, diverged_at=6)}
    fig = P.plot_diagnostics(runs, steps=30, lr=True)
    assert len(fig.axes) == 3 and [a.get_yscale() for a in fig.axes] == ["log", "log", "linear"]
    assert len(x_marks(fig.axes[0])) == 1 and len(x_marks(fig.axes[2])) == 0
    assert isinstance(P.plot_diagnostics(real["res"], "update_ratio_max"), Figure)
    with pytest.raises(ValueError, match="metrics"):
        P.plot_diagnostics(runs, ["test_acc"])
    with pytest.raises(TypeError, match="metrics"):
        P.plot_diagnostics(runs, [])


# ---------------------------------------------------------------------------------------- style, hygiene


def test_style_is_local_and_deterministic():
    before = dict(matplotlib.rcParams)
    pngs = []
    for _ in range(2):
        buf = io.BytesIO()
        P.plot_training({"a": [make_history(), make_history(seed=1, diverged_at=9)]}).savefig(buf, format="png")
        pngs.append(buf.getvalue())
    assert pngs[0] == pngs[1]
    assert dict(matplotlib.rcParams) == before
    assert P.color(0) == P.OKABE_ITO[0] and P.color(len(P.OKABE_ITO)) == P.OKABE_ITO[0]
    with pytest.raises(TypeError, match="i"):
        P.color(1.5)


def test_package_import_stays_light():
    code = "import sys, warmup_course; print(any(m in sys.modules for m in ('matplotlib', 'ipywidgets', 'torch')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("plot", [P.plot_training, P.plot_diagnostics])
def test_a_title_never_overlaps_the_legend(plot):
    fig = plot({"a": [make_history(seed=0), make_history(seed=1)], "b": make_history(seed=2, diverged_at=20)},
               title="A title long enough to reach across the figure's legend area")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)  # runs the constrained layout
    title = fig._suptitle.get_window_extent(renderer)
    (legend,) = fig.legends
    assert not title.overlaps(legend.get_window_extent(renderer))
