"""warmup_course.widgets: the explorer builds headless, its callback redraws through explorer_figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from warmup_course import schedules as S  # noqa: E402
from warmup_course import widgets as W  # noqa: E402


@pytest.fixture
def explorer():
    before = set(plt.get_fignums())
    e = W.schedule_explorer()
    yield e
    assert set(plt.get_fignums()) == before, "the explorer left figures open in pyplot"


def main_line(fig):
    return fig.axes[0].lines[0].get_ydata()


def test_builds_with_every_control(explorer):
    assert isinstance(explorer, w.VBox) and isinstance(explorer.output, w.Output)
    assert set(explorer.controls) == {"shape", "warmup_steps", "peak_lr", "decay", "total_steps", "log", "beta2"}
    assert list(explorer.controls["shape"].options) == ["linear", "exponential", "geometric", "untuned", "none"]
    assert list(explorer.controls["decay"].options) == ["constant", "cosine", "linear", "inverse sqrt", "wsd"]
    for name in ("warmup_steps", "peak_lr", "total_steps"):
        assert explorer.controls[name].continuous_update is False
    assert explorer.figure is not None and explorer.message is None


def test_callback_changes_the_figure(explorer):
    first = explorer.figure
    y0 = main_line(first).copy()
    explorer.controls["shape"].value = "exponential"
    assert explorer.figure is not first
    assert not np.allclose(main_line(explorer.figure), y0)
    explorer.controls["log"].value = True
    assert explorer.figure.axes[0].get_yscale() == "log"
    explorer.controls["peak_lr"].value = 0.1
    multipliers, _ = W.explorer_values("exponential", 100, "cosine", 1000)
    np.testing.assert_allclose(main_line(explorer.figure), explorer.controls["peak_lr"].value * multipliers)
    assert np.isclose(explorer.controls["peak_lr"].value, 0.1)


def test_callback_is_the_plain_function(explorer):
    explorer.controls["decay"].value = "wsd"
    explorer.controls["warmup_steps"].value = 200
    plain = W.explorer_figure(**explorer.params())
    np.testing.assert_allclose(main_line(plain), main_line(explorer.figure))
    plt.close(plain)


def test_linear_matches_the_library_preset():
    values, desc = W.explorer_values("linear", 100, "cosine", 1000)
    np.testing.assert_allclose(values, S.warmup_cosine(100, 1000).values(1000))
    assert "linear warmup, W=100" in desc
    values, _ = W.explorer_values("none", 100, "linear", 500)
    np.testing.assert_allclose(values, S.linear_decay(500).values(500))


def test_exponential_has_the_same_effective_length_as_linear():
    lin, _ = W.explorer_values("linear", 100, "constant", 3000)
    exp, _ = W.explorer_values("exponential", 100, "constant", 3000)
    assert np.isclose(np.sum(1 - lin), np.sum(1 - exp), rtol=0.01)


def test_untuned_uses_beta2(explorer):
    explorer.controls["shape"].value = "untuned"
    assert explorer.controls["warmup_steps"].disabled and not explorer.controls["beta2"].disabled
    values, desc = W.explorer_values("untuned", 5, "constant", 1000, beta2=0.99)
    np.testing.assert_allclose(values, S.untuned_warmup(0.99).values(1000))
    assert "W=200" in desc


def test_every_shape_and_decay_draws(explorer):
    for shape in W.SHAPES:
        for decay in W.DECAYS:
            explorer.controls["shape"].value = shape
            explorer.controls["decay"].value = decay
            assert explorer.message is None and explorer.figure is not None, (shape, decay)
            assert np.all(np.isfinite(main_line(explorer.figure)))


def test_impossible_setting_is_a_message_not_an_exception(explorer):
    explorer.controls["warmup_steps"].value = 1500  # the W slider stops below T: clamped, still draws
    assert explorer.controls["warmup_steps"].value < 1000 and explorer.figure is not None
    explorer.controls["shape"].value = "untuned"
    explorer.controls["beta2"].value = 0.999  # untuned warmup 2/(1-0.999) = 2000 updates > T = 1000
    assert explorer.figure is None and "total_steps" in explorer.message
    explorer.controls["total_steps"].value = 3000
    assert explorer.figure is not None and explorer.message is None


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        W.explorer_values("cubic")
    with pytest.raises(ValueError, match="decay"):
        W.explorer_figure(decay="step")
    with pytest.raises(ValueError, match="total_steps"):
        W.explorer_values("linear", 100, "cosine", 50)
    with pytest.raises(ValueError, match="beta2"):
        W.explorer_values("untuned", beta2=1.0)
    with pytest.raises(TypeError, match="warmup_steps"):
        W.explorer_values("linear", 10.5)
    with pytest.raises(TypeError, match="unknown"):
        W.schedule_explorer(colour="red")


# --- readable without running: a static default view in every explorer's display ----------------------------

import base64  # noqa: E402

from warmup_course.widgets import STATIC_NOTE, explore, static_view  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _png_size(b64: str) -> tuple[int, int]:
    raw = base64.b64decode(b64)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")


def test_explorer_display_carries_a_static_default_view(explorer):
    bundle = explorer._repr_mimebundle_()
    assert WIDGET_VIEW in bundle, "the live widget view must stay (JupyterLab prefers it when the kernel runs)"
    assert bundle["text/plain"] == STATIC_NOTE and "controls appear when you run this cell" in STATIC_NOTE
    width, height = _png_size(bundle["image/png"])
    assert width > 300 and height > 200
    # the static view is the starting setting, not whatever the sliders show now
    explorer.controls["shape"].value = "exponential"
    assert explorer._repr_mimebundle_()["image/png"] == bundle["image/png"]


def test_static_view_differs_with_the_starting_setting():
    a = W.schedule_explorer(shape="linear")._repr_mimebundle_()["image/png"]
    b = W.schedule_explorer(shape="geometric", log=True)._repr_mimebundle_()["image/png"]
    assert a != b
    plt.close("all")


def test_warmup_slider_never_passes_the_total(explorer):
    ws, ts = explorer.controls["warmup_steps"], explorer.controls["total_steps"]
    assert ws.max < ts.value
    ts.value = 300
    assert ws.max < 300 and ws.value < 300
    ws.value = ws.max
    assert explorer.message is None and explorer.figure is not None, explorer.message
    ts.value = 5000
    assert ws.max == 4990
    e = W.schedule_explorer(shape="geometric", warmup_steps=50, total_steps=300)
    assert e.controls["warmup_steps"].max < 300
    plt.close("all")


def test_sliders_are_wide_and_labels_uncut(explorer):
    for name in ("warmup_steps", "peak_lr", "total_steps"):
        assert explorer.controls[name].layout.width == W.SLIDER_LAYOUT["width"]
    for control in explorer.controls.values():
        if not isinstance(control, w.Checkbox):
            assert control.style.description_width == "initial"


def _show(peak_lr=0.1, shape="linear"):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(np.arange(10) * peak_lr, label=shape)
    plt.show()


def test_explore_wraps_interact_with_a_static_view():
    ex = explore(_show, peak_lr=w.FloatSlider(value=0.1, min=0.01, max=1.0, step=0.01),
                 shape=w.Dropdown(options=["linear", "exponential"]))
    slider = ex.kwargs_widgets[0]
    assert slider.continuous_update is False and slider.layout.width == W.SLIDER_LAYOUT["width"]
    assert slider.style.description_width == "initial"  # 'warmup_fraction' is never cut to 'warmup_f…'
    bundle = ex._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and bundle["text/plain"] == STATIC_NOTE
    assert _png_size(bundle["image/png"])[0] >= 300
    other = explore(_show, peak_lr=w.FloatSlider(value=0.9, min=0.01, max=1.0))._repr_mimebundle_()
    assert other["image/png"] != bundle["image/png"], "the static view must draw the starting values"
    plt.close("all")


def test_explore_of_a_function_that_returns_a_figure():
    def fig_of(a=1.0):
        fig, ax = plt.subplots()
        ax.plot([0, a])
        plt.close(fig)
        return fig
    assert "image/png" in explore(fig_of, a=(0.5, 2.0))._repr_mimebundle_()


def test_explore_that_draws_nothing_keeps_the_widget_only():
    bundle = explore(lambda a=1: None, a=(0, 3))._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and "image/png" not in bundle


def test_explore_and_static_view_bad_input():
    with pytest.raises(TypeError, match="fn"):
        explore(42, a=1)
    with pytest.raises(TypeError, match="controls"):
        explore(_show, colour=w.Dropdown(options=["x"]))
    with pytest.raises(ValueError, match="controls"):
        explore(_show)
    with pytest.raises(TypeError, match="fig_or_png"):
        static_view(b"not a png")
    with pytest.raises(ValueError, match="note"):
        static_view(W.explorer_figure(), note=" ")
    plt.close("all")


def test_static_view_has_the_caption_room():
    fig = W.explorer_figure()
    plain = base64.b64encode(W._figure_png(fig)).decode()
    captioned = base64.b64encode(static_view(fig)).decode()
    (w0, h0), (w1, h1) = _png_size(plain), _png_size(captioned)
    assert w1 >= w0 and h1 == h0 + 34
    plt.close("all")
