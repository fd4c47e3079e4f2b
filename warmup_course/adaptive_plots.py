"""Figures of notebook 08 (adaptive warmup): the lr each controller chose, the peak-lr sweep, the loss-gap replay.

* :func:`plot_emerging_lrs` -- the lr per update that each controller chose, next to the hand-tuned linear
  warmup, one panel per task.
* :func:`plot_peak_sweep` -- final test loss (median over seeds) against the peak lr, one line per method, with
  the number of failed seeds written at each point.
* :func:`loss_gap_replay` / :func:`loss_gap_figure` -- the lr the loss-gap rule would choose along a recorded
  loss curve (open loop: the loss is taken as given), for the explorer's sliders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from warmup_course.adaptive import loss_gap_constants
from warmup_course.plotting import color, style_context
from warmup_course.validation import MAX_ITEMS, check_array, check_int, check_mapping, check_real, check_str

__all__ = ["loss_gap_figure", "loss_gap_replay", "plot_emerging_lrs", "plot_peak_sweep"]


def plot_emerging_lrs(panels: Mapping[str, Mapping[str, Any]], targets: Mapping[str, float]) -> Figure:
    """``panels``: ``{panel title: {method: History}}``; ``targets``: ``{panel title: peak lr}``.

    Each line is ``History.lr / target`` against the update; a method named ``"linear"`` is drawn dashed black
    (the hand-tuned reference). The y axis is logarithmic: the controllers start at 10 % of the target.
    """
    check_mapping("panels", panels)
    if not panels:
        raise ValueError("panels must hold at least one panel")
    check_mapping("targets", targets, keys=list(panels))
    with style_context():
        fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), layout="constrained", squeeze=False)
        for ax, (title, runs) in zip(axes[0], panels.items()):
            target = check_real(f"targets[{title!r}]", targets[title], 0.0, low_open=True)
            for i, (name, h) in enumerate(check_mapping(f"panels[{title!r}]", runs).items()):
                style = {"color": "black", "ls": "--", "lw": 1.6} if name == "linear" else {"color": color(i + 1)}
                ax.plot(np.asarray(h.step), np.asarray(h.lr) / target, label=name, **style)
            ax.set_yscale("log")
            ax.set_ylim(1e-2, 2.0)
            ax.axhline(1.0, color="grey", lw=0.8)
            ax.set_xlabel("update t")
            ax.set_ylabel("learning rate / target lr")
            ax.set_title(f"{title} (target {target:g})")
            ax.legend(loc="lower right", fontsize=8.5)
        fig.set_facecolor("white")
    plt.close(fig)
    return fig


def plot_peak_sweep(table: Mapping[str, Mapping[float, Sequence[float]]], failures: Mapping[str, Mapping[float, int]],
                    *, title: str, ylabel: str = "test error (median over seeds)") -> Figure:
    """``table[method][peak_lr]``: per-seed values (a diverged run should carry its chance-level value);
    the line is the median over seeds, and ``failures[method][peak_lr]`` (the failed seeds) is written next to the
    point when > 0. Log axes, x ticks at the peak lrs tried."""
    check_mapping("table", table)
    if not table:
        raise ValueError("table must hold at least one method")
    check_mapping("failures", failures, keys=list(table))
    check_str("title", title, nonempty=False)
    check_str("ylabel", ylabel, nonempty=False)
    markers = "osD^vP*X"
    with style_context():
        fig, ax = plt.subplots(figsize=(7.2, 4.2), layout="constrained")
        ticks: set[float] = set()
        for i, (name, per_lr) in enumerate(table.items()):
            lrs = sorted(per_lr)
            ticks.update(lrs)
            med = [float(np.median(np.asarray(per_lr[lr], dtype=float))) for lr in lrs]
            style = {"color": "black", "ls": "--"} if name == "linear" else {"color": color(i)}
            ax.plot(lrs, med, marker=markers[i % len(markers)], ms=7, label=name, alpha=0.9, **style)
            for lr, v in zip(lrs, med):
                n = failures[name].get(lr, 0)
                if n:
                    ax.annotate(f"{n}✗", (lr, v), textcoords="offset points", xytext=(6, -3 - 9 * (i % 3)),
                                fontsize=8, color=style["color"])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sorted(ticks), [f"{t:g}" for t in sorted(ticks)])
        ax.minorticks_off()
        ax.set_xlabel("peak learning rate")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(fontsize=8.5, loc="upper left")
        fig.set_facecolor("white")
    plt.close(fig)
    return fig


def loss_gap_replay(losses: Any, target_lr: float, delta_peak: float, *, beta: float = 0.9,
                    loss_star: float = 0.0, start_factor: float = 0.1) -> np.ndarray:
    """The lr of :class:`~warmup_course.adaptive.LossGapWarmup` along ``losses`` (update 0: ``start_factor x
    target``; update t+1: the rule at the EMA of losses 0..t), as if the loss did not depend on the lr."""
    losses = check_array("losses", losses, nonempty=True, finite=True)
    target_lr = check_real("target_lr", target_lr, 0.0, low_open=True)
    delta_peak = check_real("delta_peak", delta_peak, 0.0, low_open=True)
    beta = check_real("beta", beta, 0.0, 1.0, high_open=True)
    loss_star = check_real("loss_star", loss_star)
    start_factor = check_real("start_factor", start_factor, 0.0, 1.0, low_open=True)
    k0, krho = loss_gap_constants(target_lr, delta_peak)
    out = [start_factor * target_lr]
    ema = None
    for loss in losses[:-1]:
        ema = loss if ema is None else beta * ema + (1 - beta) * loss
        d = max(ema - loss_star, 1e-12)
        out.append(min(target_lr, max(1e-3 * target_lr, d / (k0 + krho * d * d))))
    return np.asarray(out)


def loss_gap_figure(losses: Any, target_lr: float, delta_peak: float, *, linear_w: int = 20) -> Figure:
    """Left: the recorded loss and the peak gap ``D*``; right: the lr the loss-gap rule picks along it, next to
    linear warmup over ``linear_w`` updates."""
    lr = loss_gap_replay(losses, target_lr, delta_peak)
    linear_w = check_int("linear_w", linear_w, 1, MAX_ITEMS)
    losses = np.asarray(losses, dtype=float)
    t = np.arange(len(losses))
    with style_context():
        fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
        ema = np.empty_like(losses)
        ema[0] = losses[0]
        for i in range(1, len(losses)):  # the rule's running average (beta = 0.9), what it compares with D*
            ema[i] = 0.9 * ema[i - 1] + 0.1 * losses[i]
        a.plot(t, losses, color=color(0), lw=1.2, label="recorded training loss")
        a.plot(t, ema, color=color(0), ls="--", label="its running average (β = 0.9)")
        a.axhline(delta_peak, color=color(1), ls=":", label=f"D* = {delta_peak:.2g} (the lr peaks here)")
        a.set_yscale("log")
        a.set_xlabel("update t")
        a.set_ylabel("training loss")
        a.legend(fontsize=8.5)
        # Absolute lr on a fixed axis, so that moving the target (the explorer's slider) visibly rescales the ramp.
        b.plot(t, lr, color=color(1), label="loss-gap rule")
        b.plot(t, target_lr * np.minimum(1.0, t / linear_w), color="black", ls="--",
               label=f"linear warmup, W = {linear_w}")
        b.set_ylim(0, max(13.5, 1.05 * target_lr))
        b.set_title(f"target lr {target_lr:g}")
        b.set_xlabel("update t")
        b.set_ylabel("learning rate")
        b.legend(fontsize=8.5, loc="lower right")
        fig.set_facecolor("white")
    plt.close(fig)
    return fig
