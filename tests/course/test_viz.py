"""ptcourse.viz: figures in the course style, returned (never shown), with clear errors."""

from __future__ import annotations

import io
import math

import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

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
    assert fig.axes[0].get_title(loc="left") == toy.METRICS["hack_rate"].label


def test_notebook_display_hook_is_installed_on_the_first_figure_not_at_import(monkeypatch):
    """Importing the style in a kernel registers nothing; the first figure() does, once."""
    import importlib
    import sys
    import types

    from ptcourse.course import style

    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    fresh = importlib.reload(style)
    calls = []
    monkeypatch.setattr(fresh, "_enable_notebook_display", lambda: calls.append(1))
    assert calls == [] and not fresh._DISPLAY_READY
    fresh.figure()
    fresh.figure()
    assert calls == [1]


# --- issue 15: sharp, readable figures --------------------------------------------------------


def _shown(fig):
    """(PNG image, CSS width, smallest text in CSS px when shown on the phone column)."""
    data, meta = viz.display_png(fig)
    img = Image.open(io.BytesIO(data))
    pt, dpi = float(img.text["ptcourse:min-font-pt"]), float(img.text["ptcourse:dpi"])
    shown = min(meta["width"], viz.COLUMN_PX["phone"])
    return img, meta["width"], pt / 72 * dpi * shown / img.width


def test_display_png_is_2x_and_records_font_and_dpi():
    """The displayed PNG has 2 pixels per CSS pixel, and its metadata gives the true font and dpi."""
    fig, ax = viz.figure(width=5.0, height=3.0)
    ax.plot([0, 1], [0, 1])
    img, css_width, _ = _shown(fig)
    assert img.width == pytest.approx(2 * css_width, abs=2)
    assert img.text["ptcourse:dpi"] == "200" and img.info["dpi"][0] == pytest.approx(200, abs=1)
    assert float(img.text["ptcourse:min-font-pt"]) == viz.min_font_pt(fig) == viz.TEXT_PT(5.0)


def test_text_pt_keeps_phone_text_at_9px():
    """TEXT_PT(w) shown on the 358-px phone column is >= 9 CSS px for widths up to 8 inches."""
    for width in (2.0, 4.0, 5.0, 6.4, 8.0):
        px = viz.TEXT_PT(width) / 72 * viz.CSS_DPI * viz.COLUMN_PX["phone"] / (width * viz.CSS_DPI)
        assert px >= viz.MIN_TEXT_PX or width * viz.CSS_DPI <= viz.COLUMN_PX["phone"]
    with pytest.raises(ValueError, match="'width'"):
        viz.TEXT_PT(0)


def test_small_text_is_raised_when_shown():
    """A legend at fontsize=7 (the old ch04 stackplot) is raised to the figure's size on display."""
    fig, ax = viz.figure(width=6.4, height=3.0)
    ax.plot([0, 1], label="a")
    ax.legend(fontsize=7)
    ax.text(0, 0, "note", fontsize=6)
    assert viz.min_font_pt(fig) == 6
    _, _, px = _shown(fig)
    assert px >= viz.MIN_TEXT_PX and viz.min_font_pt(fig) == viz.TEXT_PT(6.4)


def test_min_font_skips_hidden_artists():
    """Text in an invisible panel does not count as shown (plot_histories hides spare panels)."""
    fig, (a, b) = viz.figure(1, 2, width=6.0)
    b.set_title("tiny", fontsize=3)
    b.set_visible(False)
    assert viz.min_font_pt(fig) == viz.TEXT_PT(6.0)
    with pytest.raises(ValueError, match="no visible text"):
        empty, ax = viz.figure()
        ax.set_axis_off()
        viz.min_font_pt(empty)


