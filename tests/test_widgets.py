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
    explorer.controls["warmup_steps"].value = 1500  # longer than total_steps=1000
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
