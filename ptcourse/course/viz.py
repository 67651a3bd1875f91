"""Pictures for the course: the course style (``figure``, ``PALETTE``) and training histories.

Every helper returns a ``matplotlib.figure.Figure`` and never calls ``plt.show()``: in a notebook,
make the figure the last expression of the cell (or ``display(fig)``) and it appears once; in a
script, ``fig.savefig(path)``. Figures are built with the object-oriented API (not registered with
pyplot), so they neither pile up in memory nor show twice.

Course style: an opaque white background (readable in a dark-mode theme), the Okabe-Ito palette
(Okabe & Ito, 2008, *Color Universal Design*; Wong, 2011, *Nature Methods* 8:441), which stays
distinguishable under the common forms of colour blindness, and a few quiet axes settings.

Sized for where it is read: a notebook or the site shows a figure at ``CSS_DPI`` CSS pixels per inch
(no wider than the site's article column, ``COLUMN_PX``: 757 px in a 1366-px window, 358 px on a
390-px phone), from a PNG with ``PIXEL_RATIO`` (2) pixels per CSS pixel. ``figure`` sizes every
text for the phone: at ``width`` inches shown 358 px wide, the smallest text is at least
``MIN_TEXT_PX`` (9) CSS pixels. Each PNG records its smallest font (points) and its dpi in its
metadata (``png_metadata``), which the site's browser checks read to compute the text's displayed
size.

matplotlib is imported here only (``import ptcourse`` never imports it). Every figure draws on its
own Agg canvas, so the global backend is never changed (a notebook's inline backend, or a user's
GUI backend, stays as it was) and no display is needed.
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Mapping, Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

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


def _enable_notebook_display() -> None:  # pragma: no cover - exercised in notebooks
    """Make a returned Figure display as an image when it ends a notebook cell.

    Our figures are not registered with pyplot, so nothing has loaded the inline backend yet;
    loading it registers IPython's PNG printer for Figure (honouring ``InlineBackend`` settings).
    If that did not happen (another frontend), a plain PNG printer is registered instead.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None or not hasattr(ip, "display_formatter"):
        return
    if "inline" in matplotlib.get_backend():
        try:
            importlib.import_module("matplotlib_inline.backend_inline")
        except ImportError:
            pass
    png = ip.display_formatter.formatters.get("image/png")
    if png is not None and not _has_printer(png):
        png.for_type(Figure, display_png)


def _has_printer(formatter) -> bool:
    try:
        return formatter.lookup_by_type(Figure) is display_png
    except KeyError:
        return False


_DISPLAY_READY = False


def _ensure_notebook_display() -> None:
    """Run ``_enable_notebook_display`` once, on the first figure (never at import)."""
    global _DISPLAY_READY
    if not _DISPLAY_READY:
        _DISPLAY_READY = True
        if "ipykernel" in sys.modules:
            _enable_notebook_display()


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
]

#: Okabe-Ito colour-blind-safe palette (black last): blue, orange, green, vermillion, ...
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: the neutral colour of references and baselines (a reference curve, pi_ref's bars)
GREY = "#999999"

#: matplotlib rcParams of the course style
STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#222222",
    "text.color": "#222222",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.frameon": False,
    "figure.dpi": 100,
}

#: axis labels of the toy world's metrics, read from their one home, ``ptcourse.toy.METRICS``
METRIC_LABELS = {key: metric.label for key, metric in METRICS.items()}


def figure(
    nrows: int = 1, ncols: int = 1, *, width: float | None = None, height: float | None = None
) -> tuple[Figure, object]:
    """Return ``(fig, axes)`` in the course style: an opaque white, pyplot-free Figure.

    ``axes`` is one Axes for a 1x1 grid, else an array like ``plt.subplots``. Every text (ticks,
    labels, legends, titles) is sized by ``TEXT_PT(width)``, so that it stays readable on a phone;
    keep ``width`` at most ``MAX_WIDTH`` (6.4 in) and stack panels in rows rather than widen.

    Examples
    --------
    >>> fig, ax = figure()
    >>> fig.get_facecolor()  # opaque white, readable in dark mode
    (1.0, 1.0, 1.0, 1.0)
    """
    if nrows < 1 or ncols < 1:
        raise ValueError(f"figure: 'nrows' and 'ncols' must be >= 1, got {nrows}, {ncols}")
    _ensure_notebook_display()
    size = (width or min(3.2 * ncols, MAX_WIDTH), height or 2.8 * nrows)
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"figure: 'width' and 'height' must be > 0 inches, got {size}")
    pt = TEXT_PT(size[0])
    text = {
        key: pt
        for key in (
            "font.size",
            "axes.labelsize",
            "xtick.labelsize",
            "ytick.labelsize",
            "legend.fontsize",
            "legend.title_fontsize",
        )
    }
    text.update({"axes.titlesize": pt, "figure.titlesize": pt + 1, "axes.titleweight": "bold"})
    with matplotlib.rc_context({**STYLE, **text}):
        fig = Figure(figsize=size, facecolor="white", layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=True)
    for ax in fig.axes:
        _style_axes(ax)
        ax.tick_params(labelsize=pt)  # kept by ticks made later (outside the rc context)
    return fig, axes


def legend_above(fig: Figure, ax=None, *, ncols: int | None = None, **kwargs):
    """One legend for the whole figure, above the panels (outside the data).

    Collects the labelled artists of ``ax`` (default: of every panel, each label once) and puts
    them in a row (``ncols``, default: all) over the panels, in the constrained layout's margin.

    Examples
    --------
    >>> fig, (a, b) = figure(1, 2)
    >>> _ = a.plot([0, 1], label="run A"); _ = b.plot([1, 0], label="run A")
    >>> [t.get_text() for t in legend_above(fig).get_texts()]  # each label once
    ['run A']
    """
    handles, labels = [], []
    for a in [ax] if ax is not None else fig.axes:
        for h, label in zip(*a.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(h)
                labels.append(label)
    if not labels:
        raise ValueError("legend_above: no labelled artist to put in the legend")
    ncols = ncols or len(labels)
    kwargs.setdefault("frameon", False)
    return fig.legend(handles, labels, loc="outside upper center", ncols=ncols, **kwargs)


def _style_axes(ax) -> None:
    ax.set_facecolor("white")
    ax.grid(True, color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_prop_cycle(color=PALETTE)


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
) -> Figure:
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


# The explanatory pictures live in their own module (one concept each); viz is their public home.
from .pictures import (  # noqa: E402 - after the style they draw with
    plot_effective_tokens,
    plot_kl_estimators,
    plot_shift_and_mask,
    plot_token_kl,
)
from .pictures_methods import (  # noqa: E402
    TEMPLATE_MAP,
    plot_covariance,
    plot_dpo_weight,
    plot_group_advantages,
    plot_template_map,
)

__all__ += [
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
