"""An interactive schedule explorer: warmup shape, warmup length, peak LR and decay on sliders.

::

    from warmup_course.widgets import schedule_explorer, explorer_figure
    schedule_explorer()                                      # the widget (put it in a cell tagged nbval-ignore-output)
    explorer_figure(shape="exponential", warmup_steps=200)   # the same figure from a plain cell

The widget's callback calls :func:`explorer_figure`, the function a plain cell can call, so what the sliders
show is exactly what the course's code computes. Sliders redraw on release (``continuous_update=False``).

Any function that draws a figure becomes an explorer with :func:`explore` (``interact`` with the course's
conventions: wide sliders, labels that are never cut, redraw on release)::

    from warmup_course.widgets import explore
    explore(show_runs, peak_lr=widgets.SelectionSlider(options=LRS, value=PEAK, description="peak lr"))

Readable without running: a saved notebook holds no widget state, so GitHub, nbconvert's HTML and JupyterLab
before "Run All" cannot draw the controls. Every explorer's display therefore carries, next to the widget view,
an ``image/png`` of its default view with the caption :data:`STATIC_NOTE` drawn under it (and the note as
``text/plain``): a reader who has run nothing sees the figure and learns that the controls appear when the cell
runs; a live kernel shows the controls (the widget view is the richer mime type).

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

import base64
import inspect
import io
import math
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from matplotlib.figure import Figure

from warmup_course import schedules as S
from warmup_course.plotting import plot_schedules
from warmup_course.validation import check_bool, check_choice, check_real
from warmup_course.validation import check_int as _check_int

__all__ = ["SHAPES", "DECAYS", "STATIC_NOTE", "explorer_values", "explorer_figure", "schedule_explorer",
           "ScheduleExplorer", "Explorer", "explore", "static_view"]

SHAPES = ("linear", "exponential", "geometric", "untuned", "none")
_BETA2S = (0.9, 0.98, 0.99, 0.995, 0.999)  # the untuned-warmup β₂ the explorer's dropdown offers
_MAX_STEPS = 10**7  # a figure of more points than this is not an explorer's: refused, never a hung cell
DECAYS = ("constant", "cosine", "linear", "inverse sqrt", "wsd")
#: Fraction of the run after warmup that warmup-stable-decay spends decaying (Hägele et al. 2024 use ~20 %).
WSD_DECAY_FRACTION = 0.2
#: The caption under an explorer's static default view (what a reader sees before running the cell).
STATIC_NOTE = "Default view. The controls appear when you run this cell."
#: Sliders wide enough to drag one step at a time; labels sized to their text (never cut with an ellipsis).
SLIDER_LAYOUT = {"width": "680px"}
LABEL_STYLE = {"description_width": "initial"}
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    return check_choice(name, value, choices)


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
    warmup_steps = _check_int("warmup_steps", warmup_steps, 0, _MAX_STEPS)
    total_steps = _check_int("total_steps", total_steps, 1, _MAX_STEPS)
    beta2 = check_real("beta2", beta2, 0.0, 1.0, low_open=True, high_open=True)
    start_factor = check_real("start_factor", start_factor, 0.0, 1.0, low_open=True)
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
    check_bool("compare_none", compare_none)
    check_bool("log", log)
    check_real("peak_lr", peak_lr, 0.0, low_open=True)
    values, decay_part, desc = _build(shape, warmup_steps, decay, total_steps, beta2, 0.01)
    curves: dict[str, Any] = {desc: values}
    if compare_none and shape != "none":
        curves["the same without the warmup factor"] = decay_part
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
        _check_settings(defaults)
        p = {"shape": "linear", "warmup_steps": 100, "peak_lr": 1e-3, "decay": "cosine", "total_steps": 1000,
             "log": False, "beta2": 0.99, **defaults}
        style = dict(LABEL_STYLE)
        slider = {"continuous_update": False, "style": style, "layout": w.Layout(**SLIDER_LAYOUT)}
        # W must stay below T (the total includes the warmup): the W slider ends one step before T.
        w_max = max(10, p["total_steps"] - 10)
        self.controls: dict[str, w.ValueWidget] = {
            "shape": w.Dropdown(options=list(SHAPES), value=p["shape"], description="warmup shape", style=style),
            "warmup_steps": w.IntSlider(value=min(p["warmup_steps"], w_max), min=0, max=w_max, step=10,
                                        description="warmup steps W", **slider),
            "peak_lr": w.FloatLogSlider(value=p["peak_lr"], base=10, min=-5, max=0, step=0.1,
                                        description="peak learning rate", readout_format=".1e", **slider),
            "decay": w.Dropdown(options=list(DECAYS), value=p["decay"], description="after warmup", style=style),
            "total_steps": w.IntSlider(value=p["total_steps"], min=100, max=10000, step=100,
                                       description="total steps T", **slider),
            "log": w.Checkbox(value=p["log"], description="log y axis", indent=False),
            "beta2": w.Dropdown(options=list(_BETA2S), value=float(p["beta2"]),
                                description="Adam β₂ (untuned)", style=style),
        }
        self.output = w.Output()
        self.figure: Figure | None = None
        self.message: str | None = None
        c = self.controls
        rows = [
            w.HBox([c["shape"], c["beta2"], c["decay"]]),
            w.HBox([c["total_steps"]]),
            w.HBox([c["warmup_steps"]]),
            w.HBox([c["peak_lr"], c["log"]]),
        ]
        super().__init__(rows + [self.output])
        self._initial = self.params()
        c["total_steps"].observe(self._on_total, names="value")
        for control in c.values():
            control.observe(self._on_change, names="value")
        self.update()

    def _on_total(self, change: dict[str, Any]) -> None:
        # keep W < T: shrinking T first clamps W (one redraw), then moves the end of the W slider
        self.controls["warmup_steps"].max = max(10, int(change["new"]) - 10)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        """The widget view plus a static ``image/png`` of the starting view and :data:`STATIC_NOTE`."""
        return _with_static_view(super()._repr_mimebundle_(**kwargs),
                                 lambda: explorer_figure(**self._initial))

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
    return ScheduleExplorer(**defaults)


def _check_settings(p: dict[str, Any]) -> None:
    """Starting values the controls can show: a value outside a slider's range would be clamped silently
    (or fail with a traitlets TraitError that names no setting), so it is refused here, by name."""
    unknown = set(p) - {"shape", "warmup_steps", "peak_lr", "decay", "total_steps", "log", "beta2"}
    if unknown:
        raise TypeError(f"schedule_explorer() got unknown settings {sorted(unknown)}")
    if "shape" in p:
        check_choice("shape", p["shape"], SHAPES)
    if "decay" in p:
        check_choice("decay", p["decay"], DECAYS)
    if "log" in p:
        check_bool("log", p["log"])
    total = p.get("total_steps", 1000)
    if "total_steps" in p:
        total = _check_int("total_steps", total, 100, 10000)
    if "warmup_steps" in p:
        w_max = max(10, total - 10)
        _check_int("warmup_steps", p["warmup_steps"], 0, w_max)
    if "peak_lr" in p:
        check_real("peak_lr", p["peak_lr"], 1e-5, 1.0)
    if "beta2" in p and check_real("beta2", p["beta2"], 0.0, 1.0, low_open=True, high_open=True) not in _BETA2S:
        raise ValueError(f"beta2 must be one of the control's options {list(_BETA2S)}, got {p['beta2']!r}")


# ------------------------------------------------------------------------------------ readable without running


def _captioned_png(png: bytes, note: str) -> bytes:
    """``png`` with ``note`` written under it (pixels copied 1:1, no resampling)."""
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")
    h, wid_img = img.shape[:2]
    pad = 34
    wid = max(wid_img, 8 + 8 * len(note))  # room for the caption under a narrow figure
    fig = Figure(figsize=(wid / 100, (h + pad) / 100), dpi=100, facecolor="white")
    fig.figimage(img, xo=0, yo=pad, origin="upper")
    fig.text(8 / wid, 0.45 * pad / (h + pad), "▶ " + note, fontsize=11, fontstyle="italic", color="#333333",
             va="center", ha="left")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, facecolor="white")
    return buf.getvalue()


def _figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def static_view(fig_or_png: Figure | bytes, note: str = STATIC_NOTE) -> bytes:
    """The PNG a reader sees where an explorer stands and nothing has run: the figure with ``note`` under it."""
    if isinstance(fig_or_png, Figure):
        fig_or_png = _figure_png(fig_or_png)
    if not isinstance(fig_or_png, (bytes, bytearray)) or not bytes(fig_or_png[:8]) == b"\x89PNG\r\n\x1a\n":
        raise TypeError(f"fig_or_png must be a matplotlib Figure or PNG bytes, got {type(fig_or_png).__name__}")
    if not isinstance(note, str) or not note.strip():
        raise ValueError(f"note must be a non-empty string, got {note!r}")
    return _captioned_png(bytes(fig_or_png), note)


def _with_static_view(bundle: Any, make: Callable[[], Figure | bytes | None]) -> Any:
    """Add the static default view (``image/png`` + note) to a widget's mime bundle."""
    if not isinstance(bundle, dict) or _WIDGET_VIEW not in bundle:
        return bundle  # a closed widget: nothing to show
    try:
        fig = make()
    except Exception:  # noqa: BLE001 - a default view that cannot draw must not hide the live widget
        fig = None
    if fig is None:
        return bundle
    png = static_view(fig)
    if isinstance(fig, Figure):
        plt.close(fig)
    return {**bundle, "image/png": base64.b64encode(png).decode("ascii"), "text/plain": STATIC_NOTE}


