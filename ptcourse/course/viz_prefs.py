"""Chapter 8's pictures: preference-loss runs (margin, displacement) and pass@k curves.

In the course style of ``style`` (re-exported by ``viz``): one legend above the panels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .style import PALETTE, as_seeds, figure, legend_above, seed_style

__all__ = ["plot_pair_runs", "plot_pass_at_k"]


def plot_pair_runs(
    runs: Mapping[str, Mapping[str, list[float]] | Sequence[Mapping]],
    *,
    target: float | None = None,
):
    """Two panels per set of runs (``train_on_pairs`` histories): the mean margin (with the IPO
    ``target``, if given), and how far the chosen (solid) and rejected (dashed) log-likelihoods
    moved from the reference. A list of histories (seeds) is drawn thin, its first seed bold.

    >>> h = {"margin": [0, 1], "chosen": [0, -1], "rejected": [0, -2]}
    >>> len(plot_pair_runs({"DPO": h}, target=2.0).axes)
    2
    >>> len(plot_pair_runs({"DPO": [h, h]}).axes)
    2
    """
    fig, (ax1, ax2) = figure(1, 2, width=6.4, height=3.4)
    for i, (name, run) in enumerate(runs.items()):
        color = PALETTE[i % len(PALETTE)]
        for j, h in enumerate(as_seeds(run)):
            lw, alpha = seed_style(j).values()
            ax1.plot(h["margin"], color=color, lw=lw, alpha=alpha, label=name if j == 0 else None)
            ax2.plot(h["chosen"], color=color, lw=lw, alpha=alpha)
            ax2.plot(h["rejected"], color=color, lw=0.75 * lw, alpha=alpha, ls="--")
    if target is not None:
        ax1.axhline(target, color="0.5", lw=1, ls=":", label="IPO target 1/(2τ)")
    ax2.axhline(0.0, color="0.6", lw=0.8)
    # colour names the run; the line style, drawn once in a neutral grey, names the answer
    ax2.plot([], [], color="0.3", lw=2, label="chosen")
    ax2.plot([], [], color="0.3", lw=1.5, ls="--", label="rejected")
    ax1.set(xlabel="step", ylabel="mean margin h (nats)", title="the margin DPO and IPO fit")
    ax2.set(xlabel="step", ylabel="log π − log π_ref (nats)", title="where the likelihoods went")
    legend_above(fig, ncols=3)
    return fig


def plot_pass_at_k(curves: Mapping[str, Mapping[int, float] | Sequence[Mapping[int, float]]]):
    """pass@k against k (log scale) for each policy; a list of curves (seeds) is drawn thin, its first bold.

    >>> len(plot_pass_at_k({"SFT": {1: 0.9, 4: 1.0}}).axes)
    1
    >>> len(plot_pass_at_k({"RL": [{1: 0.5, 4: 0.8}, {1: 0.4, 4: 0.9}]}).axes)
    1
    """
    fig, ax = figure(width=6, height=3.4)
    for i, (name, run) in enumerate(curves.items()):
        color = PALETTE[i % len(PALETTE)]
        for j, curve in enumerate(as_seeds(run)):
            ks = sorted(curve)
            fmt, label = ("o-", name) if j == 0 else ("-", None)
            ax.plot(ks, [curve[k] for k in ks], fmt, **seed_style(j), color=color, label=label)
    ax.set_xscale("log", base=2)
    ax.set(xlabel="k (answers tried per prompt)", ylabel="pass@k", ylim=(-0.03, 1.03))
    legend_above(fig, ncols=2)
    return fig
