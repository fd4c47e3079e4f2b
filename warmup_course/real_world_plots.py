"""Figures of notebook 07 (Transformers and the real world): inside a failed run, published schedules at true scale.

Same conventions as :mod:`warmup_course.plotting` (its style, colours and step label; every function returns a
closed Figure that the notebook shows once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib import ticker as mpl_ticker
from matplotlib.lines import Line2D

from warmup_course.plotting import STEP_LABEL, _finish, _new_figure, color, style_context
from warmup_course.recipes import Recipe
from warmup_course.validation import check_mapping, check_str, describe


def _check_recipes(recipes: Any) -> Sequence[Recipe]:
    if isinstance(recipes, (str, bytes, Mapping)) or not isinstance(recipes, Sequence) or not recipes \
            or not all(isinstance(r, Recipe) for r in recipes):
        raise TypeError(f"recipes must be a non-empty sequence of Recipe, got {describe(recipes)}")
    return recipes

__all__ = ["plot_inside_runs", "plot_recipe_stretch", "plot_recipes"]


def plot_inside_runs(
    runs: Mapping[str, Sequence[Any]],
    grad_norms: Mapping[str, np.ndarray],
    probes: Sequence[str] = ("attn_entropy", "dead_relu"),
) -> Figure:
    """Left: gradient norm of each encoder layer at initialisation (one line per arrangement). Then one panel per
    probe over updates: the median over seeds with a min-max band, one colour per run name."""
    check_mapping("runs", runs)
    check_mapping("grad_norms", grad_norms)
    if not runs or not grad_norms:
        raise ValueError("runs and grad_norms must not be empty")
    if isinstance(probes, (str, bytes)) or not isinstance(probes, Sequence) or not probes:
        raise TypeError(f"probes must be a non-empty sequence of eval metric names, got {describe(probes)}")
    for probe in probes:
        check_str("probes", probe)
        for name, hs in runs.items():
            if not hs or probe not in getattr(hs[0], "eval", {}):
                raise ValueError(f"probes: {probe!r} is not an eval metric of runs[{name!r}]")
    labels = {"attn_entropy": "attention entropy / ln L", "dead_relu": "fraction of dead FF ReLUs"}
    with style_context():
        fig, axes = _new_figure(1, 1 + len(probes), figsize=(4.2 * (1 + len(probes)), 3.6))
        ax = axes[0]
        for i, (name, g) in enumerate(grad_norms.items()):
            g = np.asarray(g, dtype=float)
            ax.plot(np.arange(1, len(g) + 1), g, "o-", color=color(i), label=name)
        ax.set_xlabel("encoder layer (1 = first)")
        ax.set_ylabel("||∇ layer parameters||")
        ax.set_title("gradients at initialisation")
        ax.set_ylim(bottom=0)
        ax.legend()
        for ax, probe in zip(axes[1:], probes):
            for i, (name, hs) in enumerate(runs.items()):
                steps = np.asarray(hs[0].eval_step)
                vals = np.array([np.asarray(h.eval[probe], dtype=float) for h in hs])
                ax.fill_between(steps, vals.min(0), vals.max(0), color=color(i), alpha=0.2, lw=0)
                ax.plot(steps, np.median(vals, 0), color=color(i), label=name)
            ax.set_xlabel(STEP_LABEL)
            ax.set_ylabel(labels.get(probe, probe))
            ax.set_title(labels.get(probe, probe) + " during training")
        axes[1].legend(title="median, min-max band", fontsize=8.5, title_fontsize=8.5)
    return _finish(fig, True)


def plot_recipes(recipes: Sequence[Recipe]) -> Figure:
    """Left: every recipe's LR multiplier over its whole run, on one logarithmic update axis (true scale: a
    warmup of 2,000 updates sits at the same place for every recipe). Right: warmup as a share of the run against
    the year, pre-training and fine-tuning marked apart."""
    _check_recipes(recipes)
    with style_context():
        fig, (ax, bx) = _new_figure(1, 2, figsize=(12.5, 5.6), width_ratios=(1.5, 1))
        styles = ("-", "--", "-.", ":")
        for i, r in enumerate(recipes):
            t = np.unique(np.geomspace(1, r.total, 600).round())
            ax.plot(t, r.schedule()(t), color=color(i % 7), ls=styles[(i // 7) % 4], lw=1.5, label=r.name)
        ax.set_xscale("log")
        ax.set_xlabel(STEP_LABEL + ", log scale")
        ax.set_ylabel("learning rate / peak")
        ax.set_title("each recipe over its whole run")
        ax.set_ylim(0, 1.05)
        ax.axvline(2000, color="#888888", ls=":", lw=1)
        ax.annotate("2,000 updates", (2000, 1.02), fontsize=8, ha="right", xytext=(-3, 0), textcoords="offset points")
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize=8)
        for i, r in enumerate(sorted(recipes, key=lambda r: (r.year, r.warmup_share))):
            fine = r.kind == "fine-tuning"
            y = 100 * r.warmup_share
            bx.scatter(r.year, y, marker="s" if fine else "o", color=color(3) if fine else color(0), zorder=3)
            # alternate label sides so neighbours of the same year do not overlap
            dx, ha = (6, "left") if i % 2 == 0 else (-6, "right")
            bx.annotate(r.name, (r.year, y), fontsize=7, xytext=(dx, 0), textcoords="offset points", ha=ha,
                        va="center")
        bx.set_yscale("log")
        bx.set_xlabel("year published")
        bx.set_ylabel("warmup, % of the run's updates")
        bx.set_title("warmup share of published recipes")
        years = [r.year for r in recipes]
        bx.set_xlim(min(years) - 1.6, max(years) + 1.6)
        bx.xaxis.set_major_locator(mpl_ticker.MaxNLocator(integer=True))
        bx.legend(handles=[Line2D([], [], marker="o", ls="", color=color(0), label="pre-training"),
                           Line2D([], [], marker="s", ls="", color=color(3), label="fine-tuning")],
                  loc="lower left")
    return _finish(fig, True)


def plot_recipe_stretch(recipes: Sequence[Recipe], name: str, stretch: float) -> Figure:
    """One recipe's schedule with its run ``stretch`` times as long and the same warmup in updates: the warmup
    share shrinks as the run grows (the published recipe drawn faintly for comparison)."""
    from dataclasses import replace

    from warmup_course.validation import check_real, check_str

    _check_recipes(recipes)
    check_str("name", name)
    stretch = check_real("stretch", stretch, 0.01, 100.0)
    found = [r for r in recipes if isinstance(r, Recipe) and r.name == name]
    if not found:
        raise ValueError(f"name must be one of the recipes' names, got {name!r}")
    r = found[0]
    total = max(r.warmup + 1, round(r.total * stretch))
    stretched = replace(r, total=total)
    with style_context():
        fig, ax = _new_figure(figsize=(8, 3.6))
        t = np.unique(np.geomspace(1, max(total, r.total), 1500).round())
        ax.plot(t, np.where(t <= r.total, r.schedule()(np.minimum(t, r.total)), np.nan), color="#999999", lw=1.2,
                label=f"published: {r.total:,} updates, warmup {100 * r.warmup_share:.2g} %")
        ax.plot(t, np.where(t <= total, stretched.schedule()(np.minimum(t, total)), np.nan), color=color(0),
                label=f"run × {stretch:.2g}: {total:,} updates, warmup {100 * stretched.warmup_share:.2g} %")
        ax.axvline(r.warmup, color=color(3), ls=":", lw=1.2, label=f"end of warmup: update {r.warmup:,}")
        ax.set_xlabel(STEP_LABEL)
        ax.set_ylabel("learning rate / peak")
        ax.set_xscale("log")
        ax.set_title(f"{r.name}: the same warmup in a run of another length")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=8.5, loc="lower left")
    return _finish(fig, True)
