"""Figures for the course: schedules, training curves with the learning rate beneath, sweeps, diagnostics.

Every function validates its input (``TypeError``/``ValueError`` naming the parameter), draws inside
:func:`style_context` (the global matplotlib settings are left alone) and returns the
:class:`~matplotlib.figure.Figure`::

    from warmup_course import plotting
    plotting.plot_schedules({"linear, W=100": warmup_cosine(100, 1000)}, steps=1000, log="both")

**Showing figures in a notebook.** A figure these functions create is closed in pyplot before it is
returned, so the inline backend does not show it a second time: end the cell with the call (or with
``fig``), or use ``IPython.display.display(fig)`` mid-cell. ``plt.show()`` does not show it, and
``fig = plot_...(...)`` alone shows nothing until ``fig`` is the cell's last line. When you pass ``ax=``
the figure is yours and stays open.

**What goes in.** Training functions take ``runs``: one :class:`~warmup_course.training.History`, a list of
Histories (seeds of one configuration), a mapping ``{label: History | list[History]}``, or an
:class:`~warmup_course.experiments.Results` (its ``histories``). Objects are recognised by their fields
(``step``, ``loss``, ``lr``, ``diverged``...), so this module does not import torch.

**Look.** Colours are the Okabe-Ito palette, distinguishable with the common forms of colour blindness
(Okabe & Ito 2008, https://jfly.uni-koeln.de/color/); figures have an opaque white background so they read
in dark JupyterLab themes too. Nothing random or time-dependent is drawn: the same input gives the same image.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Union

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from warmup_course.validation import MAX_ITEMS, check_array, check_choice, check_int, check_real, describe
from warmup_course.validation import check_int as _check_int
from warmup_course.validation import check_mapping as _check_mapping_06

__all__ = [
    "OKABE_ITO",
    "STEP_LABEL",
    "STYLE",
    "color",
    "set_style",
    "style_context",
    "plot_schedules",
    "plot_training",
    "plot_sweep",
    "plot_diagnostics",
    "plot_quadratic_runs",
    "plot_stability_sweep",
    "plot_first_updates",
    "plot_sharpness",
    "plot_range_test",
    "composition_values",
    "plot_composition",
]

#: Okabe-Ito colours, ordered for contrast on white (yellow, weakest on white, last).
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)

#: The x-axis label of every per-step plot: steps count optimizer updates, not batches or epochs.
STEP_LABEL = "step (optimizer update)"

#: rcParams applied inside every plotting function (and globally by :func:`set_style`).
STYLE: dict[str, Any] = {
    "axes.prop_cycle": mpl.cycler(color=list(OKABE_ITO)),
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "savefig.transparent": False,
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#222222",
    "text.color": "#222222",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "axes.grid": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10.5,
    "axes.titlesize": 11.5,
    "axes.labelsize": 10.5,
    "legend.fontsize": 9.5,
    "legend.framealpha": 0.9,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "lines.linewidth": 1.8,
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "svg.hashsalt": "warmup-course",  # deterministic SVG ids
}

Runs = Any  # History | Sequence[History] | Mapping[str, History | Sequence[History]] | Results
_PER_UPDATE = ("lr", "loss", "grad_norm", "update_ratio", "update_ratio_max")
_METRIC_LABELS = {
    "loss": "training loss (per update)",
    "train_loss": "training loss",
    "test_loss": "test loss",
    "test_acc": "test accuracy",
    "train_acc": "training accuracy",
    "grad_norm": "gradient norm ||g||",
    "update_ratio": "||ΔW|| / ||W||",
    "update_ratio_max": "max over tensors ||ΔW|| / ||W||",
    "lr": "learning rate",
    "final_loss": "final training loss",
    "best_loss": "best training loss",
    "steps_to_target": "steps to target loss",
}


# ----------------------------------------------------------------------------------------------- style


def color(i: int) -> str:
    """The ``i``-th Okabe-Ito colour (cycling)."""
    return OKABE_ITO[check_int("i", i) % len(OKABE_ITO)]  # any int: the colours cycle


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """``with style_context(): ...`` draws with :data:`STYLE`, restoring the previous rcParams after."""
    with mpl.rc_context(STYLE):
        yield


def set_style() -> None:
    """Apply :data:`STYLE` globally (for a notebook's own plots; the functions here need no call)."""
    mpl.rcParams.update(STYLE)


def _new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    fig, axes = plt.subplots(nrows, ncols, layout="constrained", **kwargs)
    fig.set_facecolor("white")
    return fig, axes


def _finish(fig: Figure, own: bool) -> Figure:
    # A figure we created is closed in pyplot: the notebook shows it once, as the cell's value (module doc).
    if own:
        plt.close(fig)
    return fig


# ------------------------------------------------------------------------------------------ validation



def _check_positive(name: str, value: Any) -> float:
    return check_real(name, value, 0.0, low_open=True)


def _check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    return check_choice(name, value, choices)


def _check_flag(name: str, value: Any) -> bool | None:
    """True, False, or None (automatic)."""
    if value is not None and not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True, False or None (automatic), got {describe(value)}")
    return None if value is None else bool(value)


def _check_ax(ax: Any) -> Axes | None:
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _is_history(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("step", "loss", "lr", "diverged", "eval", "eval_step"))


def _is_results(obj: Any) -> bool:
    return isinstance(getattr(obj, "histories", None), Mapping) and hasattr(obj, "seeds")


def _as_runs(runs: Runs, name: str = "runs") -> dict[str, list[Any]]:
    """Normalise every accepted input kind to ``{label: [History, ...]}`` (order kept)."""
    if _is_results(runs):
        runs = runs.histories
    if _is_history(runs):
        return {"run": [runs]}
    if isinstance(runs, Mapping):
        if not runs:
            raise ValueError(f"{name} must not be empty")
        out: dict[str, list[Any]] = {}
        for label, value in runs.items():
            if not isinstance(label, str):
                raise TypeError(f"{name} keys must be str labels, got {label!r} ({type(label).__name__})")
            hs = [value] if _is_history(value) else value
            if isinstance(hs, (str, bytes)) or not isinstance(hs, Sequence) or not hs:
                raise TypeError(
                    f"{name}[{label!r}] must be a History or a non-empty list of Histories, got {type(value).__name__}"
                )
            for h in hs:
                if not _is_history(h):
                    raise TypeError(f"{name}[{label!r}] must hold Histories, got an item of type {type(h).__name__}")
            out[label] = list(hs)
        return out
    if isinstance(runs, Sequence) and not isinstance(runs, (str, bytes)):
        if not runs:
            raise ValueError(f"{name} must not be empty")
        if all(_is_history(h) for h in runs):
            return {"runs": list(runs)}
    raise TypeError(
        f"{name} must be a History, a list of Histories, a mapping label -> History/list of Histories, "
        f"or an experiments.Results; got {type(runs).__name__}"
    )


def _with_updates(data: dict[str, list[Any]], name: str = "runs") -> dict[str, list[Any]]:
    """``data`` if every History recorded at least one update (an empty one would draw an empty axis, silently)."""
    for label, hs in data.items():
        for h in hs:
            if len(h.step) == 0:
                raise ValueError(f"{name}[{label!r}] holds a History with 0 updates: nothing to plot")
    return data


def _series(h: Any, metric: str, name: str = "metric") -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of a per-update field or an eval metric of one History."""
    if metric in _PER_UPDATE:
        return np.asarray(h.step, dtype=float), np.asarray(getattr(h, metric), dtype=float)
    if metric in h.eval:
        return np.asarray(h.eval_step, dtype=float), np.asarray(h.eval[metric], dtype=float)
    known = ", ".join([*_PER_UPDATE, *h.eval])
    raise ValueError(f"{name} must be one of {known}; got {metric!r}")


def _spans_decades(values: np.ndarray, factor: float = 10.0) -> bool:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return bool(len(v)) and float(v.max()) / float(v.min()) >= factor


def _metric_label(metric: str) -> str:
    return _METRIC_LABELS.get(metric, metric.replace("_", " "))


def _smooth(values: np.ndarray, window: int | None) -> np.ndarray:
    """Trailing moving average over ``window`` updates (non-finite values stay as they are)."""
    if not window or window <= 1 or len(values) < 2:
        return values
    out = values.copy()
    finite = np.isfinite(values)
    csum = np.cumsum(np.where(finite, values, 0.0))
    count = np.cumsum(finite)
    idx = np.arange(len(values))
    lo = idx - window
    prev_sum = np.where(lo >= 0, csum[np.maximum(lo, 0)], 0.0)
    prev_cnt = np.where(lo >= 0, count[np.maximum(lo, 0)], 0)
    n = count - prev_cnt
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = (csum - prev_sum) / n
    out[finite] = avg[finite]
    return out


# ------------------------------------------------------------------------------------------- schedules


def _schedule_values(label: str, schedule: Any, steps: int) -> np.ndarray:
    name = f"schedules[{label!r}]"
    if hasattr(schedule, "values") and callable(schedule.values) and callable(schedule):
        values = check_array(name, schedule.values(steps), ndim=1)
    elif isinstance(schedule, (np.ndarray, list, tuple)):
        values = check_array(name, schedule, ndim=1)
        if len(values) < steps:
            raise ValueError(f"schedules[{label!r}] has {len(values)} values, fewer than steps={steps}")
        values = values[:steps]
    elif callable(schedule):  # e.g. a LambdaLR lambda: int -> float
        values = check_array(name, [_multiplier(name, schedule(t), t) for t in range(steps)], ndim=1)
    else:
        raise TypeError(
            f"schedules[{label!r}] must be a Schedule, an array of values or a function step -> multiplier, "
            f"got {type(schedule).__name__}"
        )
    # -inf or NaN would silently break the axis limits (and a log axis): refuse them by name
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValueError(f"{name} must be finite, got {values[bad[0]]!r} at step {int(bad[0])}")
    return values


def _multiplier(name: str, value: Any, t: int) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}(t) must return a number, got {describe(value)} at t={t}")
    return float(value)


def plot_schedules(
    schedules: Mapping[str, Any],
    steps: int,
    *,
    peak_lr: float = 1.0,
    log: bool | str = False,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Learning rate ``peak_lr · s(t)`` against the update index ``t = 0 .. steps-1``, one line per schedule.

    Args:
        schedules: ``{label: schedule}``; a schedule is a :class:`~warmup_course.schedules.Schedule`, an array of
            at least ``steps`` multipliers, or any function ``int -> float`` (e.g. a ``LambdaLR`` lambda).
        steps: number of updates to draw (>= 1).
        peak_lr: base learning rate multiplying the schedule; with the default 1.0 the y axis is the multiplier.
        log: ``False`` linear y axis, ``True`` log y axis (zeros are left out), ``"both"`` two panels side by
            side, linear and log (a log axis shows the first steps of warmup that a linear one squashes to 0).
        ax: draw into this Axes (not with ``log="both"``).
        title: optional figure title.
    """
    if not isinstance(schedules, Mapping):
        raise TypeError(f"schedules must be a mapping label -> schedule, got {type(schedules).__name__}")
    if not schedules:
        raise ValueError("schedules must not be empty")
    steps = _check_int("steps", steps, 1, MAX_ITEMS)
    peak_lr = _check_positive("peak_lr", peak_lr)
    if log not in (False, True, "both") or isinstance(log, (int, float)) and not isinstance(log, bool):
        raise ValueError(f"log must be False, True or 'both', got {log!r}")
    _check_ax(ax)
    if ax is not None and log == "both":
        raise ValueError("ax must be None when log='both' (that draws two panels)")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    curves = {}
    for label, schedule in schedules.items():
        if not isinstance(label, str):
            raise TypeError(f"schedules keys must be str labels, got {label!r}")
        curves[label] = peak_lr * _schedule_values(label, schedule, steps)
    ylabel = "LR multiplier" if peak_lr == 1.0 else "learning rate"
    t = np.arange(steps)
    with style_context():
        own = ax is None
        if own:
            ncols = 2 if log == "both" else 1
            fig, axes = _new_figure(1, ncols, figsize=(11, 4) if ncols == 2 else (6.4, 4), squeeze=False)
            axes = list(axes[0])
        else:
            fig, axes = ax.figure, [ax]
        scales = ["linear", "log"] if log == "both" else ["log" if log else "linear"]
        for a, scale in zip(axes, scales):
            for i, (label, y) in enumerate(curves.items()):
                a.plot(t, y, label=label, color=color(i))
            if scale == "log":
                a.set_yscale("log", nonpositive="mask")
                bottom = _log_bottom(list(curves.values()))
                if bottom is not None:
                    a.set_ylim(bottom=bottom)
            else:
                a.set_ylim(bottom=min(0.0, float(np.nanmin([np.nanmin(c) for c in curves.values()]))))
            a.set_xlim(0, max(steps - 1, 1))
            a.set_xlabel(STEP_LABEL)
            a.set_ylabel(ylabel)
            if log == "both":
                a.set_title("log y axis" if scale == "log" else "linear y axis")
        if own:
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", ncols=min(len(curves), 3))
        else:
            ax.legend(loc="best")
        if title:
            fig.suptitle(title)
    return _finish(fig, own)


def _log_bottom(curves: list[np.ndarray]) -> float | None:
    """Lower y limit of a log panel from the smallest positive value *before* each curve's peak (the warmup),
    so a decay that ends at 0 does not stretch the axis over many empty decades."""
    lows, peaks = [], []
    for y in curves:
        finite = np.where(np.isfinite(y), y, -np.inf)
        if not np.isfinite(finite).any():
            continue
        peak = int(np.argmax(finite))
        peaks.append(float(finite[peak]))
        rise = y[: peak + 1]
        rise = rise[np.isfinite(rise) & (rise > 0)]
        if len(rise):
            lows.append(float(rise.min()))
    if not peaks or max(peaks) <= 0:
        return None
    top = max(peaks)
    # At least three decades below the peak, more if a warmup starts lower; never more than eight.
    floor = min(min(lows, default=top), top * 1e-3)
    return max(floor, top * 1e-8) / 1.5


# -------------------------------------------------------------------------------------------- training


def _run_suffix(hs: list[Any], show_div: bool, show_n: bool) -> str:
    """The legend's " (k/n diverged)" (when any run in the figure diverged) or " (n seeds)"."""
    k = sum(bool(h.diverged) for h in hs)
    if show_div:
        return f" ({k}/{len(hs)} diverged)"
    return f" ({len(hs)} seeds)" if show_n and len(hs) > 1 else ""


def _y_limits(arrays: list[np.ndarray], log: bool, cap: float | None) -> tuple[float, float] | None:
    v = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.array([])
    if log:
        v = v[v > 0]
    if not len(v):
        return None
    lo, hi = float(v.min()), float(v.max())
    if cap is not None:
        hi = min(hi, cap)
    if log:
        return lo / 1.3, hi * 1.3
    pad = 0.05 * (hi - lo or abs(hi) or 1.0)
    return lo - pad, hi + pad


def _mark_divergence(a: Axes, h: Any, x: np.ndarray, y: np.ndarray, c: str, top: float | None) -> None:
    """An 'x' at the diverged step: on the curve's last finite value, or at the top edge if it blew past it."""
    if not h.diverged:
        return
    step = float(h.diverged_step) if h.diverged_step is not None else (float(x[-1]) if len(x) else 0.0)
    finite = np.isfinite(y)
    if top is not None and (not finite.any() or not np.isfinite(y[-1]) or y[finite][-1] > top):
        a.plot([step], [1.0], marker="x", ms=9, mew=2.2, color=c, clip_on=False, zorder=5,
               transform=blended_transform_factory(a.transData, a.transAxes))
    else:
        yy = y[finite][-1] if finite.any() else 0.0
        a.plot([step], [yy], marker="x", ms=9, mew=2.2, color=c, zorder=5, clip_on=False)


def _draw_runs(
    a: Axes,
    runs: dict[str, list[Any]],
    metric: str,
    spread: str,
    smooth: int | None,
    log: bool | None,
    show_div: bool,
    cap_loss: bool,
    label_runs: bool = True,
    mark: bool = True,
) -> bool:
    """Draw one metric for every configuration on ``a``; returns whether the y axis is log."""
    data = {label: [(*_series(h, metric), h) for h in hs] for label, hs in runs.items()}
    all_y = [y for items in data.values() for _, y, _ in items]
    if log is None:  # accuracies live in [0, 1]: always linear
        log = not metric.endswith("acc") and _spans_decades(np.concatenate(all_y) if all_y else np.array([]))
    show_n = len({len(hs) for hs in runs.values()}) > 1
    style = {} if metric in _PER_UPDATE else {"marker": "o", "ms": 3}  # evaluations are sparse points
    # A blown-up loss would stretch the axis over many decades: cap it at 10x the largest starting value.
    cap = None
    if cap_loss:
        starts = [y[np.isfinite(y)][0] for y in all_y if np.isfinite(y).any()]
        if starts and max(starts) > 0:
            cap = 10.0 * max(starts)
    limits = _y_limits(all_y, log, cap)
    top = limits[1] if limits else None
    for i, (label, items) in enumerate(data.items()):
        c = color(i)
        name = label + _run_suffix([h for _, _, h in items], show_div, show_n) if label_runs else None
        ok = [(x, y) for x, y, h in items if not h.diverged]
        mode = spread
        if mode == "auto":
            mode = "lines" if len(items) <= 5 else "minmax"
        if mode == "lines" or len(ok) < 2:
            lw = 1.6 if len(items) == 1 else 1.1
            alpha = 1.0 if len(items) == 1 else 0.75
            for j, (x, y, h) in enumerate(items):
                a.plot(x, _smooth(y, smooth), color=c, lw=lw, alpha=alpha, label=name if j == 0 else None, **style)
        else:
            n = min(len(x) for x, _ in ok)
            x0 = ok[0][0][:n]
            ys = np.vstack([_smooth(y[:n], smooth) for _, y in ok])
            if mode == "iqr":
                centre = np.nanmedian(ys, axis=0)
                lo, hi = np.nanpercentile(ys, [25, 75], axis=0)
            else:
                centre = np.nanmean(ys, axis=0)
                lo, hi = np.nanmin(ys, axis=0), np.nanmax(ys, axis=0)
            a.fill_between(x0, lo, hi, color=c, alpha=0.22, lw=0)
            a.plot(x0, centre, color=c, lw=1.8, label=name, **style)
            for x, y, h in items:
                if h.diverged:
                    a.plot(x, _smooth(y, smooth), color=c, lw=0.9, alpha=0.75, ls="--")
        for x, y, h in items:
            if mark:
                _mark_divergence(a, h, x, _smooth(y, smooth), c, top)
    if log:
        a.set_yscale("log", nonpositive="mask")
    if metric.endswith("acc") and not log:
        a.set_ylim(0, 1.02)
    elif limits:
        a.set_ylim(*limits)
    return bool(log)


def _legend(fig: Figure, a: Axes, runs: dict[str, list[Any]], show_div: bool, spread: str,
            below: bool = False) -> None:
    """One legend outside the panels, titled with how seeds are drawn: above them, or below them when the
    figure has a title (constrained layout would otherwise stack the two on top of each other)."""
    handles, labels = a.get_legend_handles_labels()
    if show_div:
        handles.append(Line2D([], [], ls="none", marker="x", ms=8, mew=2, color="#444444"))
        labels.append("run diverged here")
    counts = {len(hs) for hs in runs.values()}
    n = max(counts)
    title = None
    if n > 1:
        mode = spread if spread != "auto" else ("lines" if n <= 5 else "minmax")
        how = {"lines": "thin lines: one per seed", "minmax": "line: mean over seeds, band: min–max",
               "iqr": "line: median over seeds, band: interquartile range"}[mode]
        title = how if len(counts) > 1 else f"{n} seeds; {how}"
    fig.legend(handles, labels, loc="outside lower center" if below else "outside upper center",
               ncols=min(len(labels), 2), title=title, title_fontsize=9.5)


def plot_training(
    runs: Runs,
    metric: str = "loss",
    *,
    lr: bool = True,
    spread: str = "auto",
    smooth: int | None = None,
    log: bool | None = None,
    steps: int | None = None,
    title: str | None = None,
) -> Figure:
    """Training curves of one metric over seeds and configurations, with the learning rate beneath.

    Args:
        runs: a History, a list of Histories, ``{label: History | list[History]}`` or a Results.
        metric: a per-update series (``"loss"``, ``"grad_norm"``, ``"update_ratio"``...) or an evaluation
            metric (``"test_loss"``, ``"test_acc"``...), drawn against its own steps.
        lr: add a panel with each configuration's learning rate on the shared step axis.
        spread: how several seeds are drawn: ``"lines"`` (a thin line per seed), ``"minmax"`` (mean and a
            min–max band), ``"iqr"`` (median and interquartile band), ``"auto"`` (lines up to 5 seeds).
            Bands summarise the runs that did not diverge; diverged runs stay visible as dashed lines.
        smooth: trailing moving average over this many updates (the per-update loss is noisy), or None.
        log: log y axis; None decides (log when the values span a factor of 10 or more).
        steps: show only the first ``steps`` updates (e.g. to look at warmup itself).
        title: optional figure title.

    A diverged run ends with an ``x`` at its diverged step (at the top edge when it blew past the axis,
    which is capped at 10x the largest starting value), and the legend gives ``k/n diverged`` per
    configuration whenever any run in the figure diverged.
    """
    data = _with_updates(_as_runs(runs))
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a str, got {type(metric).__name__}")
    for hs in data.values():
        _series(hs[0], metric)  # validates the metric name
    if not isinstance(lr, (bool, np.bool_)):
        raise TypeError(f"lr must be True or False, got {lr!r}")
    _check_choice("spread", spread, ("auto", "lines", "minmax", "iqr"))
    if smooth is not None:
        smooth = _check_int("smooth", smooth, 1, MAX_ITEMS)
    log = _check_flag("log", log)
    if steps is not None:
        steps = _check_int("steps", steps, 1, MAX_ITEMS)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    if steps is not None:
        data = {k: [_truncate(h, steps) for h in hs] for k, hs in data.items()}
    show_div = any(h.diverged for hs in data.values() for h in hs)
    with style_context():
        if lr:
            fig, (a, b) = _new_figure(2, 1, figsize=(7.5, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 1.2]})
        else:
            fig, a = _new_figure(1, 1, figsize=(7.5, 4.2))
        is_log = _draw_runs(a, data, metric, spread, smooth, log, show_div, cap_loss=metric.endswith("loss"))
        ylabel = _metric_label(metric)
        if smooth and smooth > 1 and metric in _PER_UPDATE:
            ylabel = ylabel.replace(" (per update)", "") + f" ({smooth}-step mean)"
        a.set_ylabel(ylabel)
        _legend(fig, a, data, show_div, spread, below=bool(title))
        if lr:
            for i, hs in enumerate(data.values()):
                longest = max(hs, key=len)
                b.plot(longest.step, longest.lr, color=color(i), lw=1.6)
            b.set_ylabel("learning rate")
            b.set_ylim(bottom=0)
            b.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
            b.set_xlabel(STEP_LABEL)
        else:
            a.set_xlabel(STEP_LABEL)
        a.set_xlim(left=0)
        if title:
            fig.suptitle(title)
    return _finish(fig, True)


