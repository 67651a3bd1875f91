"""The course's figure style, shared by every picture: ``figure()``, its palette, ``legend_above``.

An opaque white background (readable in dark mode), the Okabe-Ito palette (Okabe & Ito, 2008,
*Color Universal Design*; Wong, 2011, *Nature Methods* 8:441), distinguishable under the common
forms of colour blindness, quiet axes, text sized for the phone (``_sizing.TEXT_PT``) and one
legend above the panels. Each figure is pyplot-free on its own Agg canvas (the global backend is
never changed); matplotlib is imported inside the functions, so importing this module stays light.
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
#: the rcParams ``<prefix>size`` that ``figure`` sets to ``TEXT_PT(width)``
_TEXT = ("font.", "axes.label", "xtick.label", "ytick.label", "legend.font", "legend.title_font")


def _enable_notebook_display() -> None:  # pragma: no cover - exercised in notebooks
    """Make a returned Figure display as a PNG when it ends a notebook cell.

    Loads the inline backend, which registers IPython's printer for Figure (honouring
    ``InlineBackend``); in another frontend, registers ``display_png`` instead.
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
    if png is not None and png.for_type(Figure) is not display_png:  # for_type(T): T's printer
        png.for_type(Figure, display_png)


_DISPLAY_READY = False


def figure(
    nrows: int = 1, ncols: int = 1, *, width: float | None = None, height: float | None = None
):
    """Return ``(fig, axes)`` in the course style: an opaque white, pyplot-free Figure.

    ``axes`` is one Axes for a 1x1 grid, else an array like ``plt.subplots``. Every text is sized
    ``TEXT_PT(width)`` points, readable on a phone: keep ``width`` (default ``3.2 * ncols``, at
    most ``MAX_WIDTH``; height ``2.8 * nrows``) within ``MAX_WIDTH`` (6.4 in) and stack panels in
    rows. The first figure in a kernel installs the notebook display hook, once. ValueError for a
    grid or size below 1 or 0.

    >>> fig, ax = figure()
    >>> fig.get_facecolor()  # opaque white, readable in dark mode
    (1.0, 1.0, 1.0, 1.0)
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    global _DISPLAY_READY
    if nrows < 1 or ncols < 1:
        raise ValueError(f"figure: 'nrows' and 'ncols' must be >= 1, got {nrows}, {ncols}")
    if not _DISPLAY_READY:
        _DISPLAY_READY = True
        if "ipykernel" in sys.modules:
            _enable_notebook_display()
    size = (width or min(3.2 * ncols, MAX_WIDTH), height or 2.8 * nrows)
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"figure: 'width' and 'height' must be > 0 inches, got {size}")
    pt = TEXT_PT(size[0])
    text = {f"{key}size": pt for key in _TEXT}
    text.update({"axes.titlesize": pt, "figure.titlesize": pt + 1, "axes.titleweight": "bold"})
    with matplotlib.rc_context({**STYLE, **text}):
        fig = Figure(figsize=size, facecolor="white", layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=True)
    for ax in fig.axes:  # white, no top or right spine, PALETTE: from STYLE; these outlast it
        ax.grid(True, color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=pt)  # kept by ticks made later (outside the rc context)
    return fig, axes


def legend_above(fig, ax=None, *, ncols: int | None = None, **kwargs):
    """One legend for the whole figure, above the panels (outside the data).

    Collects the labelled artists of ``ax`` (default: of every panel, each label once) into a row
    of ``ncols`` (default: all) in the constrained layout's top margin; ``kwargs`` go to
    ``fig.legend`` (``frameon=False`` unless given). ValueError if nothing is labelled.

    >>> fig, (a, b) = figure(1, 2)
    >>> _ = a.plot([0, 1], label="run A"); _ = b.plot([1, 0], label="run A")
    >>> [t.get_text() for t in legend_above(fig).get_texts()]  # each label once
    ['run A']
    """
    first = {}  # label -> its first handle
    for a in [ax] if ax is not None else fig.axes:
        for h, label in zip(*a.get_legend_handles_labels(), strict=True):
            first.setdefault(label, h)
    if not first:
        raise ValueError("legend_above: no labelled artist to put in the legend")
    kwargs.setdefault("frameon", False)
    handles, labels = list(first.values()), list(first)
    return fig.legend(
        handles, labels, loc="outside upper center", ncols=ncols or len(labels), **kwargs
    )


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
