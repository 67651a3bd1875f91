"""Pictures of the methods (issue 15), each drawn from the package's own functions.

DPO's weight (Rafailov et al., 2023, eq. 7), one GRPO group's advantages (Shao et al., 2024, eq. 3),
the covariance behind Clip-Cov (Cui et al., 2025, arXiv 2505.22617, sec. 4) and chapter 6's
template map; re-exported by ``ptcourse.viz``, in the course style of ``style``.
"""

from __future__ import annotations

import torch

from ..objectives import dpo_loss, grpo_advantages
from .style import GREY, PALETTE, figure, legend_above

__all__ = [
    "plot_dpo_weight",
    "plot_group_advantages",
    "plot_covariance",
    "plot_template_map",
    "TEMPLATE_MAP",
]


def plot_dpo_weight(beta: float = 0.1, margin_max: float = 6.0):
    """DPO's per-pair gradient weight :math:`\\sigma(-\\text{margin})` against the margin.

    The margin is :math:`\\beta m`, with m the policy's log-ratio to the reference of the chosen
    answer minus that of the rejected one: :math:`-\\partial \\mathcal L_{DPO} / \\partial m =
    \\beta\\,\\sigma(-\\beta m)`, read from autograd through ``ptcourse.dpo_loss`` (divided by
    beta) for margins in ±``margin_max``. Pairs the policy already ranks right (large margin) pull
    less and less; wrongly ranked pairs (margin < 0) pull with weight near 1. ValueError unless
    ``beta`` and ``margin_max`` are > 0.

    >>> y = plot_dpo_weight(beta=0.1).axes[0].lines[0].get_ydata()
    >>> bool(abs(y[len(y) // 2] - 0.5) < 1e-6)  # sigma(0) = 1/2 at margin 0
    True
    """
    if not beta > 0 or not margin_max > 0:
        raise ValueError(
            f"plot_dpo_weight: 'beta' and 'margin_max' must be > 0, got {beta}, {margin_max}"
        )
    m = torch.linspace(-margin_max / beta, margin_max / beta, 241, dtype=torch.float64)
    m.requires_grad_(True)  # (P,) log-ratio margins, one pair each
    zero = torch.zeros_like(m)
    # dpo_loss averages over pairs: sum the per-pair losses by scaling with the number of pairs
    (len(m) * dpo_loss(m, zero, zero, zero, beta=beta)).backward()
    weight = (-m.grad / beta).detach()
    fig, ax = figure(width=5.0, height=3.0)
    ax.plot(beta * m.detach(), weight, color=PALETTE[0], lw=2.2)
    ax.axvline(0, color=GREY, lw=0.8, ls=":")
    ax.text(-margin_max * 0.95, 0.1, "ranked wrong:\nfull pull", color="#333333")
    ax.text(margin_max * 0.95, 0.75, "ranked right:\npull fades", ha="right", color="#333333")
    xlabel = "margin β·(log-ratio chosen − rejected)"
    ax.set(xlabel=xlabel, ylabel="weight σ(−margin)", ylim=(0, 1.05))
    return fig


def plot_group_advantages(rewards: torch.Tensor, **kwargs):
    """One GRPO group: each answer's reward, and the advantage :math:`A_i = (r_i -
    \\operatorname{mean}(r)) / (\\operatorname{std}(r) + \\epsilon)` that
    ``ptcourse.grpo_advantages`` (given ``kwargs``) gives it. ValueError for fewer than 2 rewards.

    >>> fig = plot_group_advantages(torch.tensor([1.0, 0.0, 0.0, 1.0]))
    >>> [round(float(p.get_height()), 2) for p in fig.axes[1].patches]  # above the mean: +; below: -
    [0.87, -0.87, -0.87, 0.87]
    """
    rewards = torch.as_tensor(rewards, dtype=torch.float32).flatten()
    if rewards.numel() < 2:
        raise ValueError("plot_group_advantages: 'rewards' must hold a group of at least 2 answers")
    adv = grpo_advantages(rewards.view(1, -1), **kwargs).view(-1)
    fig, (ax1, ax2) = figure(1, 2, width=6.0, height=3.0)
    idx = range(1, len(rewards) + 1)
    ax1.bar(idx, rewards, color=GREY)
    ax1.axhline(rewards.mean().item(), color="#333333", ls="--", lw=1.2)
    ax1.set_title("rewards (dashed: mean)", loc="left")
    ax2.bar(idx, adv, color=[PALETTE[2] if a >= 0 else PALETTE[3] for a in adv.tolist()])
    ax2.axhline(0, color="#333333", lw=0.8)
    ax2.set_title("advantages", loc="left")
    for ax in (ax1, ax2):
        ax.set(xlabel="answer in the group", xticks=list(idx))
    return fig