class _Truncated:
    """A read-only view of a History's first ``steps`` updates (eval points up to that step)."""

    def __init__(self, h: Any, steps: int) -> None:
        keep = np.asarray(h.step) < steps
        ekeep = np.asarray(h.eval_step) <= steps
        self.step = np.asarray(h.step)[keep]
        for name in _PER_UPDATE:
            setattr(self, name, np.asarray(getattr(h, name))[keep])
        self.eval_step = np.asarray(h.eval_step)[ekeep]
        self.eval = {k: np.asarray(v)[ekeep] for k, v in h.eval.items()}
        self.diverged = bool(h.diverged) and h.diverged_step is not None and h.diverged_step < steps
        self.diverged_step = h.diverged_step if self.diverged else None

    def __len__(self) -> int:
        return len(self.step)


def _truncate(h: Any, steps: int) -> Any:
    return _Truncated(h, steps)


# ---------------------------------------------------------------------------------------- diagnostics


def plot_diagnostics(
    runs: Runs,
    metrics: Sequence[str] = ("grad_norm", "update_ratio"),
    *,
    steps: int | None = None,
    spread: str = "lines",
    log: bool | None = True,
    lr: bool = False,
    title: str | None = None,
) -> Figure:
    """What happens inside the first updates: one stacked panel per metric, shared step axis.

    Args:
        runs: as in :func:`plot_training`.
        metrics: per-update series to show, by default the gradient norm ``||g||`` and the update-to-weight
            ratio ``||ΔW|| / ||W||`` (Kosson et al. 2024, https://arxiv.org/abs/2410.23922).
        steps: show only the first ``steps`` updates (where warmup acts).
        spread, log: as in :func:`plot_training`; log defaults to True (both span decades). A ratio of 0 (an
            update at learning rate 0) is not drawn on a log axis.
        lr: add the learning rate as a last panel.
        title: optional figure title.
    """
    data = _with_updates(_as_runs(runs))
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, Sequence) or not metrics:
        raise TypeError(f"metrics must be a non-empty sequence of metric names, got {metrics!r}")
    for m in metrics:
        if m not in _PER_UPDATE:
            raise ValueError(f"metrics must name per-update series ({', '.join(_PER_UPDATE)}); got {m!r}")
    _check_choice("spread", spread, ("auto", "lines", "minmax", "iqr"))
    log = _check_flag("log", log)
    if steps is not None:
        steps = _check_int("steps", steps, 1, MAX_ITEMS)
        data = {k: [_truncate(h, steps) for h in hs] for k, hs in data.items()}
    if not isinstance(lr, (bool, np.bool_)):
        raise TypeError(f"lr must be True or False, got {lr!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    panels = list(metrics) + (["lr"] if lr else [])
    show_div = any(h.diverged for hs in data.values() for h in hs)
    with style_context():
        fig, axes = _new_figure(len(panels), 1, figsize=(7.5, 2.6 * len(panels) + 0.6), sharex=True, squeeze=False)
        axes = list(axes[:, 0])
        for k, (a, m) in enumerate(zip(axes, panels)):
            _draw_runs(a, data, m, spread, None, False if m == "lr" else log, show_div,
                       cap_loss=False, label_runs=k == 0, mark=m != "lr")
            a.set_ylabel(_metric_label(m), fontsize=9.5)
            if m == "lr":
                a.set_ylim(bottom=0)
        _legend(fig, axes[0], data, show_div, spread, below=bool(title))
        axes[-1].set_xlabel(STEP_LABEL)
        axes[-1].set_xlim(left=0)
        if title:
            fig.suptitle(title)
    return _finish(fig, True)


# ---------------------------------------------------------------------------------------------- sweeps


def _sweep_points(res: Any, metric: str, values: Sequence[Any] | None, name: str) -> tuple[list[Any], list[list[Any]]]:
    """(x values, per value the list of Histories) of one sweep."""
    if _is_results(res):
        vals = list(values) if values is not None else getattr(res, "values", None)
        groups = [list(hs) for hs in res.histories.values()]
        if vals is None:
            raise ValueError(f"{name} is a Results without swept values (not from sweep()); pass values=")
    elif isinstance(res, Mapping):
        vals = list(res.keys())
        groups = []
        for v, hs in res.items():
            hs = [hs] if _is_history(hs) else hs
            if isinstance(hs, (str, bytes)) or not isinstance(hs, Sequence) or not all(_is_history(h) for h in hs):
                raise TypeError(f"{name}[{v!r}] must be a History or a list of Histories")
            groups.append(list(hs))
    else:
        raise TypeError(
            f"{name} must be a Results from experiments.sweep() or a mapping value -> Histories, got {type(res).__name__}"
        )
    if len(vals) != len(groups):
        raise ValueError(f"{name}: {len(vals)} values for {len(groups)} configurations")
    if not groups:
        raise ValueError(f"{name} must not be empty")
    return vals, groups


def _run_metric(h: Any, metric: str) -> float:
    """One number per run; nan for a diverged run (it is marked instead) or a target never reached."""
    if h.diverged:
        return math.nan
    if metric == "final_loss":
        return float(h.final("loss")) if hasattr(h, "final") else float(np.asarray(h.loss)[-1])
    if metric == "best_loss":
        return float(h.best("loss"))
    if metric in h.eval or metric in _PER_UPDATE:
        y = _series(h, metric)[1]
        return float(y[-1]) if len(y) else math.nan
    raise ValueError(f"metric must be final_loss, best_loss or an eval metric ({', '.join(h.eval)}); got {metric!r}")


def plot_sweep(
    sweeps: Any,
    metric: str = "final_loss",
    *,
    values: Sequence[Any] | None = None,
    xlabel: str | None = None,
    log_x: bool | None = None,
    log: bool | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """A metric against the swept value, one line per configuration; diverged runs marked with ``x``.

    Args:
        sweeps: a Results from :func:`~warmup_course.experiments.sweep`, or ``{label: Results}`` for several
            lines (e.g. ``{"no warmup": sweep_a, "warmup 50": sweep_b}`` over the same peak LRs). A mapping
            ``{value: list[History]}`` also works in place of a Results.
        metric: ``"final_loss"``, ``"best_loss"`` or an evaluation metric (last value, e.g. ``"test_acc"``).
        values: the x values when a Results does not carry them (one from ``compare``).
        xlabel: x-axis label (default: the swept parameter's name).
        log_x: log x axis; None decides (numeric values spanning a factor of 10 or more).
        log: log y axis; None decides as :func:`plot_training`.
        ax: draw into this Axes.
        title: optional title.

    Each point is the mean over the seeds that did not diverge (the small dots are the seeds); a value
    where some seeds diverged gets one ``x`` per diverged seed along the top edge, and the legend gives
    ``k/n diverged`` per line.
    """
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a str, got {type(metric).__name__}")
    if values is not None and (isinstance(values, (str, bytes)) or not isinstance(values, Sequence)):
        raise TypeError(f"values must be a sequence, got {type(values).__name__}")
    if isinstance(sweeps, Mapping) and sweeps and all(_is_results(v) for v in sweeps.values()):
        lines = {}
        for k, v in sweeps.items():
            if not isinstance(k, str):
                raise TypeError(f"sweeps keys must be str labels, got {k!r}")
            lines[k] = _sweep_points(v, metric, values, f"sweeps[{k!r}]")
    else:
        lines = {"": _sweep_points(sweeps, metric, values, "sweeps")}
    log_x = _check_flag("log_x", log_x)
    log = _check_flag("log", log)
    _check_ax(ax)
    if xlabel is not None and not isinstance(xlabel, str):
        raise TypeError(f"xlabel must be a str or None, got {type(xlabel).__name__}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    all_vals = [v for vals, _ in lines.values() for v in vals]
    numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in all_vals)
    categories: list[str] = []
    if not numeric:
        for v in all_vals:
            if str(v) not in categories:
                categories.append(str(v))
    if log_x is None:
        log_x = numeric and all(v > 0 for v in all_vals) and _spans_decades(np.asarray(all_vals, dtype=float))
    if log_x and (not numeric or any(v <= 0 for v in all_vals)):
        raise ValueError("log_x=True needs positive numeric swept values")

    def xpos(v: Any) -> float:
        return float(v) if numeric else float(categories.index(str(v)))

    per_line = {}
    for label, (vals, groups) in lines.items():
        for hs in groups:  # validates the metric name (diverged runs would just give nan)
            alive = _first_alive(hs)
            if alive is not None:
                _run_metric(alive, metric)
        per_line[label] = [(xpos(v), [_run_metric(h, metric) for h in hs], hs) for v, hs in zip(vals, groups)]
    ys = np.asarray([y for pts in per_line.values() for _, yy, _ in pts for y in yy], dtype=float)
    if log is None:
        log = _spans_decades(ys)
    any_div = any(h.diverged for pts in per_line.values() for _, _, hs in pts for h in hs)
    with style_context():
        own = ax is None
        if own:
            fig, ax = _new_figure(1, 1, figsize=(6.8, 4.6))
        else:
            fig = ax.figure
        for i, (label, pts) in enumerate(per_line.items()):
            c = color(i)
            xs = np.asarray([x for x, _, _ in pts])
            means = np.asarray([np.nanmean(yy) if np.isfinite(yy).any() else np.nan for _, yy, _ in pts])
            n_div = sum(h.diverged for _, _, hs in pts for h in hs)
            n_all = sum(len(hs) for _, _, hs in pts)
            name = label or "mean over seeds"
            if any_div:
                name += f" ({n_div}/{n_all} diverged)"
            ax.plot(xs, means, "-o", color=c, ms=5, label=name)
            for x, yy, hs in pts:
                if len(hs) > 1:
                    ax.plot([x] * len(yy), yy, ".", color=c, ms=4, alpha=0.6)
        if log_x:
            ax.set_xscale("log")
        if log:
            ax.set_yscale("log", nonpositive="mask")
        # Every swept value gets room, also those where all seeds diverged (no point, only a mark).
        xs_all = np.asarray([x for pts in per_line.values() for x, _, _ in pts], dtype=float)
        lo_x, hi_x = float(xs_all.min()), float(xs_all.max())
        if log_x:
            pad = (hi_x / lo_x) ** 0.06 if hi_x > lo_x else 2.0
            ax.set_xlim(lo_x / pad, hi_x * pad)
        else:
            pad = 0.06 * (hi_x - lo_x) if hi_x > lo_x else 0.5
            ax.set_xlim(lo_x - pad, hi_x + pad)
        if any_div:
            _divergence_strip(ax, per_line, log)
        if not numeric:
            ax.set_xticks(range(len(categories)), categories, rotation=20 if max(map(len, categories)) > 8 else 0)
        first = sweeps if _is_results(sweeps) else next(iter(sweeps.values()), None)
        param = getattr(first, "param", None) if _is_results(first) else None
        ax.set_xlabel(xlabel or param or "swept value")
        ax.set_ylabel(_metric_label(metric))
        handles, labels = ax.get_legend_handles_labels()
        if any_div:
            handles.append(Line2D([], [], ls="none", marker="x", ms=8, mew=2, color="#444444"))
            labels.append("k/n: seeds diverged at this value")
        if own:
            fig.legend(handles, labels, loc="outside upper center", ncols=min(len(labels), 2))
        else:
            ax.legend(handles, labels, loc="best")
        if title:
            ax.set_title(title)
    return _finish(fig, own)


def _divergence_strip(ax: Axes, per_line: dict[str, list[Any]], log: bool) -> None:
    """A grey strip along the top of the axes, outside the data's range, holding the divergence marks."""
    lo, hi = ax.get_ylim()
    frac = 0.84  # the data keep the lower 84 % of the height
    if log:
        ax.set_ylim(lo, lo * (hi / lo) ** (1 / frac))
    else:
        ax.set_ylim(lo, lo + (hi - lo) / frac)
    band = Rectangle((0, 0.87), 1, 0.13, transform=ax.transAxes, color="#eeeeee", lw=0, zorder=0)
    ax.add_patch(band)
    ax.text(0.005, 0.985, "diverged", transform=ax.transAxes, ha="left", va="top", fontsize=8.5,
            color="#555555", style="italic")
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    n_lines = len(per_line)
    for i, pts in enumerate(per_line.values()):
        # Dodge the lines' marks sideways (in points) so two configurations at one value stay apart.
        shift = ScaledTranslation((i - (n_lines - 1) / 2) * 16 / 72, 0, ax.figure.dpi_scale_trans)
        for x, _, hs in pts:
            k = sum(bool(h.diverged) for h in hs)
            if k:
                ax.plot([x], [0.945], marker="x", ms=8, mew=2, color=color(i), ls="none",
                        transform=trans + shift, clip_on=False, zorder=4)
                ax.text(x, 0.885, f"{k}/{len(hs)}", transform=trans + shift, ha="center", va="bottom",
                        fontsize=7.5, color=color(i), zorder=4)


def _first_alive(hs: list[Any]) -> Any:
    return next((h for h in hs if not h.diverged), None)


# ------------------------------------------------------------------------------ notebook 01's own figures


def _check_runs_mapping(name: str, runs: Any) -> dict[str, list[Any]]:
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError(f"{name} must be a non-empty mapping label -> list of Histories, got {type(runs).__name__}")
    out = {}
    for k, hs in runs.items():
        if not isinstance(k, str):
            raise TypeError(f"{name} keys must be str labels, got {k!r}")
        hs = [hs] if _is_history(hs) else hs
        if isinstance(hs, (str, bytes)) or not isinstance(hs, Sequence) or not hs or not all(map(_is_history, hs)):
            raise TypeError(f"{name}[{k!r}] must be a History or a non-empty list of Histories")
        out[k] = list(hs)
    return out


def plot_quadratic_runs(panels: Mapping[str, Any], *, edges: Mapping[str, float] | None = None) -> Figure:
    """Gradient descent on ``½λx²`` (:mod:`warmup_course.quadratic`): one panel per entry of ``panels``.

    ``panels`` maps a panel title to ``(what, {label: QuadraticRun})`` with ``what`` either ``"loss"`` (the loss
    ``½λ_t x_t²`` per update, log scale) or ``"lr_times_curvature"`` (``η_t λ_t``, against the edge). ``edges``
    maps a panel title to a horizontal line to draw there (the edge ``2`` or ``2 + 2β``). Panels are laid out in
    rows of two.
    """
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError(f"panels must be a non-empty mapping title -> (what, runs), got {type(panels).__name__}")
    edges = {} if edges is None else dict(_check_mapping_06("edges", edges))
    for k, v in edges.items():
        if k not in panels:
            raise ValueError(f"edges names a panel that does not exist: {k!r}")
        _check_positive("edges", v)
    for title, spec in panels.items():
        if not isinstance(title, str) or not isinstance(spec, tuple) or len(spec) != 2:
            raise TypeError(f"panels[{title!r}] must be a tuple (what, {{label: QuadraticRun}})")
        _check_choice("what", spec[0], ("loss", "lr_times_curvature"))
        if not isinstance(spec[1], Mapping) or not spec[1] or \
                not all(hasattr(r, "loss") and hasattr(r, "lr") for r in spec[1].values()):
            raise TypeError(f"panels[{title!r}] must hold a non-empty mapping label -> QuadraticRun")
    n = len(panels)
    ncols = 2 if n > 1 else 1
    nrows = math.ceil(n / ncols)
    with style_context():
        fig, axes = _new_figure(nrows, ncols, figsize=(5.6 * ncols, 3.5 * nrows), squeeze=False)
        flat = list(axes.ravel())
        for a in flat[n:]:
            a.set_visible(False)
        for a, (title, (what, runs)) in zip(flat, panels.items()):
            for i, (label, r) in enumerate(runs.items()):
                if what == "loss":
                    y = np.where(np.isfinite(r.loss), r.loss, np.nan)
                    a.plot(np.arange(len(y)), y, color=color(i), label=label)
                    a.set_yscale("log")
                    a.set_ylabel("loss ½λx² (log scale)")
                else:
                    a.plot(np.arange(len(r.lr)), r.lr * r.curvature, color=color(i), label=label)
                    a.set_ylabel("η_t · λ_t")
            finite = np.asarray([v for rr in runs.values() for v in rr.loss if np.isfinite(v) and v > 0])
            if what == "loss" and finite.size:  # at most 12 decades below the start: enough to see a run converge
                start = float(np.max([rr.loss[0] for rr in runs.values()]))
                a.set_ylim(max(finite.min(), start * 1e-12) / 2, finite.max() * 2)
            if title in edges:
                a.axhline(edges[title], color="#444444", ls="--", lw=1.3,
                          label=f"edge: ηλ = {edges[title]:g}" if what != "loss" else None)
            a.set_title(title)
            a.set_xlabel(STEP_LABEL)
            a.set_xlim(left=0)
            a.legend(loc="best", fontsize=8.5)
    return _finish(fig, True)


def _stable_marks(h: Any, stable: Callable[[Any], bool]) -> str:
    return "diverged" if h.diverged else ("stable" if stable(h) else "unstable")


def plot_stability_sweep(
    sweeps: Mapping[str, Mapping[float, Any]],
    stable: Callable[[Any], bool],
    *,
    title: str | None = None,
) -> Figure:
    """Final training loss and test accuracy against the peak learning rate, one colour per configuration.

    ``sweeps`` maps a label to ``{peak_lr: [History, ...]}`` (one History per seed). Every seed is a marker:
    filled when ``stable(history)`` holds, hollow when it trained but was not stable, and an ``x`` in the grey
    strip at the top when it diverged. The line is the median over *all* seeds, a diverged seed counting as the
    worst value (loss +inf, accuracy 0), so a configuration where most seeds fail has no line point there.
    The x ticks are the swept learning rates (log scale).
    """
    if not isinstance(sweeps, Mapping) or not sweeps:
        raise TypeError(f"sweeps must be a non-empty mapping label -> {{lr: Histories}}, got {type(sweeps).__name__}")
    if not callable(stable):
        raise TypeError(f"stable must be a callable History -> bool, got {type(stable).__name__}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    lines = {}
    for label, by_lr in sweeps.items():
        if not isinstance(label, str) or not isinstance(by_lr, Mapping) or not by_lr:
            raise TypeError(f"sweeps[{label!r}] must be a non-empty mapping lr -> list of Histories")
        pts = []
        for lr, hs in sorted(by_lr.items()):
            _check_positive("sweeps' learning rates", lr)
            hs = [hs] if _is_history(hs) else list(hs)
            if not hs or not all(map(_is_history, hs)):
                raise TypeError(f"sweeps[{label!r}][{lr!r}] must be a History or a list of Histories")
            pts.append((float(lr), hs))
        lines[label] = pts
    all_lrs = sorted({lr for pts in lines.values() for lr, _ in pts})

    def value(h: Any, metric: str) -> float:
        if h.diverged:
            return math.inf if metric == "loss" else 0.0
        if metric == "loss":
            return float(np.mean(np.asarray(h.loss)[-5:]))
        acc = h.eval.get("test_acc", [])
        return float(acc[-1]) if len(acc) else math.nan

    panels = (("loss", "final training loss (mean of last 5 updates, log)"), ("acc", "test accuracy"))
    n_lines = len(lines)
    with style_context():
        fig, axes = _new_figure(1, 2, figsize=(11.5, 4.4))
        for a, (metric, ylabel) in zip(axes, panels):
            for i, (label, pts) in enumerate(lines.items()):
                c = color(i)
                shift = (i - (n_lines - 1) / 2) * 0.035  # dodge the configurations sideways (log x)
                xs, meds = [], []
                for lr, hs in pts:
                    vals = np.asarray([value(h, metric) for h in hs])
                    x = lr * 10 ** shift
                    med = float(np.median(vals))
                    xs.append(lr)
                    meds.append(med if math.isfinite(med) else np.nan)
                    for h, v in zip(hs, vals):
                        kind = _stable_marks(h, stable)
                        if kind == "diverged":
                            continue
                        a.plot([x], [v], "o", ms=5, mec=c, mfc=c if kind == "stable" else "white", mew=1.3,
                               alpha=0.85, zorder=3)
                a.plot(xs, meds, "-", color=c, lw=2, zorder=2)
            a.set_xscale("log")
            if metric == "loss":
                a.set_yscale("log", nonpositive="mask")
            a.set_xticks(all_lrs, [f"{v:g}" for v in all_lrs])
            a.xaxis.set_minor_locator(mpl.ticker.NullLocator())
            a.set_xlabel("peak learning rate (log scale)")
            a.set_ylabel(ylabel)
            lo, hi = a.get_ylim()
            if metric == "loss":
                a.set_ylim(lo, lo * (hi / lo) ** (1 / 0.84))
            else:
                a.set_ylim(lo, lo + (hi - lo) / 0.84)
            a.add_patch(Rectangle((0, 0.87), 1, 0.13, transform=a.transAxes, color="#eeeeee", lw=0, zorder=0))
            a.text(0.01, 0.985, "diverged", transform=a.transAxes, ha="left", va="top", fontsize=8.5,
                   color="#555555", style="italic")
            trans = blended_transform_factory(a.transData, a.transAxes)
            for i, pts in enumerate(lines.values()):
                shift = (i - (n_lines - 1) / 2) * 0.035
                for lr, hs in pts:
                    k = sum(bool(h.diverged) for h in hs)
                    if k:
                        a.plot([lr * 10 ** shift], [0.945], marker="x", ms=8, mew=2, color=color(i), ls="none",
                               transform=trans, clip_on=False, zorder=4)
                        a.text(lr * 10 ** shift, 0.885, f"{k}/{len(hs)}", transform=trans, ha="center",
                               va="bottom", fontsize=7.5, color=color(i), zorder=4)
        handles = [Line2D([], [], color=color(i), lw=2, label=f"{label}: median over seeds")
                   for i, label in enumerate(lines)]
        handles += [
            Line2D([], [], ls="none", marker="o", ms=6, mec="#444444", mfc="#444444", label="one seed, stable"),
            Line2D([], [], ls="none", marker="o", ms=6, mec="#444444", mfc="white", label="one seed, unstable"),
            Line2D([], [], ls="none", marker="x", ms=8, mew=2, color="#444444",
                   label="k/n seeds diverged (median counts them as worst)"),
        ]
        fig.legend(handles=handles, loc="outside upper center", ncols=3, fontsize=8.5)
        if title:
            fig.suptitle(title)
    return _finish(fig, True)


def plot_first_updates(runs: Runs, *, steps: int = 40, weight_norm: str = "weight_norm") -> Figure:
    """Three titled panels over the first ``steps`` updates, one thin line per seed, one colour per configuration:
    the gradient norm ``||g||``, the update-to-parameter ratio ``||Δθ|| / ||θ||`` (all parameters), and the norm
    ``||W||`` of the weights that feed a BatchNorm (the probe ``weight_norm``, from the evaluations)."""
    data = _check_runs_mapping("runs", runs)
    steps = _check_int("steps", steps, 1, MAX_ITEMS)
    if not isinstance(weight_norm, str):
        raise TypeError(f"weight_norm must be a str (a probe name), got {weight_norm!r}")
    if not all(weight_norm in h.eval or hasattr(h, weight_norm) for hs in data.values() for h in hs):
        raise ValueError(f"weight_norm must name a probe every run recorded, got {weight_norm!r}")
    specs = (
        ("grad_norm", "gradient norm ||g|| (log)", "Gradient norm"),
        ("update_ratio", "||Δθ|| / ||θ|| (log)", "Update size relative to the parameters"),
        (weight_norm, "||W|| of the layers before BatchNorm", "Norm of the weights before BatchNorm"),
    )
    with style_context():
        fig, axes = _new_figure(1, 3, figsize=(13.5, 3.9))
        for a, (metric, ylabel, ptitle) in zip(axes, specs):
            for i, (label, hs) in enumerate(data.items()):
                for h in hs:
                    if metric in h.eval:
                        x, y = np.asarray(h.eval_step), np.asarray(h.eval[metric], dtype=float)
                        keep = x <= steps
                        a.plot(x[keep], y[keep], "o-", ms=3, lw=1.2, color=color(i), alpha=0.8)
                    else:
                        y = np.asarray(getattr(h, metric), dtype=float)[:steps]
                        y = np.where(y > 0, y, np.nan)
                        a.plot(np.arange(len(y)), y, lw=1.1, color=color(i), alpha=0.8)
            if metric != weight_norm:
                a.set_yscale("log")
            a.set_title(ptitle)
            a.set_ylabel(ylabel)
            a.set_xlabel(STEP_LABEL)
            a.set_xlim(0, steps)
        handles = [Line2D([], [], color=color(i), lw=2, label=f"{label} ({len(hs)} seeds, one line each)")
                   for i, (label, hs) in enumerate(data.items())]
        fig.legend(handles=handles, loc="outside upper center", ncols=len(handles))
    return _finish(fig, True)


def plot_sharpness(
    runs: Runs,
    edge: Callable[[float], float],
    *,
    warmup_steps: int | None = None,
    metric: str = "sharpness",
) -> Figure:
    """The sharpness against the edge of stability, one panel per configuration.

    Per panel: one thin line per seed, the median over seeds (bold) with its min-max band, the edge
    ``edge(η_t)`` of each update's learning rate (dashed; ``inf`` at ``η_t = 0`` is not drawn), and a dotted
    vertical line at update ``warmup_steps``. Log y axis covering every seed (nothing clipped).
    """
    data = _check_runs_mapping("runs", runs)
    if not callable(edge):
        raise TypeError(f"edge must be a callable lr -> threshold, got {type(edge).__name__}")
    if warmup_steps is not None:
        warmup_steps = _check_int("warmup_steps", warmup_steps, 1, MAX_ITEMS)
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a str (a probe name), got {metric!r}")
    if not any(metric in h.eval for hs in data.values() for h in hs):
        raise ValueError(f"metric must name a probe the runs recorded, got {metric!r}")
    with style_context():
        fig, axes = _new_figure(1, len(data), figsize=(5.8 * len(data), 4.3), sharey=True, squeeze=False)
        axes = list(axes[0])
        for k, (a, (label, hs)) in enumerate(zip(axes, data.items())):
            c = color(k)
            x = np.asarray(hs[0].eval_step)
            ys = [np.asarray(h.eval[metric], dtype=float) for h in hs if len(h.eval.get(metric, [])) == len(x)]
            if ys:  # evaluations where the probe was skipped (diagnostics.on_evaluations: nan in every run) are dropped
                kept = ~np.all(np.isnan(np.vstack(ys)), 0)
                x, ys = x[kept], [y[kept] for y in ys]
            for y in ys:
                a.plot(x, y, lw=0.8, color=c, alpha=0.45)
            if ys:
                stack = np.vstack(ys)
                a.fill_between(x, np.nanmin(stack, 0), np.nanmax(stack, 0), color=c, alpha=0.15, lw=0)
                a.plot(x, np.nanmedian(stack, 0), "o-", ms=3.5, lw=2.2, color=c)
            lrs = np.asarray(hs[0].lr, dtype=float)
            e = np.asarray([edge(float(v)) if v > 0 else np.nan for v in lrs])
            a.plot(np.arange(len(e)), e, "k--", lw=1.6)
            if warmup_steps is not None:
                a.axvline(warmup_steps, color="#666666", ls=":", lw=1.5)
            a.set_yscale("log")
            a.set_title(label)
            a.set_xlabel(STEP_LABEL)
            a.set_xlim(left=0)
        axes[0].set_ylabel("top Hessian eigenvalue λ (log scale)")
        handles = [
            Line2D([], [], color="#555555", lw=0.8, alpha=0.6, label="sharpness λ, one line per seed"),
            Line2D([], [], color="#555555", lw=2.2, marker="o", ms=3.5, label="median over seeds (band: min-max)"),
            Line2D([], [], color="k", ls="--", lw=1.6, label="edge of stability (2 + 2β) / η_t"),
        ]
        if warmup_steps is not None:
            handles.append(Line2D([], [], color="#666666", ls=":", lw=1.5,
                                  label=f"update {warmup_steps}: the warmup ends (right panel)"))
        fig.legend(handles=handles, loc="outside upper center", ncols=len(handles), fontsize=8.5)
    return _finish(fig, True)


# ------------------------------------------------------------------------------ notebooks 00, 02, 03 (issue 8)

#: Eight distinguishable colours: Okabe-Ito without its yellow (low contrast on white), plus Tol's wine.
_DARK8 = OKABE_ITO[:7] + ("#882255",)
_DASHES = ["-", "--", ":", "-."]


def _curves_mapping(name: str, value: Any) -> dict[str, np.ndarray]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping label -> values, got {describe(value)}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    out = {}
    for label, v in value.items():
        if not isinstance(label, str):
            raise TypeError(f"{name} labels must be strings, got {describe(label)}")
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{name}[{label!r}] must be an array of numbers, got {describe(v)}") from None
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"{name}[{label!r}] must be a non-empty 1-d array, got shape {arr.shape}")
        out[label] = arr
    return out


def plot_warmup_shapes(curves: Mapping[str, Any], *, zoom: int, title: str | None = None) -> Figure:
    """Warmup multipliers: left, every curve on a linear axis; right, the first ``zoom`` updates on a log axis whose
    bottom is the smallest positive value drawn (no empty decades). NaN values (e.g. RAdam before its
    rectification switches on) are left out. Eight colours without yellow, and four dash styles."""
    c = _curves_mapping("curves", curves)
    zoom = check_int("zoom", zoom, 2, MAX_ITEMS)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {describe(title)}")
    with style_context():
        fig, (lin, log) = _new_figure(1, 2, figsize=(11.5, 4.6))
        smallest = math.inf
        for i, (label, v) in enumerate(c.items()):
            kw = dict(color=_DARK8[i % 8], ls=_DASHES[i % 4], lw=2.2 if i % 4 == 0 else 1.9, label=label)
            lin.plot(np.arange(v.size), v, **kw)
            z = v[:zoom]
            log.plot(np.arange(z.size), np.where(z > 0, z, np.nan), **kw)
            if np.any(z > 0):
                smallest = min(smallest, float(np.nanmin(z[z > 0])))
        lin.set(xlabel=STEP_LABEL, ylabel="LR multiplier (of the peak)", title="linear y axis", ylim=(0, 1.04))
        log.set(xlabel=STEP_LABEL, ylabel="LR multiplier (log scale)", yscale="log",
                title=f"first {zoom} updates, log y axis (0 is not drawn)")
        if math.isfinite(smallest):
            log.set_ylim(smallest / 1.5, 1.3)
        fig.legend(*lin.get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize=9)
        if title:
            fig.suptitle(title)
    return _finish(fig, True)


def plot_first_step(sizes: Mapping[Any, Any], *, title: str | None = None) -> Figure:
    """Histograms of ``|Δθ| / lr`` after one update, one panel per optimizer: ``sizes[(optimizer, loss_scale)]`` is
    an array of per-weight step sizes (zeros, weights that got no gradient, are left out). Colour by optimizer,
    line style by loss scale, log x and log y, so a spike at 1 and a spread over decades are both visible."""
    if not isinstance(sizes, Mapping) or not sizes:
        raise TypeError(f"sizes must be a non-empty mapping (optimizer, loss_scale) -> array, got {describe(sizes)}")
    for key in sizes:
        if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str)):
            raise ValueError(f"sizes keys must be (optimizer name, loss scale) pairs, got {describe(key)}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {describe(title)}")
    names = list(dict.fromkeys(k[0] for k in sizes))
    with style_context():
        fig, axes = _new_figure(1, len(names), figsize=(5.4 * len(names), 4.0), sharey=True, squeeze=False)
        allv = np.concatenate([np.asarray(v, dtype=float).ravel() for v in sizes.values()])
        allv = allv[allv > 0]
        if allv.size == 0:
            raise ValueError("sizes must hold at least one positive step size")
        bins = np.logspace(math.floor(math.log10(allv.min())), math.ceil(math.log10(allv.max())) + 0.01, 70)
        for j, name in enumerate(names):
            ax = axes[0][j]
            for k, ((opt, scale), v) in enumerate((key, v) for key, v in sizes.items() if key[0] == name):
                v = np.asarray(v, dtype=float).ravel()
                ax.hist(v[v > 0], bins=bins, histtype="step", lw=2.2, color=_DARK8[j], ls=_DASHES[k % 4],
                        label=f"loss × {scale:g}")
            ax.axvline(1.0, color="#666666", lw=1, ls=":")
            ax.set(xscale="log", yscale="log", xlabel="|Δθ| / learning rate, one update", title=name)
            ax.legend(loc="upper left")
        axes[0][0].set_ylabel("number of weights (log scale)")
        if title:
            fig.suptitle(title)
    return _finish(fig, True)


