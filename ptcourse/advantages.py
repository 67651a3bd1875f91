r"""Critic-free advantages from a group of answers to one prompt (no value network).

GRPO: Group Relative Policy Optimization (Shao et al., 2024, DeepSeekMath); its unscaled variant
Dr. GRPO (Liu et al., 2025); TRL's ``scale_rewards="batch"``. RLOO: REINFORCE Leave-One-Out (Kool
et al., 2019; Ahmadian et al., 2024).
"""

from __future__ import annotations

import torch

from . import _guards as G
from . import _validate as V

__all__ = ["SCALES", "grpo_advantages", "rloo_advantages"]

#: The reward scalings of :func:`grpo_advantages` (TRL's ``GRPOConfig.scale_rewards`` values).
SCALES = ("group", "batch", "none")


def grpo_advantages(
    rewards: torch.Tensor, *, scale: bool | str = "group", eps: float = 1e-4
) -> torch.Tensor:
    r"""Group-relative advantages: each reward compared with its group's mean (and spread).

    .. math:: A_{g,i} = \frac{r_{g,i} - \bar r_g}{s_g + \varepsilon}, \qquad
        s_g = \sqrt{\tfrac{1}{n-1} \textstyle\sum_j (r_{g,j} - \bar r_g)^2}

    ``rewards``: ``(G, n)``, G prompts of n >= 2 samples, finite. ``scale``: "group" (GRPO),
    "batch" (the Bessel std :math:`s` of all :math:`Gn` rewards; the mean stays the group's) or
    "none" (:math:`A_{g,i} = r_{g,i} - \bar r_g`, Dr. GRPO); ``True`` is "group", ``False``
    "none" (as in TRL), ``1`` or ``"no"`` are refused. ``eps >= 0``. Returns ``(G, n)``, fp32 for
    fp16/bf16/fp32 input: exactly 0 for a constant group (no signal), each group summing to 0 up
    to rounding even when nearly constant with ``eps=0`` (float64 sums on a per-group
    power-of-two scale, so rewards near the fp32 maximum do not overflow).

    >>> r = torch.tensor([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])  # 2 prompts, 4 samples each
    >>> grpo_advantages(r, eps=0.0)  # std of [1,0,0,1] is 0.5774; the constant group gives zeros
    tensor([[ 0.8660, -0.8660, -0.8660,  0.8660],
            [ 0.0000,  0.0000,  0.0000,  0.0000]])
    >>> grpo_advantages(r, scale="batch", eps=0.0)  # std of all 8 rewards is 0.4629
    tensor([[ 1.0801, -1.0801, -1.0801,  1.0801],
            [ 0.0000,  0.0000,  0.0000,  0.0000]])
    """
    scale, e = G.group_scaling(rewards, scale, eps, SCALES)
    out_dtype = V.compute_dtype(rewards.dtype)
    # float64 (MPS has none), a power-of-two scale per group, a second centring pass: no
    # overflow, and a nearly constant group sums to 0 although its tiny std amplifies rounding
    wd = torch.float32 if rewards.device.type == "mps" else torch.float64
    r = rewards.to(wd)  # (G, n)
    unit = V.pow2_unit(r, dim=-1)  # (G, 1), 2^k
    x = r / unit  # (G, n), |x| < 2
    const = (r == r[:, :1]).all(-1, keepdim=True)  # (G, 1)
    centred = x - x.mean(-1, keepdim=True)  # (G, n)
    centred = centred - centred.mean(-1, keepdim=True)
    centred = torch.where(const, torch.zeros((), dtype=wd, device=r.device), centred)
    if scale == "batch":
        n_all = r.numel()
        if n_all < 2 or bool(const.all()):
            return torch.zeros_like(r).to(out_dtype)
        # the batch std on the batch's own power-of-two scale: float64 rewards of 1e200 (squares
        # overflow) or 1e-200 (squares underflow) keep their std
        bunit = V.pow2_unit(r)  # (), 2^k
        xb = r / bunit  # (G, n), |xb| < 2
        dev = xb - xb.mean()
        dev = dev - dev.mean()
        std = (dev.square().sum() / (n_all - 1)).sqrt()  # in units of bunit
        real = centred * (unit / bunit)  # (G, n) group-centred, in units of bunit (exact)
        # tensor / tensor: torch computes ``e / t`` as ``e * (1 / t)``, 0 * inf = NaN for e = 0
        # and a subnormal t (rewards of 1e-310)
        return (real / (std + torch.full_like(bunit, e) / bunit)).to(out_dtype)
    if scale == "none":
        out = (centred * unit).to(out_dtype)
        if not bool(torch.isfinite(out).all()):
            raise ValueError(
                f"'rewards' minus their group mean overflow {out_dtype}; pass scale='group' or "
                "smaller rewards"
            )
        return out
    std = (centred.square().sum(-1, keepdim=True) / (r.shape[1] - 1)).sqrt()  # (G, 1), in units
    denom = torch.where(const, torch.ones_like(std), std + torch.full_like(unit, e) / unit)
    return (centred / denom).to(out_dtype)


def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    r"""Leave-one-out (RLOO) advantages: each reward minus the mean of its group's *other* rewards.

    .. math:: A_{g,i} = r_{g,i} - \frac{1}{n-1} \sum_{j \ne i} r_{g,j}
        = \frac{n}{n-1}\,\big(r_{g,i} - \bar r_g\big)

    (Kool et al., 2019; Ahmadian et al., 2024, *Back to basics: revisiting REINFORCE-style
    optimization for learning from human feedback in LLMs*.) Sample i's baseline does not depend
    on it: the gradient estimate stays unbiased (a batch mean would shrink it by :math:`(n-1)/n`).
    TRL's ``RLOOTrainer`` (``trl/trainer/rloo_trainer.py``, commit bfe2075, line 433) has the same
    ``baseline = (rlhf_reward.sum(0) - rlhf_reward) / (rloo_k - 1)``, on rewards including the KL
    penalty ``-kl_coef * (logprobs - ref_logprobs).sum(1)``. ``rewards``: ``(G, n)``, n >= 2,
    finite. Returns ``(G, n)``, fp32 (fp64 for fp64): each group sums to 0 up to rounding, exactly
    0 if constant; differences overflowing the dtype raise a ValueError.

    >>> rloo_advantages(torch.tensor([[1.0, 0.0, 0.0, 3.0]]))  # 1 - (0 + 0 + 3) / 3 = 0, ...
    tensor([[ 0.0000, -1.3333, -1.3333,  2.6667]])
    """
    G.group_rewards(rewards, "a leave-one-out baseline needs another sample")
    n = rewards.shape[1]
    out_dtype = V.compute_dtype(rewards.dtype)
    wd = torch.float32 if rewards.device.type == "mps" else torch.float64
    r = rewards.to(wd)  # (G, n)
    x = r - r[:, :1]  # (G, n) less a per-group shift: exact for a constant group, no overflow
    others = (x.sum(-1, keepdim=True) - x) / (n - 1)  # (G, n) mean of the other n - 1
    out = (x - others).to(out_dtype)
    if not bool(torch.isfinite(out).all()):
        raise ValueError(f"'rewards' differences overflow {out_dtype}; pass smaller rewards")
    return out
