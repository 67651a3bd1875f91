"""ptcourse.viz: figures in the course style, returned (never shown), with clear errors."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from ptcourse import toy, viz


def _is_white(fig) -> bool:
    return tuple(fig.get_facecolor()) == (1.0, 1.0, 1.0, 1.0)


def test_palette_is_okabe_ito():
    """The palette is the 8 Okabe-Ito colours (colour-blind safe), all distinct."""
    assert len(set(viz.PALETTE)) == 8 and "#E69F00" in viz.PALETTE and "#0072B2" in viz.PALETTE


def test_plot_histories_overlays_runs():
    """plot_histories draws one panel per metric and one line per run (+ a baseline line)."""
    h1 = {"step": [1, 2, 3], "reward": [0.0, 1.0, 2.0], "kl": [0.0, 0.1, 0.3]}
    h2 = {"step": [1, 2, 3], "reward": [0.0, 0.5, 0.7], "kl": [0.0, 0.05, 0.1]}
    fig = viz.plot_histories(
        {"a": h1, "b": {"history": h2}}, ["reward", "kl"], baseline={"reward": 0.5}
    )
    assert isinstance(fig, Figure) and _is_white(fig)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 3 and len(fig.axes[1].lines) == 2
    assert list(fig.axes[0].lines[0].get_ydata()) == [0.0, 1.0, 2.0]


def test_plot_histories_errors():
    """Asking for a metric a run lacks raises ValueError naming the run and the metric."""
    with pytest.raises(ValueError, match="run 'a' has no \\['entropy'\\]"):
        viz.plot_histories({"a": {"reward": [1.0]}}, ["entropy"])


def test_figures_are_not_registered_with_pyplot():
    """Helpers never leave figures open in pyplot (nothing to show twice, nothing leaks)."""
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    viz.plot_histories({"step": [1, 2], "reward": [0.0, 1.0]}, ["reward"])
    assert plt.get_fignums() == before


def test_figure_renders_to_png(tmp_path):
    """A returned figure saves to PNG with the Agg canvas (what a notebook displays)."""
    fig = viz.plot_histories({"step": [1, 2], "reward": [0.0, 1.0]}, ["reward"])
    path = tmp_path / "f.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_metric_labels_come_from_the_registry():
    """viz's axis labels are the labels of ptcourse.toy.METRICS, one home for names and labels."""
    assert viz.METRIC_LABELS == {k: m.label for k, m in toy.METRICS.items()}
    fig = viz.plot_histories({"step": [1, 2], "hack_rate": [0.0, 0.5]}, ["hack_rate"])
    assert fig.axes[0].get_ylabel() == toy.METRICS["hack_rate"].label


def test_notebook_display_hook_is_installed_on_the_first_figure_not_at_import(monkeypatch):
    """Importing viz in a kernel registers nothing; the first figure() does, once."""
    import importlib
    import sys
    import types

    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    fresh = importlib.reload(viz)
    calls = []
    monkeypatch.setattr(fresh, "_enable_notebook_display", lambda: calls.append(1))
    assert calls == [] and not fresh._DISPLAY_READY
    fresh.figure()
    fresh.figure()
    assert calls == [1]