def plot_seed_strip(values: Mapping[str, Any], *, ylabel: str, title: str | None = None,
                    reference: tuple[str, float] | None = None) -> Figure:
    """One column per configuration: every seed as a dot, the median as a bar (log y axis). ``reference`` =
    (label, y) draws a dotted horizontal line (e.g. the loss of a uniform guess)."""
    v = _curves_mapping("values", values)
    if not isinstance(ylabel, str):
        raise TypeError(f"ylabel must be a string, got {describe(ylabel)}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {describe(title)}")
    if reference is not None and not (isinstance(reference, tuple) and len(reference) == 2
                                      and isinstance(reference[0], str)):
        raise TypeError(f"reference must be a (label, y) pair or None, got {describe(reference)}")
    with style_context():
        fig, ax = _new_figure(figsize=(1.35 * len(v) + 3.2, 4.2))
        for i, (label, a) in enumerate(v.items()):
            jitter = np.linspace(-0.12, 0.12, a.size) if a.size > 1 else np.zeros(1)
            ax.plot(i + jitter, a, "o", color=_DARK8[i % 8], ms=6, alpha=0.85)
            ax.plot([i - 0.25, i + 0.25], [np.median(a)] * 2, color=_DARK8[i % 8], lw=3)
        if reference is not None:
            ax.axhline(reference[1], color="#666666", ls=":", lw=1.5)
            ax.annotate(reference[0], (len(v) - 0.5, reference[1]), xytext=(0, 4), textcoords="offset points",
                        ha="right", va="bottom", fontsize=9, color="#444444")
        ax.set_xticks(range(len(v)), list(v), rotation=0, fontsize=9)
        ax.set(yscale="log", ylabel=ylabel, xlim=(-0.6, len(v) - 0.4))
        ax.set_title((title + "\n" if title else "") + "dots: seeds; bars: median", fontsize=10)
    return _finish(fig, True)


