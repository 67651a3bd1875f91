"""Pictures of the three quantities (issue 15), each drawn from the package's own functions.

The causal shift and prompt mask, the KL estimators k1, k2, k3 (Schulman, 2020, *Approximating KL
divergence*), the exact KL at each token, and :math:`e^H` as an effective number of tokens;
re-exported by ``ptcourse.viz``, in the course style of ``style`` (matplotlib imported lazily).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ..kl import kl_estimate
from ..spread import entropy
from .style import GREY, PALETTE, figure, legend_above

__all__ = ["plot_shift_and_mask", "plot_kl_estimators", "plot_token_kl", "plot_effective_tokens"]


def plot_shift_and_mask(tokens: Sequence[str], labels: Sequence[int], *, ignore_index=-100):
    """Diagram of the causal shift: the logits at position t are scored against ``labels[t + 1]``.

    One row per position t: ``input_ids[t]`` (its token), the logits :math:`z_t` it produces and
    ``labels[t]``. An arrow runs from :math:`z_t` to the label at t + 1: solid when that label
    counts in :math:`\\mathcal L = -\\sum_{t:\\ \\text{labels}[t+1] \\neq -100} \\log
    \\mathrm{softmax}(z_t)[\\text{labels}[t+1]]`, dashed grey when it is ``ignore_index`` (the
    prompt's -100). ValueError unless ``tokens`` and ``labels`` have the same length >= 2.

    >>> fig = plot_shift_and_mask(["<bos>", "hi", "there", "<eos>"], [-100, -100, 5, 6])
    >>> sum(1 for p in fig.axes[0].patches if p.get_linestyle() == "-")  # 2 counted arrows
    2
    """
    tokens, labels = list(tokens), [int(v) for v in labels]
    if len(tokens) != len(labels) or len(tokens) < 2:
        raise ValueError(
            f"plot_shift_and_mask: 'tokens' and 'labels' must have the same length >= 2, "
            f"got {len(tokens)} and {len(labels)}"
        )
    from matplotlib.patches import FancyArrowPatch

    T = len(tokens)
    fig, ax = figure(width=5.0, height=0.9 + 0.36 * T)
    ax.set_axis_off()
    ax.set(xlim=(-0.2, 3.6), ylim=(T - 0.4, -1.2))
    mid = {"ha": "center", "va": "center"}
    for x, head in [(0.0, "t"), (0.9, "input_ids[t]"), (1.9, "logits z_t"), (3.0, "labels[t]")]:
        ax.text(x, -0.9, head, **mid, weight="bold")
    for t, (tok, lab) in enumerate(zip(tokens, labels, strict=True)):
        ax.text(0.0, t, str(t), **mid, color="#555555")
        ax.text(0.9, t, tok, **mid, family="monospace")
        tone = PALETTE[0] if t < T - 1 else GREY
        box = {"boxstyle": "round,pad=0.25", "fc": "white", "ec": tone}
        ax.text(1.9, t, f"z_{t}", **mid, color=tone, bbox=box)
        masked = lab == ignore_index
        shown, tone = (str(ignore_index), GREY) if masked else (tokens[t], PALETTE[0])
        ax.text(3.0, t, shown, **mid, family="monospace", color=tone)
        if t + 1 < T:
            counted = labels[t + 1] != ignore_index
            c, lw, ls = (PALETTE[0], 1.6, "-") if counted else (GREY, 1.0, "--")
            ends = (2.15, t + 0.05), (2.65, t + 0.95)
            arrow = FancyArrowPatch(
                *ends, arrowstyle="-|>", mutation_scale=12, color=c, lw=lw, ls=ls
            )
            ax.add_patch(arrow)
    note = "solid: scored against the next label; dashed: -100, ignored"
    ax.text(1.75, T - 0.45, note, ha="center", va="top", color="#444444")
    return fig


def plot_kl_estimators(r_min: float = 0.05, r_max: float = 4.0, n: int = 400):
    """The three single-sample KL estimators (``ptcourse.kl_estimate``) against the ratio
    :math:`r = q(x)/p(x)`: :math:`k_1 = -\\log r`, :math:`k_2 = \\tfrac12(\\log r)^2` and
    :math:`k_3 = (r - 1) - \\log r`, at ``n`` ratios spaced evenly in log from ``r_min`` to
    ``r_max``. k1 is negative for every r > 1; k3 is never negative. ValueError unless
    0 < r_min < 1 < r_max and n >= 3.

    >>> fig = plot_kl_estimators()
    >>> [line.get_label() for line in fig.axes[0].lines][:3]
    ['$k_1 = -\\\\log r$', '$k_2 = \\\\frac{1}{2}(\\\\log r)^2$', '$k_3 = (r-1) - \\\\log r$']
    """
    if not 0 < r_min < 1 < r_max or n < 3:
        raise ValueError(
            f"plot_kl_estimators: need 0 < r_min < 1 < r_max and n >= 3, got {r_min}, {r_max}, {n}"
        )
    r = torch.logspace(math.log10(r_min), math.log10(r_max), n, dtype=torch.float64)
    logp = torch.zeros_like(r)  # log p(x) = 0, so log q(x) = log r
    fig, ax = figure(width=5.0, height=3.4)
    names = {
        "k1": r"$k_1 = -\log r$",
        "k2": r"$k_2 = \frac{1}{2}(\log r)^2$",
        "k3": r"$k_3 = (r-1) - \log r$",
    }
    for i, (kind, label) in enumerate(names.items()):
        k = kl_estimate(logp, r.log(), kind=kind)
        ax.plot(r, k, color=PALETTE[i], lw=2.2, ls=("-", "--", "-")[i], label=label)
    ax.axhline(0, color="#333333", lw=0.8)
    ax.axvline(1, color=GREY, lw=0.8, ls=":")
    ax.fill_between(r, -2, 0, color=PALETTE[3], alpha=0.08, lw=0)
    ax.text(r_max * 0.95, -1.1, "k1 < 0 here", ha="right", color=PALETTE[3])
    ax.set(xlabel="ratio r = q(x) / p(x)", ylabel="estimate (nats)", ylim=(-1.5, 3.0))
    legend_above(fig, ncols=2)
    return fig


def plot_token_kl(tokens: Sequence[str], kl: torch.Tensor, *, title: str | None = None):
    """Bars of the exact per-token KL along one response; their sum is the response's KL,
    :math:`\\sum_t \\mathrm{KL}\\big(\\pi_\\theta(\\cdot \\mid x, y_{<t}) \\,\\|\\,
    \\pi_{ref}(\\cdot \\mid x, y_{<t})\\big)`, the default ``title``. ValueError unless ``tokens``
    and ``kl`` have the same non-zero length and ``kl`` is finite and >= 0 (to -1e-6).

    >>> fig = plot_token_kl(["the", "cat", "<eos>"], torch.tensor([0.1, 0.5, 0.2]))
    >>> len(fig.axes[0].patches)  # one bar per token
    3
    """
    kl = torch.as_tensor(kl, dtype=torch.float64).flatten()
    if len(tokens) != len(kl) or not len(kl):
        raise ValueError(
            f"plot_token_kl: 'tokens' ({len(tokens)}) and 'kl' ({len(kl)}) must "
            "have the same non-zero length"
        )
    if not bool(torch.isfinite(kl).all()) or bool((kl < -1e-6).any()):
        raise ValueError("plot_token_kl: 'kl' must be finite and >= 0 (an exact KL)")
    fig, ax = figure(width=5.4, height=3.2)
    ax.bar(range(len(kl)), kl, color=PALETTE[0])
    ax.set_xticks(range(len(kl)), list(tokens), rotation=45, ha="right", family="monospace")
    ax.set(ylabel="KL at this token (nats)")
    ax.set_title(title or f"sum over the response: {kl.sum().item():.2f} nats", loc="left")
    return fig


def plot_effective_tokens(logits: dict[str, torch.Tensor]):
    """Each distribution's sorted probabilities (one panel per ``{name: logits}``), with
    :math:`e^H` tokens of equal mass drawn over it.

    :math:`e^{H}` (``ptcourse.entropy``) is the number of equally likely tokens that would have the
    same entropy: a uniform distribution over k tokens has :math:`e^H = k`. ValueError if empty.

    >>> fig = plot_effective_tokens({"uniform over 4": torch.tensor([0.0] * 4 + [-1e9] * 6)})
    >>> fig.axes[0].get_title(loc="left")  # e^H of 4 equally likely tokens
    'uniform over 4: e^H = 4.0 tokens'
    """
    if not logits:
        raise ValueError("plot_effective_tokens: 'logits' is empty")
    n = len(logits)
    fig, _ = figure(n, 1, width=5.0, height=0.5 + 1.6 * n)
    for ax, (name, z) in zip(fig.axes, logits.items(), strict=True):
        z = torch.as_tensor(z, dtype=torch.float64)
        p = z.softmax(-1).sort(descending=True).values
        eff = entropy(z).exp().item()
        ax.bar(range(len(p)), p, color=PALETTE[0], label="probability (sorted)")
        mass = {"color": PALETTE[1], "alpha": 0.35, "lw": 0, "label": "e^H tokens of equal mass"}
        ax.fill_between([-0.5, eff - 0.5], 0, 1 / eff, **mass, zorder=3)
        ax.axvline(eff - 0.5, color=PALETTE[1], lw=1.5)
        ax.set_title(f"{name}: e^H = {eff:.1f} tokens", loc="left")
        ax.set(ylim=(0, 1.05), xticks=range(len(p)), xticklabels=[])
    fig.axes[-1].set_xlabel("tokens, most likely first")
    legend_above(fig, fig.axes[0], ncols=2)
    return fig