def test_plot_histories_titles_panels_and_puts_the_legend_outside():
    """Each panel is titled with its metric; the one legend belongs to the figure, not a panel."""
    h = {"step": [1, 2], "reward": [0.0, 1.0], "kl": [0.0, 0.1], "entropy": [1.0, 0.5]}
    fig = viz.plot_histories({"a": h, "b": h}, ["reward", "kl", "entropy"], baseline={"kl": 0.0})
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()]
    assert titles == [viz.METRIC_LABELS[m] for m in ("reward", "kl", "entropy")]
    assert all(ax.get_legend() is None for ax in fig.axes) and len(fig.legends) == 1
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["a", "b", "SFT model"]
    _, css_width, px = _shown(fig)
    assert css_width <= viz.COLUMN_PX["desktop"] and px >= viz.MIN_TEXT_PX


def test_every_picture_is_readable_on_a_phone_and_fits_the_column():
    """Each new picture, shown on the phone column, has text >= 9 px and is no wider than 757 px."""
    figs = [
        viz.plot_shift_and_mask(["<bos>", "a", "b", "<eos>"], [-100, -100, 3, 4]),
        viz.plot_kl_estimators(),
        viz.plot_token_kl(["a", "b"], torch.tensor([0.1, 0.2])),
        viz.plot_effective_tokens({"x": torch.tensor([1.0, 0.0, -1.0])}),
        viz.plot_dpo_weight(),
        viz.plot_group_advantages(torch.tensor([1.0, 0.0, 2.0])),
        viz.plot_covariance(torch.tensor([-1.0, -2.0, -0.5]), torch.tensor([1.0, -1.0, 0.0]), [0]),
        viz.plot_template_map(),
    ]
    for fig in figs:
        _, css_width, px = _shown(fig)
        assert css_width <= viz.COLUMN_PX["desktop"] and px >= viz.MIN_TEXT_PX, fig.axes[0]


def test_shift_diagram_arrows_follow_the_labels():
    """Arrow t points at labels[t+1]: solid where that label counts, dashed where it is -100."""
    labels = [-100, -100, -100, 7, 8, 9]
    fig = viz.plot_shift_and_mask(["<bos>", "q", "<a>", "x", "y", "<eos>"], labels)
    styles = [p.get_linestyle() for p in fig.axes[0].patches]
    assert styles == ["--" if lab == -100 else "-" for lab in labels[1:]]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("-100") == 3
    with pytest.raises(ValueError, match="same length"):
        viz.plot_shift_and_mask(["a", "b"], [1])


def test_kl_estimator_curves_match_the_closed_forms():
    """The curves are k1 = -log r, k2 = (log r)^2 / 2, k3 = r - 1 - log r; k1 < 0 and k3 >= 0."""
    fig = viz.plot_kl_estimators()
    k1, k2, k3 = fig.axes[0].lines[:3]
    r = torch.as_tensor(k1.get_xdata())
    torch.testing.assert_close(torch.as_tensor(k1.get_ydata()), -r.log())
    torch.testing.assert_close(torch.as_tensor(k2.get_ydata()), 0.5 * r.log() ** 2)
    torch.testing.assert_close(torch.as_tensor(k3.get_ydata()), r - 1 - r.log())
    assert (torch.as_tensor(k1.get_ydata())[r > 1] < 0).all()
    assert (torch.as_tensor(k3.get_ydata()) >= 0).all()
    with pytest.raises(ValueError, match="r_min"):
        viz.plot_kl_estimators(r_min=2.0)


def test_token_kl_bars_and_sum():
    """plot_token_kl draws one bar per token with its KL, titled with the sum; bad KL is refused."""
    fig = viz.plot_token_kl(["a", "b", "c"], torch.tensor([0.5, 0.25, 0.25]))
    assert [p.get_height() for p in fig.axes[0].patches] == [0.5, 0.25, 0.25]
    assert "1.00 nats" in fig.axes[0].get_title(loc="left")
    with pytest.raises(ValueError, match=">= 0"):
        viz.plot_token_kl(["a"], torch.tensor([-1.0]))
    with pytest.raises(ValueError, match="same non-zero length"):
        viz.plot_token_kl(["a", "b"], torch.tensor([1.0]))