def plot_warmup_lengths(points: Mapping[str, Any], *, ylabel: str, title: str | None = None) -> Figure:
    """``points[label] = (effective_length, per-seed values)``: per-seed dots and a median line against the effective
    warmup length, each point labelled with ``label`` (e.g. "W = 20"); log y axis."""
    if not isinstance(points, Mapping) or not points:
        raise TypeError(f"points must be a non-empty mapping label -> (length, values), got {describe(points)}")
    xs, ys, labels = [], [], []
    for label, p in points.items():
        if not (isinstance(label, str) and isinstance(p, tuple) and len(p) == 2):
            raise TypeError(f"points[{label!r}] must be a (length, values) pair, got {describe(p)}")
        xs.append(check_real(f"points[{label!r}] length", p[0], 0.0))
        ys.append(np.asarray(p[1], dtype=float))
        labels.append(label)
    if not isinstance(ylabel, str):
        raise TypeError(f"ylabel must be a string, got {describe(ylabel)}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {describe(title)}")
    with style_context():
        fig, ax = _new_figure(figsize=(7, 4.2))
        order = np.argsort(xs)
        med = [float(np.median(ys[k])) for k in order]
        ax.plot([xs[k] for k in order], med, "-", color=_DARK8[0], lw=2, label="median over seeds")
        for n, k in enumerate(order):
            ax.plot(np.full(ys[k].size, xs[k]), ys[k], "o", color=_DARK8[0], alpha=0.45, ms=5,
                    label="one seed" if n == 0 else None)
            ax.annotate(labels[k], (xs[k], med[n]), xytext=(6, 6), textcoords="offset points", fontsize=9)
        ax.set(yscale="log", xlabel="effective warmup length Σ(1 − ω_t) (updates)", ylabel=ylabel)
        if title:
            ax.set_title(title)
        ax.legend(loc="upper right")
    return _finish(fig, True)


