"""The course's figure style: ``figure()``, its palette and ``legend_above``, shared by every picture.

``viz`` (training histories, and the public home of every picture), ``pictures``,
``pictures_methods``, ``viz_rl`` and ``viz_prefs`` all draw on ``figure()``; this module holds
only the style, so that none of them imports another to reach it.

Course style: an opaque white background (readable in a dark-mode theme), the Okabe-Ito palette
(Okabe & Ito, 2008, *Color Universal Design*; Wong, 2011, *Nature Methods* 8:441), which stays
distinguishable under the common forms of colour blindness, a few quiet axes settings, and text
sized for the phone by ``_sizing.TEXT_PT``. A figure with several series has one legend, above the
panels and outside the data (``legend_above``).

Every figure is a pyplot-free ``matplotlib.figure.Figure`` on its own Agg canvas, so the global
backend is never changed and no display is needed. matplotlib is imported inside the functions
only: importing this module (and the picture modules built on it) stays light.
"""

from __future__ import annotations

import importlib
import sys

from ._sizing import MAX_WIDTH, TEXT_PT, display_png

__all__ = ["PALETTE", "GREY", "STYLE", "as_seeds", "figure", "legend_above", "seed_style"]

#: Okabe-Ito colour-blind-safe palette (black last): blue, orange, green, vermillion, ...
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: the neutral colour of references and baselines (a reference curve, pi_ref's bars)
GREY = "#999999"

#: matplotlib rcParams of the course style (the colour cycle in rcParams' own string form)
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
    "axes.prop_cycle": f"cycler(color={list(PALETTE)!r})",
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.frameon": False,
    "figure.dpi": 100,
}


def _enable_notebook_display() -> None:  # pragma: no cover - exercised in notebooks
    """Make a returned Figure display as an image when it ends a notebook cell.

    Our figures are not registered with pyplot, so nothing has loaded the inline backend yet;
    loading it registers IPython's PNG printer for Figure (honouring ``InlineBackend`` settings).
    If that did not happen (another frontend), a plain PNG printer is registered instead.
    """
    import matplotlib
    from matplotlib.figure import Figure

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
    from matplotlib.figure import Figure

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


def figure(
    nrows: int = 1, ncols: int = 1, *, width: float | None = None, height: float | None = None
):
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
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

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


def legend_above(fig, ax=None, *, ncols: int | None = None, **kwargs):
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


def as_seeds(run) -> list:
    """A run, or a list of runs of several seeds, as a list (the first is drawn bold).

    >>> as_seeds({"reward": [1.0]}), len(as_seeds([{}, {}]))
    ([{'reward': [1.0]}], 2)
    """
    return list(run) if isinstance(run, (list, tuple)) else [run]


def seed_style(j: int, *, bold: float = 2.0, thin: float = 0.9, faint: float = 0.5) -> dict:
    """``lw`` and ``alpha`` of seed ``j`` of a run: the first seed bold, the others thin and faint.

    >>> seed_style(0), seed_style(3)
    ({'lw': 2.0, 'alpha': 1.0}, {'lw': 0.9, 'alpha': 0.5})
    """
    return {"lw": bold, "alpha": 1.0} if j == 0 else {"lw": thin, "alpha": faint}