def test_effective_tokens_is_exp_entropy():
    """The shaded block is e^H wide and 1/e^H high; e^H = k for a uniform over k tokens."""
    z = torch.tensor([2.0, 1.0, 0.0, -1.0])
    fig = viz.plot_effective_tokens({"uniform 3": torch.tensor([0.0, 0.0, 0.0]), "z": z})
    assert "e^H = 3.0" in fig.axes[0].get_title(loc="left")
    eff = math.exp(-(z.softmax(-1) * z.log_softmax(-1)).sum().item())
    assert f"e^H = {eff:.1f}" in fig.axes[1].get_title(loc="left")
    with pytest.raises(ValueError, match="empty"):
        viz.plot_effective_tokens({})


def test_dpo_weight_is_sigmoid_of_minus_beta_margin():
    """The drawn weight equals sigma(-beta m), read by autograd through ptcourse.dpo_loss."""
    fig = viz.plot_dpo_weight(beta=0.2, margin_max=5)
    line = fig.axes[0].lines[0]
    margin, w = torch.as_tensor(line.get_xdata()), torch.as_tensor(line.get_ydata())
    torch.testing.assert_close(w, torch.sigmoid(-margin))
    assert margin.min() == pytest.approx(-5) and margin.max() == pytest.approx(5)
    with pytest.raises(ValueError, match="'beta'"):
        viz.plot_dpo_weight(beta=0)


def test_group_advantages_are_standardised_rewards():
    """The advantage bars are the group's rewards minus their mean over their std (grpo_advantages)."""
    rewards = torch.tensor([3.0, 1.0, 0.0, 2.0])
    fig = viz.plot_group_advantages(rewards)
    heights = torch.tensor([p.get_height() for p in fig.axes[1].patches], dtype=torch.float32)
    expected = (rewards - rewards.mean()) / (rewards.std() + 1e-4)  # objectives.py's default eps
    torch.testing.assert_close(heights, expected, atol=1e-5, rtol=1e-5)
    assert [p.get_height() for p in fig.axes[0].patches] == rewards.tolist()
    with pytest.raises(ValueError, match="at least 2"):
        viz.plot_group_advantages(torch.tensor([1.0]))


def test_covariance_scatter_rings_exactly_the_clipped_tokens():
    """Repeated tokens are one point; the ringed points are the clipped ones; colour = sign of c."""
    logp = torch.tensor([-0.1, -0.1, -2.0, -3.0])
    adv = torch.tensor([1.0, 1.0, -1.0, 0.5])
    fig = viz.plot_covariance(logp, adv, clipped=torch.tensor([True, False, False, False]))
    points, ringed = fig.axes[0].collections[:2]
    assert len(points.get_offsets()) == 3 and len(ringed.get_offsets()) == 1
    x0, y0 = ringed.get_offsets()[0]
    assert x0 == pytest.approx((-0.1 - logp.mean()).item()) and y0 * x0 > 0
    with pytest.raises(ValueError, match="same length"):
        viz.plot_covariance(logp, adv[:2], [0])


def test_template_map_has_four_pieces_per_method():
    """The map draws the 4 pieces for SFT, PPO, DPO and GRPO, with "none" cells pale and dotted."""
    fig = viz.plot_template_map()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"SFT", "PPO", "DPO", "GRPO"} <= set(texts)
    dotted = [p for p in fig.axes[0].patches if p.get_linestyle() == ":"]
    nones = sum(
        c.startswith("none") for k, v in viz.TEMPLATE_MAP.items() if k != "pieces" for c in v
    )
    assert len(dotted) == nones == 3
    with pytest.raises(ValueError, match="pieces"):
        viz.plot_template_map({"SFT": ("a",)})
