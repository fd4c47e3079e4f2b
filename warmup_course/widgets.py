"""An interactive schedule explorer: warmup shape, warmup length, peak LR and decay on sliders.

::

    from warmup_course.widgets import schedule_explorer, explorer_figure
    schedule_explorer()                                      # the widget (put it in a cell tagged nbval-ignore-output)
    explorer_figure(shape="exponential", warmup_steps=200)   # the same figure from a plain cell

The widget's callback calls :func:`explorer_figure`, the function a plain cell can call, so what the sliders
show is exactly what the course's code computes. Sliders redraw on release (``continuous_update=False``).

How the pieces combine: the learning rate at update ``t`` is ``peak_lr · warmup(t) · decay(t)``, where the
decay part is 1 during the first ``warmup_steps`` updates and then runs over the remaining
``total_steps - warmup_steps`` (the total includes the warmup, as everywhere in
:mod:`warmup_course.schedules`). For warmups that reach 1 at ``warmup_steps`` this is exactly
:func:`~warmup_course.schedules.with_warmup`; an exponential warmup never quite reaches 1, and the product
(pytorch_warmup's convention: the warmup factor multiplies the base schedule) keeps the curve continuous.

Shapes (Ma & Yarats 2019, https://arxiv.org/abs/1910.04209, for the matching rules):

- ``"linear"``: :func:`~warmup_course.schedules.linear_warmup` over W updates.
- ``"exponential"``: ``1 - exp(-t/τ)`` with ``τ = W / 2``, which gives it the same effective warmup length
  ``Σ(1 - ω_t) ≈ W/2`` as linear warmup over W.
- ``"geometric"``: constant ratio per update from ``start_factor`` (default 0.01) to 1 at W.
- ``"untuned"``: linear warmup over ``2 / (1 - β₂)`` updates (the ``warmup_steps`` slider is then unused).
- ``"none"``: no warmup.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from matplotlib.figure import Figure

from warmup_course import schedules as S
from warmup_course.plotting import plot_schedules
from warmup_course.validation import check_int as _check_int

__all__ = ["SHAPES", "DECAYS", "explorer_values", "explorer_figure", "schedule_explorer", "ScheduleExplorer"]

SHAPES = ("linear", "exponential", "geometric", "untuned", "none")
DECAYS = ("constant", "cosine", "linear", "inverse sqrt", "wsd")
#: Fraction of the run after warmup that warmup-stable-decay spends decaying (Hägele et al. 2024 use ~20 %).
WSD_DECAY_FRACTION = 0.2



def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def _warmup_length(shape: str, warmup_steps: int, beta2: float) -> int:
    if shape == "none":
        return 0
    if shape == "untuned":
        return int(math.floor(2.0 / (1.0 - beta2) + 0.5))  # the rounding untuned_warmup uses
    return warmup_steps


def explorer_values(
    shape: str = "linear",
    warmup_steps: int = 100,
    decay: str = "cosine",
    total_steps: int = 1000,
    *,
    beta2: float = 0.99,
    start_factor: float = 0.01,
) -> tuple[np.ndarray, str]:
    """The multipliers ``warmup(t) · decay(t)`` for ``t < total_steps`` and a one-line description.

    See the module docstring for how each shape and decay is built from :mod:`warmup_course.schedules`.
    """
    values, _, desc = _build(shape, warmup_steps, decay, total_steps, beta2, start_factor)
    return values, desc


def _build(
    shape: str, warmup_steps: int, decay: str, total_steps: int, beta2: float, start_factor: float
) -> tuple[np.ndarray, np.ndarray, str]:
    """(warmup x decay, the decay part alone, description)."""
    shape = _check_choice("shape", shape, SHAPES)
    decay = _check_choice("decay", decay, DECAYS)
    warmup_steps = _check_int("warmup_steps", warmup_steps, 0)
    total_steps = _check_int("total_steps", total_steps, 1)
    if isinstance(beta2, bool) or not isinstance(beta2, numbers.Real) or not 0.0 < beta2 < 1.0:
        raise ValueError(f"beta2 must be a number in (0, 1), got {beta2!r}")
    w_len = _warmup_length(shape, warmup_steps, float(beta2))
    if shape in ("linear", "exponential", "geometric") and w_len == 0:
        shape = "none"
    if w_len >= total_steps:
        what = f"the untuned warmup 2/(1-beta2) = {w_len}" if shape == "untuned" else f"warmup_steps={w_len}"
        raise ValueError(f"total_steps={total_steps} must exceed {what} (the total includes the warmup)")
    if shape == "linear":
        warm, desc = S.linear_warmup(w_len), f"linear warmup, W={w_len}"
    elif shape == "exponential":
        warm, desc = S.exponential_warmup(w_len / 2), f"exponential warmup, τ={w_len / 2:g}"
    elif shape == "geometric":
        warm, desc = S.geometric_warmup(w_len, start_factor), f"geometric warmup from {start_factor:g}, W={w_len}"
    elif shape == "untuned":
        warm, desc = S.untuned_warmup(float(beta2)), f"untuned warmup (β₂={float(beta2):g}, W={w_len})"
    else:
        warm, desc = S.constant(), "no warmup"
    rest = total_steps - w_len
    if decay == "constant":
        after = S.constant()
    elif decay == "cosine":
        after = S.cosine_decay(rest)
    elif decay == "linear":
        after = S.linear_decay(rest)
    elif decay == "inverse sqrt":
        after = S.inverse_sqrt_decay(max(w_len, 1))
    else:
        d = max(1, round(WSD_DECAY_FRACTION * rest))
        after = S.warmup_stable_decay(0, d, rest)
    decay_part = S.with_warmup(S.constant(), after, w_len).values(total_steps)
    values = warm.values(total_steps) * decay_part
    desc = f"{desc}; {decay} decay" if decay != "constant" else f"{desc}; then constant"
    return values, decay_part, desc


def explorer_figure(
    shape: str = "linear",
    warmup_steps: int = 100,
    peak_lr: float = 1e-3,
    decay: str = "cosine",
    total_steps: int = 1000,
    log: bool = False,
    *,
    beta2: float = 0.99,
    compare_none: bool = True,
) -> Figure:
    """The explorer's figure: the chosen schedule (and, dashed, the same without its warmup factor), in LR units.

    ``log=True`` uses a log y axis. Arguments as in :func:`explorer_values`; the figure is returned closed
    in pyplot (see :mod:`warmup_course.plotting`), so end a cell with it to show it.
    """
    values, decay_part, desc = _build(shape, warmup_steps, decay, total_steps, beta2, 0.01)
    curves: dict[str, Any] = {desc: values}
    if compare_none and shape != "none":
        curves["the same without the warmup factor"] = decay_part
    if not isinstance(log, (bool, np.bool_)):
        raise TypeError(f"log must be True or False, got {log!r}")
    fig = plot_schedules(curves, total_steps, peak_lr=peak_lr, log=bool(log))
    fig.set_size_inches(7.0, 4.2)
    if compare_none and len(fig.axes[0].lines) > 1:
        fig.axes[0].lines[1].set(linestyle="--", linewidth=1.3, alpha=0.8, zorder=1.5)
        for handle in fig.legends[0].legend_handles[1:]:
            handle.set(linestyle="--", linewidth=1.3, alpha=0.8)
    return fig


class ScheduleExplorer(w.VBox):
    """The explorer widget: controls above, figure below. ``figure`` and ``params()`` are for tests and
    for reusing the current setting in code (``explorer_figure(**explorer.params())``)."""

    def __init__(self, **defaults: Any) -> None:
        p = {"shape": "linear", "warmup_steps": 100, "peak_lr": 1e-3, "decay": "cosine", "total_steps": 1000,
             "log": False, "beta2": 0.99, **defaults}
        style = {"description_width": "initial"}
        slider = {"continuous_update": False, "style": style}
        self.controls: dict[str, w.ValueWidget] = {
            "shape": w.Dropdown(options=list(SHAPES), value=p["shape"], description="warmup shape", style=style),
            "warmup_steps": w.IntSlider(value=p["warmup_steps"], min=0, max=2000, step=10,
                                        description="warmup steps W", **slider),
            "peak_lr": w.FloatLogSlider(value=p["peak_lr"], base=10, min=-5, max=0, step=0.1,
                                        description="peak learning rate", readout_format=".1e", **slider),
            "decay": w.Dropdown(options=list(DECAYS), value=p["decay"], description="after warmup", style=style),
            "total_steps": w.IntSlider(value=p["total_steps"], min=100, max=10000, step=100,
                                       description="total steps T", **slider),
            "log": w.Checkbox(value=p["log"], description="log y axis", indent=False),
            "beta2": w.Dropdown(options=[0.9, 0.98, 0.99, 0.995, 0.999], value=p["beta2"],
                                description="Adam β₂ (untuned)", style=style),
        }
        self.output = w.Output()
        self.figure: Figure | None = None
        self.message: str | None = None
        c = self.controls
        rows = [
            w.HBox([c["shape"], c["beta2"], c["decay"]]),
            w.HBox([c["warmup_steps"], c["total_steps"]]),
            w.HBox([c["peak_lr"], c["log"]]),
        ]
        super().__init__(rows + [self.output])
        for control in c.values():
            control.observe(self._on_change, names="value")
        self.update()

    def params(self) -> dict[str, Any]:
        """The current setting, as keyword arguments of :func:`explorer_figure`."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> None:
        """Redraw from the current setting (the callback of every control)."""
        params = self.params()
        self.controls["warmup_steps"].disabled = params["shape"] in ("untuned", "none")
        self.controls["beta2"].disabled = params["shape"] != "untuned"
        with self.output:
            self.output.clear_output(wait=True)
            try:
                fig = explorer_figure(**params)
            except ValueError as exc:  # e.g. warmup longer than the run: say so instead of a traceback
                self.figure, self.message = None, str(exc)
                print(f"Can't draw this setting: {exc}")
                return
            self.figure, self.message = fig, None
            display(fig)
        plt.close(fig)


def schedule_explorer(**defaults: Any) -> ScheduleExplorer:
    """Build the explorer widget (keyword arguments set the starting values, e.g. ``shape="exponential"``)."""
    unknown = set(defaults) - {"shape", "warmup_steps", "peak_lr", "decay", "total_steps", "log", "beta2"}
    if unknown:
        raise TypeError(f"schedule_explorer() got unknown settings {sorted(unknown)}")
    if "shape" in defaults:
        _check_choice("shape", defaults["shape"], SHAPES)
    if "decay" in defaults:
        _check_choice("decay", defaults["decay"], DECAYS)
    return ScheduleExplorer(**defaults)
