"""Legends of the course's figures: one per multi-series figure, above the panels, outside the data.

The house style (``ptcourse.viz.legend_above``, chapters 01-06): a figure that overlays several
series names them in one legend in the figure's top margin, never inside an axes, where it would
hide data. Each helper is drawn with inputs shaped like its chapter's (the same labels), checked
geometrically after a draw, and shown at the phone's width.
"""

from __future__ import annotations

import pytest
import torch

from ptcourse import viz
from ptcourse.course import viz_prefs, viz_rl

STEPS = list(range(1, 25))


def _history(scale: float, beta: bool = False) -> dict:
    h = {
        "step": STEPS,
        "kl": [scale * s / 10 for s in STEPS],
        "entropy": [1 - s / 40 for s in STEPS],
    }
    if beta:
        h["beta"] = [0.5 / (1 + s / 10) for s in STEPS]
    h["updates"] = {
        "clip_frac": [0.1 * (s % 4) for s in STEPS],
        "approx_kl": [0.02 * s for s in STEPS],
    }
    return h


PPO_RUNS = {
    name: _history(i + 1)
    for i, name in enumerate(["PPO (ε = 0.2)", "clip-higher (ε_high = 0.28)", "Clip-Cov"])
}
PAIRS = {
    name: {"margin": [0.0, 1.0, 2.0], "chosen": [0.0, -0.5, -1.0], "rejected": [0.0, -1.5, -3.0]}
    for name in ("DPO", "IPO")
}
PASS_AT_K = {
    name: {1: p, 2: p, 4: p, 8: p, 16: p}
    for name, p in [
        ("SFT", 0.9),
        ("collapsed (β = 0)", 0.0),
        ("leashed (β = 0.2)", 0.5),
        ("entropy bonus (β = 0, c = 0.3)", 0.0),
    ]
}
HIST = {"step": [1, 2], "reward": [0.0, 1.0], "kl": [0.0, 0.1], "entropy": [1.0, 0.5]}

MULTI_SERIES = {
    "plot_overoptimisation": lambda: viz_rl.plot_overoptimisation(
        [0.1, 0.5, 0.9], [2.0, 1.9, 1.0], [0.5, 1.0, 2.0]
    ),
    "plot_kl_control": lambda: viz_rl.plot_kl_control(
        {"fixed β = 0.05": _history(1), "adaptive controller": _history(2, beta=True)}, 2.0
    ),
    "plot_ppo_updates": lambda: viz_rl.plot_ppo_updates(PPO_RUNS),
    "plot_entropy_runs": lambda: viz_rl.plot_entropy_runs(PPO_RUNS, baseline=1.0),
    "plot_pair_runs": lambda: viz_prefs.plot_pair_runs(PAIRS, target=2.0),
    "plot_pass_at_k": lambda: viz_prefs.plot_pass_at_k(PASS_AT_K),
    "plot_histories": lambda: viz.plot_histories(
        {"a": HIST, "b": HIST}, ["reward", "kl", "entropy"]
    ),
    "plot_kl_estimators": viz.plot_kl_estimators,
    "plot_effective_tokens": lambda: viz.plot_effective_tokens(
        {"peaked": torch.tensor([3.0, 0.0, -1.0]), "flat": torch.zeros(3)}
    ),
    "plot_covariance": lambda: viz.plot_covariance(
        torch.tensor([-1.0, -2.0, -0.5]), torch.tensor([1.0, -1.0, 0.0]), [0]
    ),
}


def legends_over_data(fig) -> list[str]:
    """One line per legend of ``fig`` whose drawn box overlaps a visible axes' data area."""
    fig.canvas.draw()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    return [
        f"legend {[t.get_text() for t in leg.get_texts()]} overlaps axes {i}"
        for leg in legends
        for i, ax in enumerate(fig.axes)
        if ax.get_visible() and leg.get_window_extent().overlaps(ax.bbox)
    ]


def test_the_check_finds_a_legend_inside_the_axes():
    """The check can fail: a legend drawn inside an axes (matplotlib's default) is reported."""
    fig, ax = viz.figure()
    ax.plot([0, 1], label="a")
    ax.plot([1, 0], label="b")
    ax.legend(loc="center")
    assert legends_over_data(fig) == ["legend ['a', 'b'] overlaps axes 0"]
    fig.legends.clear()
    ax.get_legend().remove()
    viz.legend_above(fig)
    assert legends_over_data(fig) == []


@pytest.mark.parametrize("name", sorted(MULTI_SERIES))
def test_multi_series_figures_have_one_legend_above_the_data(name):
    """The helper's figure has one legend, the figure's, and it overlaps no axes' data area."""
    fig = MULTI_SERIES[name]()
    assert all(ax.get_legend() is None for ax in fig.axes) and len(fig.legends) == 1
    assert legends_over_data(fig) == []


@pytest.mark.parametrize("name", sorted(MULTI_SERIES))
def test_the_legend_fits_the_figure_and_stays_readable_on_a_phone(name):
    """The legend does not widen the figure past its width (+5%), and text is >= 9 px on a phone."""
    fig = MULTI_SERIES[name]()
    _, meta = viz.display_png(fig)
    assert meta["width"] <= 1.05 * fig.get_figwidth() * viz.CSS_DPI
    shown = min(meta["width"], viz.COLUMN_PX["phone"])
    assert viz.min_font_pt(fig) / 72 * viz.CSS_DPI * shown / meta["width"] >= viz.MIN_TEXT_PX
