r"""The clipped surrogate objective of PPO (Schulman et al., 2017), with the asymmetric upper bound
of the ratio ("clip-higher") of DAPO (Yu et al., 2025)."""

from __future__ import annotations

import math

import torch

from . import _guards as G
from . import _validate as V

__all__ = ["ppo_clip_loss"]


def ppo_clip_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    clip_eps: float = 0.2,
    clip_eps_high: float | None = None,
) -> torch.Tensor:
    r"""PPO clipped surrogate loss, averaged over the kept tokens.

    .. math:: \mathcal{L} = -\frac{1}{\sum_t m_t} \sum_t m_t \min\big(\rho_t A_t,\
        \mathrm{clip}(\rho_t, 1 - \varepsilon, 1 + \varepsilon_{high})\,A_t\big), \quad
        \rho_t = e^{\log\pi(y_t) - \log\pi_{old}(y_t)}

    ``logp``, ``old_logp``: ``(B, T)`` (any shape) under the current policy and the sampling one
    (a constant: no gradient). ``advantages`` (detached, finite where kept): ``(B, T)``, or
    ``(B, 1)`` per sequence (``(B,)`` is refused: it would broadcast along T when B == T).
    ``mask``: bool or 0/1, a kept token at least; kept log-probs may be -inf (not both), none NaN.
    ``clip_eps``: :math:`0 < \varepsilon < 1`, also the upper clip unless ``clip_eps_high``
    :math:`> 0` (above it: DAPO's clip-higher). Returns a scalar fp32 (fp64 for fp64 input); a
    clipped token has gradient exactly 0, even if its ratio overflows (``old_logp = -inf``); an
    overflowing loss (negative advantage, huge ratio) raises a ValueError, not inf.

    >>> logp = torch.log(torch.tensor([[1.5, 0.5]]))  # ratios 1.5 and 0.5 vs old_logp = 0
    >>> ppo_clip_loss(logp, torch.zeros(1, 2), torch.ones(1, 2), torch.ones(1, 2))  # -(1.2 + 0.5)/2
    tensor(-0.8500)
    """
    keep, lo, hi, cd = G.policy_ratios(logp, old_logp, advantages, mask, clip_eps, clip_eps_high)
    zero = torch.zeros((), dtype=cd, device=logp.device)
    lp = torch.where(keep, logp.to(cd), zero)  # (B, T)
    olp = torch.where(keep, old_logp.detach().to(cd), zero)  # (B, T); old_logp gets no gradient
    adv = torch.where(keep, advantages.detach().to(cd).expand(logp.shape), zero)  # (B, T)
    log_ratio = lp - olp  # (B, T)
    pos = adv >= 0
    # min(rho A, clip(rho) A) = A min(rho, 1 + eps_hi) if A >= 0 else A max(rho, 1 - eps); for
    # A >= 0 the log-ratio is capped above the clip before exp: no 0 * inf = NaN gradient when
    # rho would overflow (old_logp = -90 or -inf)
    cap = math.log1p(hi) + 1.0
    ratio = torch.exp(torch.where(pos, log_ratio.clamp(max=cap), log_ratio))  # (B, T)
    bounded = torch.where(pos, ratio.clamp(max=1 + hi), ratio.clamp(min=1 - lo))
    per_token = torch.where(keep, -adv * bounded, zero)  # (B, T)
    V.refuse(
        ~torch.isfinite(per_token),
        lambda i: (
            f"ppo_clip_loss overflows {cd} at kept index {i}: advantage {adv[i].item():.4g} "
            f"and log-ratio logp - old_logp = {log_ratio[i].item():.4g} give an unbounded term (a "
            "negative advantage is never clipped from above); recompute 'old_logp' from the "
            "current policy or scale down 'advantages'"
        ),
    )
    loss = per_token.sum() / keep.sum()
    if not bool(torch.isfinite(loss)):
        raise ValueError(
            f"ppo_clip_loss overflows {cd} when summing the per-token terms: scale down "
            "'advantages'"
        )
    return loss
