"""Pictures for the course: training histories, next-token distributions, the beta frontier.

Every helper returns a ``matplotlib.figure.Figure`` and never calls ``plt.show()``: in a notebook,
make the figure the last expression of the cell (or ``display(fig)``) and it appears once; in a
script, ``fig.savefig(path)``. Figures are built with the object-oriented API (not registered with
pyplot), so they neither pile up in memory nor show twice.

Course style: an opaque white background (readable in a dark-mode theme), the Okabe-Ito palette
(Okabe & Ito, 2008, *Color Universal Design*; Wong, 2011, *Nature Methods* 8:441), which stays
distinguishable under the common forms of colour blindness, and a few quiet axes settings.

matplotlib is imported here only (``import ptcourse`` never imports it). Every figure draws on its
own Agg canvas, so the global backend is never changed (a notebook's inline backend, or a user's
GUI backend, stays as it was) and no display is needed.
"""

from __future__ import annotations

import importlib
import io
import math
import sys
from collections.abc import Mapping, Sequence

import matplotlib
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


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
        png.for_type(Figure, _png_bytes)


def _has_printer(formatter) -> bool:
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        return False
    return True


def _png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


if "ipykernel" in sys.modules:
    _enable_notebook_display()

__all__ = [
    "PALETTE",
    "STYLE",
    "METRIC_LABELS",
    "figure",
    "plot_histories",
    "plot_next_token",
    "plot_distributions",
    "plot_frontier",
    "plot_bandit",
    "plot_curves",
]

#: Okabe-Ito colour-blind-safe palette (black last)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

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

#: axis labels of the toy world's metrics
METRIC_LABELS = {
    "reward": "reward",
    "kl": "KL(π ‖ π_ref) [nats / answer]",
    "entropy": "entropy [nats / token]",
    "distinct_2": "distinct-2",
    "demo_loglik": "demo log-lik [nats / token]",
    "grammatical": "fraction grammatical",
    "hack_rate": "fraction 'great great great'",
    "loss": "loss",
    "tv": "total variation to π*",
}