def plot_covariance(logp: torch.Tensor, adv: torch.Tensor, clipped: torch.Tensor):
    """Clip-Cov's picture: each token's centred log-prob against its centred advantage, their
    product :math:`c_i = (\\log\\pi(y_i) - \\overline{\\log\\pi})(A_i - \\bar A)`.

    Tokens in the shaded quadrants (c > 0) lower the entropy; ``clipped`` (indices or a boolean
    mask) marks the ones Clip-Cov would take out of the update. Repeated points (the same token
    drawn several times) are drawn once, their area growing with the count. ValueError unless
    ``logp`` and ``adv`` have the same length >= 2.

    >>> lp, a = torch.tensor([-0.1, -2.0, -0.1, -3.0]), torch.tensor([1.0, -1.0, 1.0, 0.5])
    >>> len(plot_covariance(lp, a, clipped=torch.tensor([0])).axes[0].collections) >= 2  # ringed
    True
    """
    logp, adv = torch.as_tensor(logp).flatten().double(), torch.as_tensor(adv).flatten().double()
    if logp.shape != adv.shape or logp.numel() < 2:
        raise ValueError("plot_covariance: 'logp' and 'adv' must have the same length >= 2")
    mask = torch.zeros(len(logp), dtype=torch.bool)
    clipped = torch.as_tensor(clipped)
    mask[clipped if clipped.dtype != torch.bool else clipped.nonzero().flatten()] = True
    x, y = logp - logp.mean(), adv - adv.mean()
    fig, ax = figure(width=5.0, height=3.6)
    pts = torch.stack([x, y], 1)
    uniq, inverse, counts = pts.unique(dim=0, return_inverse=True, return_counts=True)
    pos = (uniq[:, 0] * uniq[:, 1]) > 0
    colours = [PALETTE[3] if p else PALETTE[0] for p in pos.tolist()]
    dots = {"alpha": 0.8, "c": colours, "lw": 0, "label": "token (area: how often drawn)"}
    ax.scatter(uniq[:, 0], uniq[:, 1], s=20 + 6 * counts, **dots)
    hit = inverse[mask].unique()
    ring = {"facecolors": "none", "edgecolors": "black", "lw": 1.8, "label": "clipped by Clip-Cov"}
    ax.scatter(uniq[hit, 0], uniq[hit, 1], s=60 + 6 * counts[hit], **ring)
    lim_x, lim_y = 1.15 * x.abs().max().item(), 1.15 * y.abs().max().item()
    ax.fill_between([0, lim_x], 0, lim_y, color=PALETTE[3], alpha=0.07, lw=0)
    ax.fill_between([-lim_x, 0], -lim_y, 0, color=PALETTE[3], alpha=0.07, lw=0)
    ax.axhline(0, color="#333333", lw=0.8)
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set(xlim=(-lim_x, lim_x), ylim=(-lim_y, lim_y))
    ax.set(xlabel="log π(y) − mean", ylabel="advantage − mean")
    legend_above(fig, ncols=1)
    return fig


#: chapter 6's map: each method's four pieces (which likelihood, its weight, the leash, entropy)
TEMPLATE_MAP = {
    "pieces": ("likelihood\nof…", "weight\nw(y)", "KL\nleash", "entropy"),
    "SFT": ("demonstrations", "1", "none\n(early stop)", "none"),
    "PPO": ("own samples", "advantage", "in the reward,\nper token", "optional\nbonus"),
    "DPO": ("chosen and\nrejected", "σ-weighted\n+1 / −1", "implicit,\nvia π_ref, β", "none"),
    "GRPO": (
        "a group of\nown samples",
        "group-\nstandardised",
        "k3 term\nin the loss",
        "optional\nbonus",
    ),
}


def plot_template_map(rows: dict = TEMPLATE_MAP):
    """Schematic of chapter 6's template :math:`\\mathcal L = -\\mathbb E[w(y)\\log\\pi_\\theta(y
    \\mid x)] + \\beta\\,\\mathrm{KL} - \\alpha H`: four pieces (columns), one row per method.

    Cells reading "none" are drawn pale, so the pieces a method leaves out stand out. ValueError
    unless ``rows`` has a ``"pieces"`` header and every row is as long.

    >>> len(plot_template_map().axes[0].patches)  # 4 headers + 4 methods x 4 pieces
    20
    """
    pieces = rows.get("pieces")
    if not pieces or any(len(v) != len(pieces) for v in rows.values()):
        raise ValueError("plot_template_map: 'rows' needs a 'pieces' header and rows as long")
    from matplotlib.patches import FancyBboxPatch

    methods = [k for k in rows if k != "pieces"]
    fig, ax = figure(width=6.4, height=1.0 + 0.85 * (len(methods) + 1))
    ax.set_axis_off()
    n = len(pieces)
    ax.set(xlim=(-1.0, n), ylim=(len(methods) + 0.6, -0.6))
    colours = PALETTE[:n]
    box = {"boxstyle": "round,pad=0.02"}  # each cell: (j + 0.04, i - 0.4), 0.92 wide, 0.8 high
    for j, (name, colour) in enumerate(zip(pieces, colours, strict=True)):
        ax.add_patch(FancyBboxPatch((j + 0.04, -0.4), 0.92, 0.8, **box, fc=colour, ec="none"))
        ax.text(j + 0.5, 0, name, ha="center", va="center", color="white", weight="bold")
    for i, method in enumerate(methods, start=1):
        ax.text(-0.5, i, method, ha="center", va="center", weight="bold")
        for j, (cell, colour) in enumerate(zip(rows[method], colours, strict=True)):
            none = cell.startswith("none")
            fc, alpha, ls = ("white", 1, ":") if none else (colour, 0.18, "-")
            fill = {"fc": fc, "alpha": alpha, "ec": colour, "lw": 1.2, "ls": ls}
            ax.add_patch(FancyBboxPatch((j + 0.04, i - 0.4), 0.92, 0.8, **box, **fill))
            ink = "#888888" if none else "#222222"
            ax.text(j + 0.5, i, cell, ha="center", va="center", color=ink, linespacing=1.05)
    ax.set_title("L = −E[ w(y) log π(y|x) ] + β KL − α H", loc="left", family="serif")
    return fig
