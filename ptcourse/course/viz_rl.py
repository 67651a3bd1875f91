"""Pictures of chapter 7 ("In practice"), in the course style of ``style`` (re-exported by ``viz``).

A figure with several series names them in one legend above its panels (``legend_above``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .style import PALETTE, figure, legend_above, seed_style

__all__ = ["plot_variance", "plot_overoptimisation", "plot_overoptimisation_seeds", "plot_kl_control",
           "plot_ppo_updates", "plot_entropy_runs", "plot_entropy_seeds", "plot_seed_spread"]  # fmt: skip

# a two-step history, for the examples
_H = {"kl": [0.1, 0.3], "entropy": [1.0, 0.8], "step": [1, 2], "beta": [0.1, 0.2]}


def plot_variance(variances: Mapping[str, Mapping[str, float]], *, title: str = ""):
    """Bars of the gradient variance of each estimator, one panel per setting ``{setting: {est: v}}``.

    >>> len(plot_variance({"T = 1": {"k1": 2.0, "k3": 0.5}, "T = 2": {"k1": 1.0}}).axes)
    2
    """
    fig, _ = figure(1, len(variances), width=min(6.4, 3.2 * len(variances)), height=3.0)
    for ax, (setting, vals) in zip(fig.axes, variances.items(), strict=True):
        names = list(vals)
        ax.bar(names, [vals[n] for n in names], color=[PALETTE[i] for i in range(len(names))])
        ax.set(title=setting, ylabel="variance of the gradient estimate")
    if title:
        fig.suptitle(title)
    return fig


def plot_overoptimisation(proxy: Sequence[float], gold: Sequence[float], kl: Sequence[float]):
    """Learned reward (proxy) and true quality (gold) of the rollouts against their KL from the start.

    >>> len(plot_overoptimisation([0.1, 0.9], [2.0, 1.0], [0.5, 2.0]).axes)
    2
    """
    fig, (ax1, ax2) = figure(1, 2, width=6.4, height=3.2)
    steps = range(1, len(proxy) + 1)
    ax1.plot(steps, proxy, color=PALETTE[0], lw=2, label="learned reward (proxy)")
    ax1.plot(steps, gold, color=PALETTE[3], lw=2, label="true quality (gold)")
    ax1.set(xlabel="RL step", ylabel="mean per answer", title="reward over-optimisation")
    legend_above(fig, ax1)
    ax2.plot(kl, gold, "o", ms=3, color=PALETTE[3])
    ax2.set(xlabel="KL(π ‖ π_ref)  (nats)", ylabel="true quality", title="gold against KL")
    return fig


def plot_kl_control(runs: Mapping[str, Mapping], target: float):
    """KL per step of each run, with the target; and beta per step of the runs that log it.

    >>> len(plot_kl_control({"adaptive": _H}, target=0.2).axes)
    2
    """
    fig, (ax1, ax2) = figure(1, 2, width=6.4, height=3.2)
    for i, (name, h) in enumerate(runs.items()):
        ax1.plot(h["step"], h["kl"], color=PALETTE[i], lw=1.6, label=name)
        if "beta" in h:
            ax2.plot(h["step"], h["beta"], color=PALETTE[i], lw=1.6, label=name)
    ax1.axhline(target, color="0.4", ls="--", lw=1, label="target KL")
    ax1.set(xlabel="RL step", ylabel="KL (nats per answer)", title="KL from the reference")
    ax2.set(xlabel="RL step", ylabel="β", title="the controller's β")
    legend_above(fig)  # each run once, though it may be drawn in both panels
    return fig


def plot_ppo_updates(runs: Mapping[str, Mapping]):
    """Clip fraction and approximate KL to π_old per update, for runs logged with diagnostics.

    >>> len(plot_ppo_updates({"PPO": {"updates": {"clip_frac": [0.1], "approx_kl": [0.01]}}}).axes)
    2
    """
    fig, (ax1, ax2) = figure(1, 2, width=6.4, height=3.2)
    for i, (name, h) in enumerate(runs.items()):
        u = h["updates"]
        xs = range(1, len(u["clip_frac"]) + 1)
        ax1.plot(xs, u["clip_frac"], color=PALETTE[i], lw=1, label=name)
        ax2.plot(xs, u["approx_kl"], color=PALETTE[i], lw=1, label=name)
    ax1.set(xlabel="update", ylabel="fraction of tokens", title="clip fraction")
    ax2.set(xlabel="update", ylabel="nats per token", title="approx. KL to π_old")
    legend_above(fig, ncols=2)
    return fig


def plot_entropy_runs(runs: Mapping[str, Mapping], *, baseline: float | None = None):
    """Entropy per answer token over training, one line per run (``baseline``: a dashed line).

    >>> len(plot_entropy_runs({"PPO": _H}, baseline=1.0).axes[0].lines)
    2
    """
    fig, ax = figure(width=6.4, height=3.2)
    for i, (name, h) in enumerate(runs.items()):
        ax.plot(h["step"], h["entropy"], color=PALETTE[i], lw=1.8, label=name)
    if baseline is not None:
        ax.axhline(baseline, color="0.4", ls="--", lw=1, label="SFT model")
    ax.set(xlabel="RL step", ylabel="entropy (nats per token)", title="entropy over training")
    legend_above(fig, ncols=2)
    return fig


def plot_overoptimisation_seeds(runs: Sequence[Mapping[str, Sequence[float]]]):
    """Proxy and gold per step for several seeds (thin), the first seed bold; gold against KL.

    Each run maps ``proxy``, ``gold`` and ``kl`` to one value per RL step.

    >>> len(plot_overoptimisation_seeds([{"proxy": [0.1], "gold": [1.0], "kl": [0.0]}] * 2).axes)
    2
    """
    fig, (ax1, ax2) = figure(1, 2, width=6.4, height=3.2)
    for i, run in enumerate(runs):
        steps = range(1, len(run["proxy"]) + 1)
        style = seed_style(i, faint=0.55)
        for key, color, label in (
            ("proxy", PALETTE[0], "learned reward (proxy)"),
            ("gold", PALETTE[3], "true quality (gold)"),
        ):
            ax1.plot(steps, run[key], color=color, **style, label=label if i == 0 else None)
        ms = 2.5 if i == 0 else 1.5
        ax2.plot(run["kl"], run["gold"], "o", ms=ms, alpha=style["alpha"], color=PALETTE[3])
    title = f"reward over-optimisation, {len(runs)} seeds"
    ax1.set(xlabel="RL step", ylabel="mean per answer", title=title)
    ax2.set(xlabel="KL(π ‖ π_ref)  (nats)", ylabel="true quality", title="gold against KL")
    ax2.set_xscale("symlog", linthresh=1.0)
    legend_above(fig, ax1)
    return fig


def plot_entropy_seeds(runs: Mapping[str, Sequence[Mapping]], *, baseline: float | None = None):
    """Entropy per answer token over training: per method, every seed (thin) and the first (bold).

    >>> len(plot_entropy_seeds({"PPO": [_H, _H]}).axes[0].lines)
    2
    """
    fig, ax = figure(width=6.4, height=3.2)
    for i, (name, hists) in enumerate(runs.items()):
        for j, h in enumerate(hists):
            style = seed_style(j, bold=1.8, thin=0.8)
            ax.plot(
                h["step"], h["entropy"], color=PALETTE[i], **style, label=name if j == 0 else None
            )
    if baseline is not None:
        ax.axhline(baseline, color="0.4", ls="--", lw=1, label="SFT model")
    title = f"entropy over training, {max(len(h) for h in runs.values())} seeds"
    ax.set(xlabel="RL step", ylabel="entropy (nats per token)", title=title)
    legend_above(fig, ncols=2)
    return fig


def plot_seed_spread(
    values: Mapping[str, Sequence[float]], *, ylabel: str, title: str = "", log: bool = False
):
    """One column of dots per method, one dot per seed, with the mean as a bar across the column.

    >>> len(plot_seed_spread({"a": [1.0, 2.0], "b": [3.0]}, ylabel="KL", log=True).axes[0].lines)
    4
    """
    fig, ax = figure(width=6.4, height=3.0)
    for i, vs in enumerate(values.values()):
        xs = [i + 0.08 * (j - (len(vs) - 1) / 2) for j in range(len(vs))]
        ax.plot(xs, list(vs), "o", ms=5, color=PALETTE[i], alpha=0.8)
        mean = sum(vs) / len(vs)
        ax.plot([i - 0.3, i + 0.3], [mean, mean], color=PALETTE[i], lw=2)
    ax.set_xticks(range(len(values)), list(values))
    ax.set(ylabel=ylabel, title=title)
    if log:
        ax.set_yscale("log")
    return fig
