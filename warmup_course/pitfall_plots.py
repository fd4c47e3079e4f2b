"""Figures for notebook 04 (warmup pitfalls): the LR each update used, against the schedule it should have
followed, and the loss where the mistake costs accuracy. Plotting layer: matplotlib is imported here only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from warmup_course.plotting import STEP_LABEL, color, style_context
from warmup_course.validation import check_array, check_bool, check_mapping, check_str, describe

__all__ = ["plot_pitfall"]

_STYLES = ["-", "--", ":", "-."]


def _lrs_of(run: Any) -> np.ndarray:
    lrs = getattr(run, "lrs", run)
    arr = np.asarray(lrs, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"runs values must be PitfallRuns or 1-D LR arrays, got shape {arr.shape}")
    return arr


def plot_pitfall(
    runs: Mapping[str, Any],
    *,
    title: str,
    expected: Any = None,
    loss: bool = False,
    relative: bool = True,
    marks: Sequence[int] = (),
) -> Figure:
    """One panel of the LR per update for each run (a :class:`~warmup_course.pitfalls.PitfallRun` or an array),
    the ``expected`` LRs as a wide grey band (default: the first run's expected schedule), and, with ``loss``,
    a second panel of the training loss (log scale). ``relative`` divides LRs by the run's peak LR;
    ``marks`` draws dotted vertical lines at those updates (a resume, the end of the schedule...)."""
    check_mapping("runs", runs)
    if not runs:
        raise ValueError("runs must not be empty")
    check_str("title", title)
    loss = check_bool("loss", loss)
    relative = check_bool("relative", relative)
    if isinstance(marks, (str, bytes)) or not isinstance(marks, Sequence):
        raise TypeError(f"marks must be a sequence of update indices, got {describe(marks)}")
    if expected is not None:
        expected = check_array("expected", expected, ndim=1, finite=True)
    first = next(iter(runs.values()))
    peak = float(getattr(first, "peak_lr", 1.0)) if relative else 1.0
    if expected is None and getattr(first, "expected", None) is not None:
        n = max(len(_lrs_of(r)) for r in runs.values())
        expected = first.peak_lr * first.expected.values(n)
    with style_context():
        fig, axes = plt.subplots(1, 2 if loss else 1, figsize=(11 if loss else 7.5, 3.9), layout="constrained",
                                 squeeze=False)
        ax = axes[0][0]
        if expected is not None:
            exp = np.asarray(expected, dtype=np.float64)
            ax.plot(np.arange(len(exp)), exp / peak, color="#b0b0b0", lw=7, alpha=0.7, label="expected schedule")
        for i, (label, run) in enumerate(runs.items()):
            lrs = _lrs_of(run)
            ax.plot(np.arange(len(lrs)), lrs / peak, _STYLES[i % 4], color=color(i), lw=2.2, label=label)
        for m in marks:
            ax.axvline(int(m), color="0.3", ls=":", lw=1)
        ax.set(xlabel=STEP_LABEL, ylabel="LR / peak LR" if relative else "learning rate", title="LR each update used")
        ax.legend(fontsize=8)
        if loss:
            axl = axes[0][1]
            for i, (label, run) in enumerate(runs.items()):
                losses = getattr(run, "losses", None)
                if losses is not None:
                    axl.plot(np.arange(len(losses)), losses, _STYLES[i % 4], color=color(i), lw=1.6, label=label)
            axl.set(xlabel=STEP_LABEL, ylabel="training loss", yscale="log", title="training loss")
            axl.legend(fontsize=8)
        fig.suptitle(title)
    plt.close(fig)
    return fig
