"""ptcourse.viz: figures in the course style, returned (never shown), with clear errors."""

from __future__ import annotations

import pytest
import torch
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


def test_plot_next_token_bars_match_probabilities():
    """plot_next_token draws one bar per token with the given heights; top_k sorts and cuts."""
    p = torch.softmax(
        torch.randn(len(toy.TOKENIZER), generator=torch.Generator().manual_seed(0)), -1
    )
    fig = viz.plot_next_token(p, highlight="cat")
    heights = [b.get_height() for b in fig.axes[0].patches]
    torch.testing.assert_close(torch.tensor(heights, dtype=torch.float32), p)
    top = viz.plot_next_token(p, top_k=5)
    top_h = [b.get_height() for b in top.axes[0].patches]
    torch.testing.assert_close(
        torch.tensor(top_h, dtype=torch.float32), p.sort(descending=True).values[:5]
    )
    assert _is_white(fig)


def test_plot_next_token_errors():
    """Negative/NaN probabilities or a label count mismatch raise ValueError."""
    with pytest.raises(ValueError, match="'probs'"):
        viz.plot_next_token(torch.tensor([0.5, float("nan")]))
    with pytest.raises(ValueError, match="'tokens'"):
        viz.plot_next_token(torch.tensor([0.5, 0.5]), ["a"])


def test_plot_frontier_from_demo_results():
    """plot_frontier places each beta at (KL, reward), sorted by beta."""
    runs = [
        {"params": {"beta": b}, "final": {"kl": k, "reward": r}}
        for b, k, r in [(1.0, 0.1, 0.9), (0.0, 60.0, 11.0), (0.5, 1.0, 1.4)]
    ]
    fig = viz.plot_frontier(runs)
    xs = list(fig.axes[0].lines[0].get_xdata())
    assert xs == [60.0, 1.0, 0.1]


def test_plot_bandit_and_distributions():
    """plot_bandit draws ref, pi* and learned bars for every arm."""
    fig = viz.plot_bandit(toy.bandit(steps=10))
    assert len(fig.axes[0].patches) == 3 * len(toy.BANDIT_ARMS)
    with pytest.raises(ValueError, match="different sizes"):
        viz.plot_distributions({"a": [0.5, 0.5], "b": [1.0]})


def test_plot_curves():
    """plot_curves draws one line per curve and checks lengths."""
    fig = viz.plot_curves([1, 2], {"a": [1, 2], "b": [2, 1]}, xlabel="x")
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="curve 'a'"):
        viz.plot_curves([1, 2, 3], {"a": [1, 2]})


def test_figures_are_not_registered_with_pyplot():
    """Helpers never leave figures open in pyplot (nothing to show twice, nothing leaks)."""
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    viz.plot_curves([1, 2], {"a": [1, 2]})
    assert plt.get_fignums() == before


def test_figure_renders_to_png(tmp_path):
    """A returned figure saves to PNG with the Agg canvas (what a notebook displays)."""
    fig = viz.plot_histories({"step": [1, 2], "reward": [0.0, 1.0]}, ["reward"])
    path = tmp_path / "f.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