def _captured_png(fn: Callable[..., Any], kwargs: dict[str, Any]) -> bytes | None:
    """Call ``fn(**kwargs)`` with its displays captured; the last figure it showed, as PNG bytes."""
    from IPython.utils.capture import capture_output
    from ipywidgets.widgets.interaction import show_inline_matplotlib_plots

    before = set(plt.get_fignums())
    with capture_output(stdout=True, stderr=True, display=True) as captured:
        result = fn(**kwargs)
        if isinstance(result, Figure):
            return _figure_png(result)
        show_inline_matplotlib_plots()
    pngs = [o.data["image/png"] for o in captured.outputs if "image/png" in o.data]
    for num in set(plt.get_fignums()) - before:  # a figure drawn with pyplot but never shown
        fig = plt.figure(num)
        pngs.append(_figure_png(fig))
        plt.close(fig)
    if not pngs:
        return None
    last = pngs[-1]
    return base64.b64decode(last) if isinstance(last, str) else bytes(last)


class Explorer(w.interactive):
    """:class:`ipywidgets.interactive` with the course's conventions (see :func:`explore`)."""

    def __init__(self, fn: Callable[..., Any], controls: dict[str, Any]) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        if not isinstance(controls, dict) or not all(isinstance(k, str) for k in controls):
            raise TypeError(f"controls must be a dict of parameter name -> control, got {type(controls).__name__}")
        # auto_display: a returned Figure is shown too (the course's plotting functions return closed figures).
        super().__init__(fn, {"manual": False, "auto_display": True}, **controls)
        for widget in self.kwargs_widgets:
            if isinstance(widget, w.ValueWidget) and not isinstance(widget, w.Checkbox):
                widget.style.description_width = LABEL_STYLE["description_width"]
            if isinstance(widget, (w.IntSlider, w.FloatSlider, w.FloatLogSlider, w.SelectionSlider,
                                   w.IntRangeSlider, w.FloatRangeSlider)):
                widget.continuous_update = False
                widget.layout.width = SLIDER_LAYOUT["width"]
        self._fn = fn
        self._initial = {k: v for k, v in self.kwargs.items()}

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        return _with_static_view(super()._repr_mimebundle_(**kwargs), lambda: _captured_png(self._fn, self._initial))


def explore(fn: Callable[..., Any], /, **controls: Any) -> Explorer:
    """An explorer: ``fn(**values)`` draws a figure; each keyword is a control (an ipywidgets control, or any
    abbreviation :func:`ipywidgets.interact` accepts, or ``ipywidgets.fixed(value)``).

    Like ``interact``, with wide sliders (:data:`SLIDER_LAYOUT`) that redraw on release, labels that are never
    cut, and a display that a reader who has not run the cell can read: the figure of the starting values with
    :data:`STATIC_NOTE` under it. End the cell with the call (it returns the widget; put the cell under the
    ``nbval-ignore-output`` tag).
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}
    unknown = [k for k in controls if params and k not in params
               and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())]
    if unknown:
        raise TypeError(f"controls {unknown} are not parameters of fn {getattr(fn, '__name__', fn)!r}")
    if not controls:
        raise ValueError("controls must name at least one control (e.g. peak_lr=widgets.FloatSlider(...))")
    return Explorer(fn, controls)
