"""Pictures for the course: training histories, and the public home of every picture.

``viz`` re-exports the course style from ``style`` (``figure``, ``PALETTE``, ``GREY``,
``legend_above``), the sizing rule from ``_sizing`` and the explanatory pictures from ``pictures``
and ``pictures_methods``, so a chapter needs only ``from ptcourse import viz``; it draws the
training histories itself (``plot_histories``).

Every helper returns a ``matplotlib.figure.Figure`` and never calls ``plt.show()``: in a notebook,
make the figure the last expression of the cell (or ``display(fig)``) and it appears once; in a
script, ``fig.savefig(path)``. Figures are built with the object-oriented API (not registered with
pyplot), so they neither pile up in memory nor show twice.

Sized for where it is read: a notebook or the site shows a figure at ``CSS_DPI`` CSS pixels per inch
(no wider than the site's article column, ``COLUMN_PX``: 757 px in a 1366-px window, 358 px on a
390-px phone), from a PNG with ``PIXEL_RATIO`` (2) pixels per CSS pixel. ``figure`` sizes every
text for the phone: at ``width`` inches shown 358 px wide, the smallest text is at least
``MIN_TEXT_PX`` (9) CSS pixels. Each PNG records its smallest font (points) and its dpi in its
metadata (``png_metadata``), which the site's browser checks read to compute the text's displayed
size.

matplotlib is imported inside the functions only (``import ptcourse`` never imports it). Every
figure draws on its own Agg canvas, so the global backend is never changed (a notebook's inline
backend, or a user's GUI backend, stays as it was) and no display is needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..toy.metrics import METRICS
from ._sizing import (
    COLUMN_PX,
    CSS_DPI,
    MAX_WIDTH,
    MIN_TEXT_PX,
    PIXEL_RATIO,
    TEXT_PT,
    display_png,
    min_font_pt,
    png_metadata,
    raise_small_text,
)
from .pictures import (
    plot_effective_tokens,
    plot_kl_estimators,
    plot_shift_and_mask,
    plot_token_kl,
)
from .pictures_methods import (
    TEMPLATE_MAP,
    plot_covariance,
    plot_dpo_weight,
    plot_group_advantages,
    plot_template_map,
)
from .style import GREY, PALETTE, STYLE, figure, legend_above

__all__ = [
    "PALETTE",
    "GREY",
    "STYLE",
    "METRIC_LABELS",
    "COLUMN_PX",
    "CSS_DPI",
    "PIXEL_RATIO",
    "MAX_WIDTH",
    "MIN_TEXT_PX",
    "TEXT_PT",
    "figure",
    "legend_above",
    "raise_small_text",
    "plot_histories",
    "min_font_pt",
    "png_metadata",
    "display_png",
    "TEMPLATE_MAP",
    "plot_covariance",
    "plot_dpo_weight",
    "plot_effective_tokens",
    "plot_group_advantages",
    "plot_kl_estimators",
    "plot_shift_and_mask",
    "plot_template_map",
    "plot_token_kl",
]

#: axis labels of the toy world's metrics, read from their one home, ``ptcourse.toy.METRICS``
METRIC_LABELS = {key: metric.label for key, metric in METRICS.items()}


def _as_runs(runs) -> dict[str, Mapping]:
    """Accept one history, a demo result, or a {label: history | result} mapping."""
    if isinstance(runs, Mapping) and (
        "history" in runs
        or any(isinstance(v, Sequence) and not isinstance(v, str) for v in runs.values())
    ):
        runs = {"run": runs}
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError(
            "plot_histories: 'runs' must be a history dict or a non-empty {label: history} mapping"
        )
    out = {}
    for label, h in runs.items():
        h = h.get("history", h) if isinstance(h, Mapping) else h
        if not isinstance(h, Mapping):
            raise ValueError(f"plot_histories: run {label!r} is not a history dict")
        out[str(label)] = h
    return out


def plot_histories(
    runs,
    metrics: Sequence[str] = ("reward", "kl", "entropy", "distinct_2"),
    *,
    baseline: Mapping[str, float] | None = None,
    baseline_label: str = "SFT model",
    title: str | None = None,
    ncols: int | None = None,
):
    """Plot per-step metrics of one or several training runs, one panel per metric.

    .. math::

        \\text{panel } m:\\; \\big(\\text{step},\\, m(\\text{step})\\big) \\text{ for every run}

    Parameters
    ----------
    runs : dict
        A history (``{"step": [...], "reward": [...], ...}``), a demo result (with a
        ``"history"`` key), or ``{label: history-or-result}`` to overlay several runs.
    metrics : sequence of str
        Which metrics to draw (keys of the histories).
    baseline : dict, optional
        Reference values drawn as dashed horizontal lines (e.g. the SFT model's ``evaluate``).
    title : str, optional
        Figure title.
    ncols : int, optional
        Panels per row (default: 2, so that a phone shows them at a readable size). Each panel
        is titled with its metric's label; one legend sits above the panels, outside the data.

    Examples
    --------
    >>> h = {"step": [1, 2, 3], "reward": [0.1, 0.5, 0.9], "kl": [0.0, 0.2, 0.5]}
    >>> fig = plot_histories({"beta=0.1": h}, metrics=["reward", "kl"])
    >>> len(fig.axes)  # one panel per metric
    2
    """
    runs = _as_runs(runs)
    metrics = list(metrics)
    if not metrics:
        raise ValueError("plot_histories: 'metrics' is empty")
    for label, h in runs.items():
        missing = [m for m in metrics if m not in h]
        if missing:
            raise ValueError(f"plot_histories: run {label!r} has no {missing}; it has {sorted(h)}")
    ncols = ncols or min(len(metrics), 2)
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = figure(nrows, ncols, width=min(3.4 * ncols, MAX_WIDTH), height=0.4 + 2.3 * nrows)
    flat = list(axes.flat) if hasattr(axes, "flat") else [axes]
    for ax, m in zip(flat, metrics, strict=False):
        for i, (label, h) in enumerate(runs.items()):
            ys = [float("nan") if v is None else v for v in h[m]]
            xs = h.get("step", range(1, len(ys) + 1))
            ax.plot(list(xs), ys, color=PALETTE[i % len(PALETTE)], lw=1.8, label=label)
        if baseline and m in baseline and baseline[m] is not None:
            ax.axhline(baseline[m], color=GREY, ls="--", lw=1.4, label=baseline_label)
        ax.set_title(METRIC_LABELS.get(m, m), loc="left")  # the panel says what it shows
        ax.set_xlabel("step")
    for ax in flat[len(metrics) :]:
        ax.set_visible(False)
    if len(runs) > 1 or baseline:
        legend_above(fig, ncols=2)
    if title:
        fig.suptitle(title)
    return fig