__all__ += ["plot_warmup_shapes", "plot_first_step", "plot_seed_strip", "plot_warmup_lengths"]


# ------------------------------------------------------------------------------------------ LR range test (06)


def plot_range_test(
    results: Any,
    *,
    marks: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """The LR range test: training loss against the learning rate (log x), raw and smoothed, with the stop and
    the suggestions of :func:`warmup_course.experiments.lr_range_test`.

    Args:
        results: one :class:`~warmup_course.experiments.RangeTestResult` or ``{label: result}`` (e.g. seeds).
        marks: ``{label: lr}`` vertical reference lines, e.g. the largest lr that trained without warmup.
        ax: draw into this Axes.
        title: optional title.

    Each test is drawn as its raw batch losses (thin) and its smoothed loss (bold) up to where it stopped (``x``);
    the "minimum" suggestion (a tenth of the lr at the lowest smoothed loss) is a filled circle on the curve, the
    lowest point itself an open one.
    """
    if hasattr(results, "smoothed") and hasattr(results, "suggestions"):
        results = {"": results}
    if not isinstance(results, Mapping) or not results:
        raise TypeError(f"results must be a RangeTestResult or a non-empty {{label: RangeTestResult}}, "
                        f"got {type(results).__name__}")
    for k, r in results.items():
        if not isinstance(k, str):
            raise TypeError(f"results keys must be str labels, got {k!r}")
        if not (hasattr(r, "smoothed") and hasattr(r, "suggestions") and hasattr(r, "lrs")):
            raise TypeError(f"results[{k!r}] must be a RangeTestResult, got {type(r).__name__}")
    marks = dict(_check_mapping_06("marks", {} if marks is None else marks))
    for k, v in marks.items():
        if not isinstance(k, str):
            raise TypeError(f"marks keys must be str labels, got {k!r}")
        check_real(f"marks[{k!r}]", v, 0.0, low_open=True)
    _check_ax(ax)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    with style_context():
        own = ax is None
        if own:
            fig, ax = _new_figure(figsize=(7.5, 4.3))
        else:
            fig = ax.figure
        for i, (label, r) in enumerate(results.items()):
            c = color(i)
            end = len(r.lrs) if r.stop_step is None else r.stop_step + 1
            lrs, raw, sm = np.asarray(r.lrs[:end]), np.asarray(r.losses[:end]), np.asarray(r.smoothed[:end])
            ax.plot(lrs, raw, lw=0.7, alpha=0.35, color=c)
            name = label or "smoothed loss"
            ax.plot(lrs, sm, lw=2.0, color=c, label=name)
            if r.stop_step is not None and np.isfinite(sm[-1]):
                ax.plot(lrs[-1], sm[-1], "x", ms=9, mew=2, color=c)
            low = r.min_loss_lr
            j = int(np.argmin(np.abs(np.log(lrs) - math.log(low))))
            ax.plot(lrs[j], sm[j], "o", ms=8, mfc="white", mec=c, mew=1.8)
            s = r.suggestions["minimum"]
            k = int(np.argmin(np.abs(np.log(lrs) - math.log(s))))
            ax.plot(lrs[k], sm[k], "o", ms=7, color=c)
        styles = [":", "--", "-."]
        for i, (label, lr) in enumerate(marks.items()):
            ax.axvline(lr, color="#444444", ls=styles[i % len(styles)], lw=1.4, label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("training loss (cross-entropy, log scale)")
        handles, labels = ax.get_legend_handles_labels()
        handles += [Line2D([], [], color="#555555", lw=0.7, alpha=0.5),
                    Line2D([], [], ls="", marker="o", ms=8, mfc="white", mec="#555555", mew=1.8),
                    Line2D([], [], ls="", marker="o", ms=7, color="#555555"),
                    Line2D([], [], ls="", marker="x", ms=9, mew=2, color="#555555")]
        labels += ["raw batch loss", "lowest smoothed loss", "suggestion: a tenth of it (fastai 'minimum')",
                   "stop: the test diverged"]
        ax.legend(handles, labels, loc="lower left", fontsize=8.5)
        if title:
            ax.set_title(title)
    return _finish(fig, own)


# ------------------------------------------------------------------------------------------ monitor (05)


def plot_monitor(monitor: Any, *, title: str | None = None, layers: int = 0) -> Figure:
    """The :class:`~warmup_course.monitor.WarmupMonitor` dashboard: LR, loss, gradient norm and update ratio
    per update, one panel each over a shared step axis, with every flag marked where it fired (a triangle on
    its own panel; non-finite values and skipped AMP steps as vertical lines on all panels).

    ``layers``: also draw the update ratios of the ``layers`` tensors with the largest median ratio (needs
    ``per_layer=True``). The update-ratio panel shows the monitor's threshold and CS231n's 1e-3 rule of thumb.
    """
    for attr in ("lr", "loss", "grad_norm", "update_ratio", "flags", "ratio_threshold"):
        if not hasattr(monitor, attr):
            raise TypeError(f"monitor must be a WarmupMonitor, got {describe(monitor)}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {describe(title)}")
    layers = check_int("layers", layers, 0, 8)
    if layers and not getattr(monitor, "per_layer", False):
        raise ValueError("layers > 0 needs a WarmupMonitor(..., per_layer=True)")
    lr, loss, g, r = monitor.lr, monitor.loss, monitor.grad_norm, monitor.update_ratio
    steps = np.arange(len(lr))
    flags = monitor.flags
    with style_context():
        fig, axes = _new_figure(4, 1, figsize=(7.5, 7.4), sharex=True)
        panels = [
            (axes[0], lr, "learning rate", False, None),
            (axes[1], loss, "loss (log scale)", True, "loss spike"),
            (axes[2], g, "gradient norm ‖g‖\n(log scale)", True, "grad-norm spike"),
            (axes[3], r, "update ratio ‖ΔW‖/‖W‖\n(log scale)", True, "update ratio"),
        ]
        for ax, y, label, log, kind in panels:
            y = np.asarray(y, dtype=float)
            ok = np.isfinite(y) & ((y > 0) if log else True)
            ax.plot(steps[ok], y[ok], color=color(0), lw=1.4)
            if log and ok.any():
                ax.set_yscale("log")
            ax.set_ylabel(label)
            if kind is not None:
                hit = [f.step for f in flags if f.kind == kind and f.step < len(y) and np.isfinite(y[f.step])]
                if hit:
                    ax.plot(hit, y[hit], "v", color=color(3), ms=7, ls="", label=f"{kind} flag ({len(hit)})")
                    ax.legend(loc="best", fontsize=8.5)
        if layers:
            per = np.asarray(monitor.layer_update_ratio, dtype=float)
            with np.errstate(all="ignore"):
                med = np.array([np.nanmedian(np.where(np.isfinite(c), c, np.nan)) for c in per.T])
            weights = list(getattr(monitor, "weight_indices", range(len(med))))  # matrices, not biases/gains
            ranked = [j for j in np.argsort(-np.nan_to_num(med, nan=-1.0)) if j in weights]
            for k, j in enumerate(ranked[:layers]):
                y = per[:, j]
                ok = np.isfinite(y) & (y > 0)
                axes[3].plot(steps[ok], y[ok], color=color(k + 1), lw=0.9, alpha=0.8, label=monitor.layer_names[j])
        axes[3].axhline(monitor.ratio_threshold, color="#444444", ls="--", lw=1.2,
                        label=f"flag threshold {monitor.ratio_threshold:g}")
        axes[3].axhline(1e-3, color="#444444", ls=":", lw=1.2, label="rule of thumb 1e-3 (CS231n)")
        axes[3].legend(loc="best", fontsize=8.5)
        for f in flags:
            if f.kind in ("non-finite", "skipped step"):
                for ax in axes:
                    ax.axvline(f.step, color=color(3) if f.kind == "non-finite" else color(4), lw=1.0,
                               ls="-" if f.kind == "non-finite" else "--", alpha=0.8)
        axes[3].set_xlabel(STEP_LABEL)
        if title:
            axes[0].set_title(title)
    return _finish(fig, True)


__all__ += ["plot_monitor"]


def composition_values(
    warmup_steps: int, total_steps: int, decay: str = "cosine", cycle_steps: int = 0, cycle_floor: float = 0.5
) -> dict[str, np.ndarray]:
    """The factors and the products :func:`plot_composition` draws, as arrays over ``t = 0 .. total_steps - 1``.

    Keys: ``"warmup"`` (linear over W), ``"decay"`` (``decay`` over the whole run, started at update 0),
    ``"cycle"`` (SGDR cycles, ``cosine_restarts(cycle_steps, min_factor=cycle_floor)``; 1 when ``cycle_steps`` is 0),
    ``"product"`` (their product on one clock, :func:`~warmup_course.schedules.product`, as torch's
    ``ChainedScheduler`` multiplies) and ``"with_warmup"`` (the warmup, then the decay × cycle started at W: the
    prefix convention of HF and of :func:`~warmup_course.schedules.with_warmup`).
    """
    from warmup_course import cycles, schedules  # numpy-only modules

    total_steps = check_int("total_steps", total_steps, 2, 100_000)
    warmup_steps = check_int("warmup_steps", warmup_steps, 0, total_steps - 1)
    decay = check_choice("decay", decay, ("constant", "linear", "cosine", "1-sqrt"))
    cycle_steps = check_int("cycle_steps", cycle_steps, 0, total_steps)
    cycle_floor = check_real("cycle_floor", cycle_floor, 0.0, 1.0)

    def make_decay(n: int) -> Any:
        return {"constant": schedules.constant(), "linear": schedules.linear_decay(n),
                "cosine": schedules.cosine_decay(n), "1-sqrt": schedules.sqrt_decay(n)}[decay]

    warm = schedules.linear_warmup(warmup_steps)
    cyc = cycles.cosine_restarts(cycle_steps, min_factor=cycle_floor) if cycle_steps else schedules.constant()
    prod = schedules.product(warm, make_decay(total_steps), cyc)
    prefix = schedules.with_warmup(warm, schedules.product(make_decay(total_steps - warmup_steps), cyc),
                                   warmup_steps)
    n = total_steps
    return {"warmup": warm.values(n), "decay": make_decay(total_steps).values(n), "cycle": cyc.values(n),
            "product": prod.values(n), "with_warmup": prefix.values(n)}


def plot_composition(
    warmup_steps: int = 20, total_steps: int = 200, decay: str = "cosine", cycle_steps: int = 0,
    cycle_floor: float = 0.5,
) -> Figure:
    """Warmup × decay × cycle: the three factors (left) and two ways to combine them (right).

    Right: their product on one clock (``schedules.product``; torch's ``ChainedScheduler``), and the warmup as a
    prefix followed by decay × cycle on their own clock (``schedules.with_warmup``; HF's convention). With a decay
    the product never reaches the peak: the decay has already run for W updates when the warmup ends.
    Arguments as :func:`composition_values`.
    """
    v = composition_values(warmup_steps, total_steps, decay, cycle_steps, cycle_floor)
    t = np.arange(total_steps)
    with style_context():
        fig, (a, b) = _new_figure(1, 2, figsize=(10.5, 4.6), sharey=True)
        a.plot(t, v["warmup"], color=color(0), label=f"warmup (linear, W = {warmup_steps})")
        a.plot(t, v["decay"], color=color(1), label=f"decay ({decay}, from update 0)")
        a.plot(t, v["cycle"], color=color(2), ls="--",
               label=f"cycle (cosine restarts every {cycle_steps} updates)" if cycle_steps else "cycle (none)")
        a.set_title("the factors")
        b.plot(t, v["product"], color=color(3), label="product on one clock (ChainedScheduler)")
        b.plot(t, v["with_warmup"], color=color(4), ls="--", label="warmup, then the rest from W (HF, with_warmup)")
        b.set_title(f"combined: product peaks at {v['product'].max():.2f}")
        for ax in (a, b):
            ax.set_xlabel(STEP_LABEL)
            ax.set_ylim(-0.03, 1.08)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8.5)
        a.set_ylabel("LR multiplier (× peak)")
    return _finish(fig, True)


# ------------------------------------------------------------------------------------------ warmup-length sweep (05)


def plot_length_sweep(
    values: Mapping[int, Any], steps: int, *, ylabel: str, title: str | None = None, reference: tuple[str, float] | None = None
) -> Figure:
    """``values[W]`` = per-seed results of a run with a linear warmup of ``W`` updates out of ``steps``: one dot per
    seed and the median, against the warmup length on an evenly spaced axis labelled with ``W`` and its share of the
    run; log y axis (a sweep spans decades). ``reference``: an optional ``(label, y)`` horizontal line (e.g. the loss of
    a uniform guess)."""
    if not isinstance(values, Mapping) or not values:
        raise TypeError(f"values must be a non-empty mapping warmup length -> per-seed values, got {describe(values)}")
    lengths = sorted(check_int("values key", w, 0, MAX_ITEMS) for w in values)
    steps = check_int("steps", steps, 1, MAX_ITEMS)
    ys = [check_array(f"values[{w}]", values[w], ndim=1) for w in lengths]
    if not isinstance(ylabel, str):
        raise TypeError(f"ylabel must be a string, got {describe(ylabel)}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {describe(title)}")
    if reference is not None and not (isinstance(reference, tuple) and len(reference) == 2 and isinstance(reference[0], str)):
        raise TypeError(f"reference must be a (label, y) pair or None, got {describe(reference)}")
    with style_context():
        fig, ax = _new_figure(figsize=(7, 4.2))
        x = np.arange(len(lengths))
        for k, y in enumerate(ys):
            ax.plot(np.full(y.size, x[k]), y, "o", color=_DARK8[0], alpha=0.45, ms=5, label="one seed" if k == 0 else None)
        ax.plot(x, [float(np.median(y)) for y in ys], "-", color=_DARK8[0], lw=2, label="median over seeds")
        if reference is not None:
            ax.axhline(check_real("reference y", reference[1], 0.0, low_open=True), color="k", ls="--", lw=1.2,
                       label=reference[0])
        ax.set_xticks(x, [f"{w}\n{100 * w / steps:.0f} %" for w in lengths])
        ax.set(yscale="log", xlabel="warmup length W (updates, share of the run)", ylabel=ylabel)
        if title:
            ax.set_title(title)
        ax.legend(loc="center right")
    return _finish(fig, True)


__all__ += ["plot_length_sweep"]
