r"""The post-training toolkit assembled: DPO, GRPO advantages, and the PPO clipped loss.

* :func:`dpo_loss` -- Direct Preference Optimization (Rafailov et al., 2023): the KL-regularised
  reward maximiser, rewritten as a logistic loss on log-probability ratios of preference pairs.
* :func:`grpo_advantages` -- Group Relative Policy Optimization (Shao et al., 2024, DeepSeekMath):
  advantages from rewards standardised within each group of samples for the same prompt (no
  value network). ``scale=False`` is the unscaled variant of Dr. GRPO (Liu et al., 2025).
* :func:`ppo_clip_loss` -- the clipped surrogate objective of PPO (Schulman et al., 2017), with the
  asymmetric "clip-higher" upper bound of DAPO (Yu et al., 2025).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import _validate as V

__all__ = ["dpo_loss", "grpo_advantages", "ppo_clip_loss"]


def dpo_loss(
    policy_chosen_logp: torch.Tensor,
    policy_rejected_logp: torch.Tensor,
    ref_chosen_logp: torch.Tensor,
    ref_rejected_logp: torch.Tensor,
    beta: float = 0.1,
) -> torch.Tensor:
    r"""Direct Preference Optimization loss, averaged over preference pairs.

    .. math::

        \mathcal{L}_{\text{DPO}} = -\,\mathbb{E}\Big[\log \sigma\Big(\beta\big[
            (\log\pi(y_c) - \log\pi_{ref}(y_c)) - (\log\pi(y_r) - \log\pi_{ref}(y_r))
        \big]\Big)\Big]

    Parameters
    ----------
    policy_chosen_logp, policy_rejected_logp : torch.Tensor
        Sequence log-probabilities (e.g. :func:`ptcourse.sequence_logprob`) under the policy,
        shape ``(P,)`` (any shape, all four equal).
    ref_chosen_logp, ref_rejected_logp : torch.Tensor
        The same under the frozen reference model.
    beta : float
        Strength of the implicit KL leash, ``> 0``.

    Returns
    -------
    torch.Tensor
        Scalar fp32 loss; :math:`\log 2` when policy equals reference.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import dpo_loss
    >>> lp = torch.tensor([-5.0, -7.0])
    >>> dpo_loss(lp, lp, lp, lp)  # policy == reference: log 2
    tensor(0.6931)
    """
    args = {
        "policy_chosen_logp": policy_chosen_logp,
        "policy_rejected_logp": policy_rejected_logp,
        "ref_chosen_logp": ref_chosen_logp,
        "ref_rejected_logp": ref_rejected_logp,
    }
    for name, t in args.items():
        V.float_tensor(t, name)
        V.same_shape(policy_chosen_logp, "policy_chosen_logp", t, name)
        V.same_device(policy_chosen_logp, "policy_chosen_logp", t, name)
        V.no_nan(t, name)
    if policy_chosen_logp.numel() == 0:
        raise ValueError("'policy_chosen_logp' is empty: no preference pair to average over")
    b = V.scalar(beta, "beta")
    cd = V.compute_dtype(*(t.dtype for t in args.values()))
    pc, pr, rc, rr = (t.to(cd) for t in args.values())
    margin = b * ((pc - rc) - (pr - rr))  # (P,)
    loss = -F.logsigmoid(margin).mean()
    if bool(torch.isnan(loss)):
        raise ValueError(
            "dpo_loss is undefined: a log-ratio is inf - inf (a -inf log-prob in both the "
            "policy and the reference of the same completion?)"
        )
    return loss


def grpo_advantages(
    rewards: torch.Tensor, *, scale: bool = True, eps: float = 1e-4
) -> torch.Tensor:
    r"""Group-relative advantages: each reward compared with its group's mean (and spread).

    For group g with rewards :math:`r_{g,1}, \dots, r_{g,n}`:

    .. math::

        A_{g,i} = \frac{r_{g,i} - \bar r_g}{s_g + \varepsilon}, \qquad
        s_g = \sqrt{\tfrac{1}{n-1} \textstyle\sum_j (r_{g,j} - \bar r_g)^2}

    (``scale=False``: :math:`A_{g,i} = r_{g,i} - \bar r_g`). A constant group carries no signal and
    gets exactly 0.

    Parameters
    ----------
    rewards : torch.Tensor
        ``(G, n)``: G groups (prompts) of n >= 2 samples each.
    scale : bool
        Divide by the Bessel-corrected group std (GRPO) or not (Dr. GRPO).
    eps : float
        ``>= 0``, added to the std.

    Returns
    -------
    torch.Tensor
        ``(G, n)`` advantages (fp32 for fp16/bf16/fp32 input); each group sums to 0.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import grpo_advantages
    >>> r = torch.tensor([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])  # 2 prompts, 4 samples each
    >>> grpo_advantages(r, eps=0.0)  # std of [1,0,0,1] is 0.5774; the constant group gives zeros
    tensor([[ 0.8660, -0.8660, -0.8660,  0.8660],
            [ 0.0000,  0.0000,  0.0000,  0.0000]])
    """
    V.float_tensor(rewards, "rewards")
    if rewards.dim() != 2:
        raise ValueError(f"'rewards' must have shape (G, n), got {tuple(rewards.shape)}")
    if rewards.shape[1] < 2:
        raise ValueError(
            f"'rewards' needs n >= 2 samples per group (the Bessel std of one sample is "
            f"undefined), got shape {tuple(rewards.shape)}"
        )
    V.no_nan(rewards, "rewards")
    if not bool(torch.isfinite(rewards).all()):
        raise ValueError(f"'rewards' must be finite (shape {tuple(rewards.shape)})")
    e = V.scalar(eps, "eps", allow_zero=True)
    r = rewards.to(V.compute_dtype(rewards.dtype))  # (G, n)
    const = (r == r[:, :1]).all(-1, keepdim=True)  # (G, 1)
    centred = r - r.mean(-1, keepdim=True)  # (G, n)
    zero = torch.zeros((), dtype=r.dtype, device=r.device)
    centred = torch.where(const, zero, centred)
    if not scale:
        return centred
    std = r.std(-1, keepdim=True, correction=1)  # (G, 1)
    denom = torch.where(const, torch.ones_like(std), std + e)
    return centred / denom


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

    .. math::

        \rho_t = e^{\log\pi(y_t) - \log\pi_{old}(y_t)}, \qquad
        \mathcal{L} = -\frac{1}{\sum_t m_t} \sum_t m_t
            \min\big(\rho_t A_t,\ \mathrm{clip}(\rho_t, 1 - \varepsilon, 1 + \varepsilon_{high})\,A_t\big)

    Parameters
    ----------
    logp : torch.Tensor
        ``(B, T)`` (any shape) log-probs of the sampled tokens under the current policy.
    old_logp : torch.Tensor
        Same shape: log-probs under the policy that sampled them (no gradient needed).
    advantages : torch.Tensor
        Broadcastable to ``logp`` (e.g. ``(B, T)`` per token or ``(B, 1)`` per sequence).
    mask : torch.Tensor
        Bool or 0/1 of ``logp``'s shape; must keep at least one token.
    clip_eps : float
        :math:`\varepsilon > 0`, the lower clip (and the upper one by default).
    clip_eps_high : float, optional
        :math:`\varepsilon_{high} > 0`; a value above ``clip_eps`` is DAPO's clip-higher.

    Returns
    -------
    torch.Tensor
        Scalar fp32 loss.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import ppo_clip_loss
    >>> logp = torch.log(torch.tensor([[1.5, 0.5]]))  # ratios 1.5 and 0.5 vs old_logp = 0
    >>> adv = torch.tensor([[1.0, 1.0]])
    >>> ppo_clip_loss(logp, torch.zeros(1, 2), adv, torch.ones(1, 2))  # -(1.2 + 0.5) / 2
    tensor(-0.8500)
    """
    V.float_tensor(logp, "logp")
    V.float_tensor(old_logp, "old_logp")
    V.float_tensor(advantages, "advantages")
    V.same_shape(logp, "logp", old_logp, "old_logp")
    V.same_device(logp, "logp", old_logp, "old_logp")
    V.same_device(logp, "logp", advantages, "advantages")
    V.broadcasts_to(advantages, "advantages", logp, "logp")
    keep = V.mask(mask, "mask", logp.shape, logp.device)
    V.nonempty(keep, "mask")
    lo = V.scalar(clip_eps, "clip_eps")
    hi = lo if clip_eps_high is None else V.scalar(clip_eps_high, "clip_eps_high")
    for name, t in (("logp", logp), ("old_logp", old_logp), ("advantages", advantages)):
        V.no_nan(t, name)
    cd = V.compute_dtype(logp.dtype, old_logp.dtype, advantages.dtype)
    zero = torch.zeros((), dtype=cd, device=logp.device)
    lp = torch.where(keep, logp.to(cd), zero)
    olp = torch.where(keep, old_logp.to(cd), zero)
    adv = advantages.to(cd).expand(logp.shape)  # (B, T)
    ratio = torch.exp(lp - olp)  # (B, T)
    # min(rho A, clip(rho) A) = A * min(rho, 1+eps_hi) if A >= 0 else A * max(rho, 1-eps):
    # the same value and gradient as the textbook form, without 0 * inf when rho overflows.
    bounded = torch.where(adv >= 0, ratio.clamp(max=1 + hi), ratio.clamp(min=1 - lo))
    per_token = torch.where(keep, -adv * bounded, zero)  # (B, T)
    loss = per_token.sum() / keep.sum()
    if bool(torch.isnan(loss)):
        raise ValueError(
            "ppo_clip_loss is undefined: logp - old_logp is inf - inf at a kept position"
        )
    return loss
