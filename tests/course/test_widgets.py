"""Tests of ptcourse.widgets: the ipywidgets dials."""

from __future__ import annotations

import pytest

from ptcourse import dials

ipywidgets = pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from ptcourse import widgets  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", dials.DIALS)
def test_dial_is_an_ipywidgets_box(name):
    """dial() gives the ipywidgets box (the site's kernel-free dial is the press's {dial} directive)."""
    w = widgets.dial(name)
    assert isinstance(w, ipywidgets.VBox)
    assert isinstance(w.slider, ipywidgets.widgets.widget_description.DescriptionWidget)


def test_dial_unknown_name_raises():
    """An unknown dial name raises ValueError naming the argument."""
    with pytest.raises(ValueError, match="name"):
        widgets.dial("entropy")


@pytest.mark.parametrize(
    "builder, name, new",
    [
        (widgets.temperature_dial, "temperature", 0.5),
        (widgets.beta_dial, "beta", 0.1),
        (widgets.estimators_dial, "estimators", 256),
    ],
)
def test_widget_callback_updates_numbers_and_figure(builder, name, new):
    """Setting the slider from code recomputes the numbers (as ptcourse.dials does) and the PNG."""
    d = builder()
    numbers_before, image_before = d.numbers.value, bytes(d.image.value)
    assert image_before.startswith(PNG)
    assert dials.readout(name, dials.state(name, d.slider.value)) in numbers_before
    d.slider.value = new
    expected = dials.readout(name, dials.state(name, d.slider.value))
    assert d.slider.value == pytest.approx(new)
    assert expected in d.numbers.value.replace("&#x27;", "'") and d.numbers.value != numbers_before
    assert bytes(d.image.value).startswith(PNG) and bytes(d.image.value) != image_before


@pytest.mark.parametrize("name, value", [("temperature", 1.0), ("beta", 1.0), ("estimators", 16)])
def test_figure_is_opaque_white_for_dark_mode(name, value):
    """Each dial's matplotlib figure has an opaque white figure and axes background."""
    fig = widgets.figure(name, dials.state(name, value))
    assert tuple(fig.get_facecolor()) == (1.0, 1.0, 1.0, 1.0)
    assert tuple(fig.axes[0].get_facecolor()) == (1.0, 1.0, 1.0, 1.0)
