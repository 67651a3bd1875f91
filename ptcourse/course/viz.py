"""Pictures for the course: the public home of every picture, and the training histories.

``viz`` re-exports the course style (``figure``, ``PALETTE``, ``GREY``, ``legend_above``, from
``style``), the sizing rule (``_sizing``) and the pictures of ``pictures`` and ``pictures_methods``,
so a chapter needs only ``from ptcourse import viz``. Every helper returns a pyplot-free ``Figure``
on its own Agg canvas (the backend is never changed) and never calls ``plt.show()``: end a notebook
cell with it and it shows once; in a script, ``fig.savefig(path)``. matplotlib is imported inside
the functions only. A figure is shown at ``CSS_DPI`` CSS px per inch, at most ``COLUMN_PX`` wide
(757 px in a 1366-px window, 358 px on a 390-px phone), from a PNG of ``PIXEL_RATIO`` (2) pixels
per CSS px; ``figure`` keeps its smallest text at least ``MIN_TEXT_PX`` (9) CSS px on the phone,
and each PNG records its smallest font and dpi (``png_metadata``) for the site's browser checks.
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
from .pictures import plot_effective_tokens, plot_kl_estimators, plot_shift_and_mask, plot_token_kl
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


def plot_histories(
    runs,
    metrics: Sequence[str] = ("reward", "kl", "entropy", "distinct_2"),
    *,
    baseline: Mapping[str, float] | None = None,
    baseline_label: str = "SFT model",
    title: str | None = None,
    ncols: int | None = None,
):
    """Plot per-step metrics of one or several training runs, one panel per metric m:
    :math:`\\big(\\text{step},\\, m(\\text{step})\\big)` for every run.

    ``runs`` is a history (``{"step": [...], "reward": [...], ...}``), a demo result (with a
    ``"history"`` key), or ``{label: history-or-result}`` to overlay several runs (no ``"step"``:
    1, 2, ...; a None value is a gap). ``metrics`` are keys of the histories, each panel titled
    with its label (``METRIC_LABELS``); ``baseline`` values (e.g. the SFT model's ``evaluate``) are
    dashed lines named ``baseline_label``; ``ncols`` panels per row (default 2, readable on a
    phone). One legend sits above the panels for several runs or a baseline; ``title`` is the
    figure's. ValueError for an empty or malformed ``runs``, no ``metrics``, or a missing metric.

    >>> h = {"step": [1, 2, 3], "reward": [0.1, 0.5, 0.9], "kl": [0.0, 0.2, 0.5]}
    >>> fig = plot_histories({"beta=0.1": h}, metrics=["reward", "kl"])
    >>> len(fig.axes)  # one panel per metric
    2
    """
    if isinstance(runs, Mapping) and (
        "history" in runs
        or any(isinstance(v, Sequence) and not isinstance(v, str) for v in runs.values())
    ):
        runs = {"run": runs}  # one history or demo result
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError(
            "plot_histories: 'runs' must be a history dict or a non-empty {label: history} mapping"
        )
    hists = {}
    for label, h in runs.items():
        h = h.get("history", h) if isinstance(h, Mapping) else h
        if not isinstance(h, Mapping):
            raise ValueError(f"plot_histories: run {label!r} is not a history dict")
        hists[str(label)] = h
    metrics = list(metrics)
    if not metrics:
        raise ValueError("plot_histories: 'metrics' is empty")
    for label, h in hists.items():
        missing = [m for m in metrics if m not in h]
        if missing:
            raise ValueError(f"plot_histories: run {label!r} has no {missing}; it has {sorted(h)}")
    ncols = ncols or min(len(metrics), 2)
    nrows = math.ceil(len(metrics) / ncols)
    fig, _ = figure(nrows, ncols, width=min(3.4 * ncols, MAX_WIDTH), height=0.4 + 2.3 * nrows)
    flat = fig.axes  # the panels, row by row
    for ax, m in zip(flat, metrics, strict=False):
        for i, (label, h) in enumerate(hists.items()):
            ys = [float("nan") if v is None else v for v in h[m]]
            xs = h.get("step", range(1, len(ys) + 1))
            ax.plot(list(xs), ys, color=PALETTE[i % len(PALETTE)], lw=1.8, label=label)
        if baseline and m in baseline and baseline[m] is not None:
            ax.axhline(baseline[m], color=GREY, ls="--", lw=1.4, label=baseline_label)
        ax.set_title(METRIC_LABELS.get(m, m), loc="left")  # the panel says what it shows
        ax.set_xlabel("step")
    for ax in flat[len(metrics) :]:
        ax.set_visible(False)
    if len(hists) > 1 or baseline:
        legend_above(fig, ncols=2)
    if title:
        fig.suptitle(title)
    return fig