def figure(
    nrows: int = 1, ncols: int = 1, *, width: float | None = None, height: float | None = None
) -> tuple[Figure, object]:
    """Return ``(fig, axes)`` in the course style: an opaque white, pyplot-free Figure.

    ``axes`` is one Axes for a 1x1 grid, else an array like ``plt.subplots``.

    Examples
    --------
    >>> fig, ax = figure()
    >>> fig.get_facecolor()  # opaque white, readable in dark mode
    (1.0, 1.0, 1.0, 1.0)
    """
    if nrows < 1 or ncols < 1:
        raise ValueError(f"figure: 'nrows' and 'ncols' must be >= 1, got {nrows}, {ncols}")
    size = (width or min(4.0 * ncols, 12.0), height or 3.2 * nrows)
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=size, facecolor="white", layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=True)
    for ax in fig.axes:
        _style_axes(ax)
    return fig, axes


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
        Panels per row (default: all in one row up to 4).

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
    ncols = ncols or min(len(metrics), 4)
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = figure(nrows, ncols, width=min(3.3 * ncols, 13.0), height=2.8 * nrows)
    flat = list(axes.flat) if hasattr(axes, "flat") else [axes]
    for ax, m in zip(flat, metrics, strict=False):
        for i, (label, h) in enumerate(runs.items()):
            ys = [float("nan") if v is None else v for v in h[m]]
            xs = h.get("step", range(1, len(ys) + 1))
            ax.plot(list(xs), ys, color=PALETTE[i % len(PALETTE)], lw=1.6, label=label)
        if baseline and m in baseline and baseline[m] is not None:
            ax.axhline(baseline[m], color="#555555", ls="--", lw=1.0, label=baseline_label)
        ax.set_xlabel("step")
        ax.set_ylabel(METRIC_LABELS.get(m, m))
    for ax in flat[len(metrics) :]:
        ax.set_visible(False)
    if len(runs) > 1 or baseline:
        flat[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_next_token(
    probs,
    tokens: Sequence[str] | None = None,
    *,
    top_k: int | None = None,
    highlight: str | Sequence[str] | None = None,
    title: str | None = None,
    ylabel: str = "probability",
) -> Figure:
    """Bar chart of a next-token distribution over the vocabulary.

    .. math::

        p(v \\mid \\text{context}) \\text{ for each token } v, \\quad \\sum_v p(v) = 1

    Parameters
    ----------
    probs : torch.Tensor or sequence of float
        Probabilities ``(V,)`` (use ``torch.softmax(logits, -1)``).
    tokens : sequence of str, optional
        Labels (default: the toy ``TOKENIZER.vocab`` when V matches, else the indices).
    top_k : int, optional
        Show only the ``top_k`` most probable tokens, sorted.
    highlight : str or sequence of str, optional
        Tokens drawn in the accent colour (e.g. the one that was sampled).
    title, ylabel : str

    Examples
    --------
    >>> import torch
    >>> fig = plot_next_token(torch.tensor([0.7, 0.2, 0.1]), ["cat", "dog", "fox"])
    >>> len(fig.axes[0].patches)  # one bar per token
    3
    """
    p = torch.as_tensor(probs, dtype=torch.float32).detach().cpu().flatten()
    if p.numel() == 0 or not bool(torch.isfinite(p).all()) or bool((p < 0).any()):
        raise ValueError(
            f"plot_next_token: 'probs' must be finite and >= 0, got shape {tuple(p.shape)}"
        )
    if tokens is None:
        from ..toy.tokenizer import TOKENIZER

        tokens = TOKENIZER.vocab if p.numel() == len(TOKENIZER) else [str(i) for i in range(len(p))]
    tokens = list(tokens)
    if len(tokens) != p.numel():
        raise ValueError(f"plot_next_token: {len(tokens)} 'tokens' for {p.numel()} 'probs'")
    idx = list(range(len(tokens)))
    if top_k is not None:
        idx = torch.argsort(p, descending=True, stable=True)[:top_k].tolist()
    marks = {highlight} if isinstance(highlight, str) else set(highlight or ())
    fig, ax = figure(width=max(4.0, min(0.32 * len(idx) + 1.5, 12.0)), height=3.0)
    colors = [PALETTE[3] if tokens[i] in marks else PALETTE[0] for i in idx]
    ax.bar(range(len(idx)), [float(p[i]) for i in idx], color=colors)
    ax.set_xticks(range(len(idx)), [tokens[i] for i in idx], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    if title:
        ax.set_title(title)
    return fig


def plot_distributions(
    dists: Mapping[str, object],
    tokens: Sequence[str] | None = None,
    *,
    title: str | None = None,
    ylabel: str = "probability",
) -> Figure:
    """Grouped bars of several distributions over the same outcomes (e.g. π_ref, π*, learned).

    Examples
    --------
    >>> fig = plot_distributions({"ref": [0.5, 0.5], "pi*": [0.2, 0.8]}, ["a", "b"])
    >>> len(fig.axes[0].patches)  # 2 distributions x 2 outcomes
    4
    """
    if not dists:
        raise ValueError("plot_distributions: 'dists' is empty")
    rows = {
        k: torch.as_tensor(v, dtype=torch.float32).detach().cpu().flatten()
        for k, v in dists.items()
    }
    n = {v.numel() for v in rows.values()}
    if len(n) != 1:
        raise ValueError(f"plot_distributions: distributions of different sizes {sorted(n)}")
    k = n.pop()
    tokens = list(tokens) if tokens is not None else [str(i) for i in range(k)]
    if len(tokens) != k:
        raise ValueError(f"plot_distributions: {len(tokens)} 'tokens' for {k} outcomes")
    fig, ax = figure(width=max(4.5, min(0.45 * k * len(rows) + 1.5, 12.0)), height=3.0)
    w = 0.8 / len(rows)
    for j, (label, v) in enumerate(rows.items()):
        xs = [i - 0.4 + w * (j + 0.5) for i in range(k)]
        ax.bar(xs, v.tolist(), width=w, label=label, color=PALETTE[j % len(PALETTE)])
    ax.set_xticks(range(k), tokens, rotation=30 if k > 6 else 0, ha="right" if k > 6 else "center")
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_frontier(
    points,
    *,
    x: str = "kl",
    y: str = "reward",
    label: str = "beta",
    title: str | None = "reward vs KL as β varies",
) -> Figure:
    """Plot the β frontier: each run's reward against its KL to the reference, labelled by β.

    .. math::

        \\beta \\mapsto \\big(\\mathrm{KL}(\\pi_\\beta \\| \\pi_{\\text{ref}}),\\; \\mathbb{E}_{\\pi_\\beta}[r]\\big)

    Parameters
    ----------
    points : mapping or sequence
        ``{beta: final}`` where ``final`` has keys ``x`` and ``y`` (a demo's ``"final"`` or
        ``evaluate`` output, or a whole demo result), or a sequence of demo results
        (``result["params"]["beta"]`` is used).

    Examples
    --------
    >>> fig = plot_frontier({0.0: {"kl": 60.0, "reward": 11.0}, 1.0: {"kl": 0.2, "reward": 0.9}})
    >>> fig.axes[0].get_xlabel()
    'KL(π ‖ π_ref) [nats / answer]'
    """
    if isinstance(points, Mapping):
        items = list(points.items())
    else:
        items = [(r["params"][label], r) for r in points]
    if not items:
        raise ValueError("plot_frontier: 'points' is empty")
    rows = []
    for b, f in items:
        f = f.get("final", f)
        if x not in f or y not in f:
            raise ValueError(f"plot_frontier: point {b!r} lacks {x!r} or {y!r}; has {sorted(f)}")
        rows.append((float(b), float(f[x]), float(f[y])))
    rows.sort()
    fig, ax = figure(width=5.0, height=3.6)
    ax.plot([r[1] for r in rows], [r[2] for r in rows], "-", color="#999999", lw=1.0, zorder=1)
    for i, (b, xv, yv) in enumerate(rows):
        ax.scatter([xv], [yv], s=45, color=PALETTE[i % len(PALETTE)], zorder=2, label=f"β = {b:g}")
        ax.annotate(f"β={b:g}", (xv, yv), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_xlabel(METRIC_LABELS.get(x, x))
    ax.set_ylabel(METRIC_LABELS.get(y, y))
    if title:
        ax.set_title(title)
    return fig


def plot_bandit(result: Mapping, *, title: str | None = None) -> Figure:
    """Grouped bars of a bandit result (``toy.bandit`` or ``run_demo("bandit")``): π_ref, π*, learned.

    Examples
    --------
    >>> from ptcourse.toy import bandit
    >>> fig = plot_bandit(bandit(steps=20))
    >>> len(fig.axes[0].patches)  # 3 distributions x 8 arms
    24
    """
    if "ref_probs" not in result:
        raise ValueError("plot_bandit: 'result' must come from toy.bandit(...)")
    return plot_distributions(
        {
            "π_ref": result["ref_probs"],
            "π* (closed form)": result["optimal_probs"],
            "learned by sampling": result["learned_probs"],
        },
        [str(a) for a in result["arms"]],
        title=title or f"one-step bandit, β = {result['beta']:g}",
    )


def plot_curves(
    x: Sequence[float],
    ys: Mapping[str, Sequence[float]],
    *,
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    logx: bool = False,
) -> Figure:
    """Plot one or several curves ``y(x)`` on one axes (e.g. entropy vs temperature).

    Examples
    --------
    >>> fig = plot_curves([0.5, 1, 2], {"entropy": [0.3, 0.9, 1.5]}, xlabel="temperature")
    >>> len(fig.axes[0].lines)
    1
    """
    if not ys:
        raise ValueError("plot_curves: 'ys' is empty")
    fig, ax = figure(width=5.0, height=3.4)
    for i, (label, y) in enumerate(ys.items()):
        if len(y) != len(x):
            raise ValueError(f"plot_curves: curve {label!r} has {len(y)} values for {len(x)} x")
        ax.plot(list(x), list(y), color=PALETTE[i % len(PALETTE)], lw=1.8, label=label)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(ys) > 1:
        ax.legend(fontsize=9)
    if title:
        ax.set_title(title)
    return fig
