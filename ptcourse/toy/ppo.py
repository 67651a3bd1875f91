"""The update of ``rl``: one optimiser step's loss, with chapter 7's Clip-Cov and a custom reward.

``policy_loss`` is ``ptcourse.ppo_clip_loss`` (Schulman et al., 2017), plus the KL as a k3 loss
term when ``kl_in="loss"`` (Shao et al., 2024), minus an entropy bonus. Clip-Cov follows Cui et al.
(2025), *The Entropy Mechanism of Reinforcement Learning for Reasoning Language Models*, as verl's
``compute_policy_loss_clip_cov`` (``verl/trainer/ppo/core_algos.py``).
"""

from __future__ import annotations

import torch

from ..kl import kl_estimate
from ..objectives import ppo_clip_loss
from ..stats import TokenStats
from .rl_config import RLConfig

__all__ = ["cov_selected", "policy_loss", "scores_of", "update"]


def policy_loss(
    st: TokenStats,
    old_logp: torch.Tensor,
    adv: torch.Tensor,
    mask: torch.Tensor,
    cfg: RLConfig,
    beta: float,
    gen: torch.Generator,
) -> tuple[torch.Tensor, dict]:
    """The loss of one update, and its diagnostics (empty unless ``cfg.diagnostics``).

    .. math::

        L = L^{\\text{clip}}(\\theta) + \\beta\\,\\overline{\\hat k_3}\\,
        \\mathbb 1[\\text{KL in the loss}] - c\\,\\overline{\\mathcal H}

    (bars: means over the kept tokens). ``st`` holds the policy's statistics ``(B, T)`` of the
    update's rows, ``old_logp``, ``adv`` and ``mask`` those of the sampling policy.

    >>> lp = torch.tensor([[-1.0, -2.0]])  # (B, T)
    >>> st = TokenStats(logp=lp, entropy=torch.ones(1, 2), ref_logp=lp, kl=torch.zeros(1, 2))
    >>> mask, gen = torch.ones(1, 2, dtype=torch.bool), torch.Generator()
    >>> loss, _ = policy_loss(st, lp, torch.ones(1, 2), mask, RLConfig(), 0.5, gen)
    >>> loss  # on-policy: the ratio is 1, the loss -mean(A)
    tensor(-1.)
    """
    maskf = mask.float()
    ratio = torch.exp(st.logp.detach() - old_logp)  # (B, T)
    pos = adv.expand_as(ratio) >= 0
    hi = cfg.clip_eps if cfg.clip_eps_high is None else cfg.clip_eps_high
    high = pos & (ratio > 1 + hi) & mask
    clipped = high | (~pos & (ratio < 1 - cfg.clip_eps) & mask)
    keep = mask
    if cfg.clip_cov is not None:
        keep = mask & ~cov_selected(st.logp, adv, mask, clipped, cfg.clip_cov, gen)
    loss = ppo_clip_loss(
        st.logp, old_logp, adv, keep, clip_eps=cfg.clip_eps, clip_eps_high=cfg.clip_eps_high
    )
    if cfg.clip_cov is not None:  # cut tokens still count in the token mean (verl)
        loss = loss * keep.sum() / mask.sum()
    if cfg.kl_where == "loss" and beta > 0:
        k3 = kl_estimate(st.logp, st.ref_logp, kind="k3")  # (B, T)
        loss = loss + beta * (k3 * maskf).sum() / maskf.sum()
    if cfg.entropy_coef > 0:
        loss = loss - cfg.entropy_coef * (st.entropy * maskf).sum() / maskf.sum()
    if not cfg.diagnostics:
        return loss, {}
    n = mask.sum()
    approx_kl = ((old_logp - st.logp.detach()) * maskf).sum() / maskf.sum()
    return loss, {
        "clip_frac": float(clipped.sum() / n),
        "clip_high_frac": float(high.sum() / n),
        "approx_kl": float(approx_kl),
        "cov_cut": int((mask & ~keep).sum()),
    }


def update(opt: torch.optim.Optimizer, *loss_args) -> tuple[torch.Tensor, dict]:
    """One optimiser step on ``policy_loss(*loss_args)``; returns the loss and diagnostics.

    >>> w = torch.nn.Parameter(torch.zeros(2))  # (T,) the logits of a 2-token "policy"
    >>> opt, lp = torch.optim.SGD([w], lr=1.0), torch.log_softmax(w, 0)[None]  # (1, T)
    >>> st = TokenStats(logp=lp, entropy=torch.ones(1, 2), ref_logp=lp, kl=torch.zeros(1, 2))
    >>> mask = torch.tensor([[True, False]])  # only token 0 was sampled
    >>> _ = update(opt, st, lp.detach(), torch.ones(1, 2), mask, RLConfig(), 0.0, None)
    >>> w.data  # positive advantage: the sampled token's logit goes up
    tensor([ 0.5000, -0.5000])
    """
    loss, diag = policy_loss(*loss_args)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss, diag


def cov_selected(logp, adv, mask, clipped, clip_cov, gen):
    """Clip-Cov's tokens (Cui et al., 2025): a random ``fraction`` of the kept, not yet clipped
    tokens whose centred covariance term lies strictly between ``lower`` and ``upper``.

    .. math::

        c_t = \\big(A_t - \\bar A\\big)\\big(\\log\\pi(y_t) - \\overline{\\log\\pi}\\big)

    (means over the kept tokens), as verl's ``compute_policy_loss_clip_cov``: their gradient is
    cut for this update. Returns a boolean mask shaped like ``mask``.

    >>> logp = torch.tensor([[-0.1, -3.0, -0.2, -2.0]])  # (B, T)
    >>> adv, keep = torch.tensor([[1.0]]), torch.ones(1, 4, dtype=torch.bool)
    >>> none = torch.zeros(1, 4, dtype=torch.bool)
    >>> cov_selected(logp, adv, keep, none, (1.0, -1.0, 1.0), torch.Generator()).sum().item()
    4
    """
    fraction, lower, upper = clip_cov
    maskf = mask.float()
    n = maskf.sum()
    a = adv.expand_as(logp)
    lp = logp.detach()
    cov = (a - (a * maskf).sum() / n) * (lp - (lp * maskf).sum() / n)  # (B, T)
    eligible = mask & ~clipped & (cov > lower) & (cov < upper)
    where = torch.nonzero(eligible.reshape(-1)).squeeze(1)
    k = max(int(fraction * int(n)), 1)
    picked = where[torch.randperm(len(where), generator=gen)[:k]]
    sel = torch.zeros(eligible.numel(), dtype=torch.bool)
    sel[picked] = True
    return sel.view_as(eligible)


def scores_of(reward_fn, texts: list[str], nouns: list[str]) -> torch.Tensor:
    """``reward_fn(texts, nouns)``, checked (``ValueError``): a finite float tensor ``(B,)``, detached.

    >>> scores_of(lambda t, n: torch.ones(len(t)), ["the cat is red ."], ["cat"])
    tensor([1.])
    """
    out = reward_fn(texts, nouns)
    if not isinstance(out, torch.Tensor) or out.shape != (len(texts),):
        raise ValueError(
            f"rl: 'reward_fn' must return a tensor of shape ({len(texts)},), got "
            f"{getattr(out, 'shape', type(out).__name__)}"
        )
    if not bool(torch.isfinite(out).all()):
        raise ValueError("rl: 'reward_fn' returned a non-finite score")
    return out.detach().float()
