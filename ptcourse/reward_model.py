r"""The reward model's loss: Bradley-Terry on preference pairs (Bradley & Terry, 1952).

As in InstructGPT (Ouyang et al., 2022, eq. 1) and TRL's ``RewardTrainer.compute_loss``
(``trl/trainer/reward_trainer.py``), with Llama 2's optional margin (Touvron et al., 2023).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import _guards as G
from . import _validate as V

__all__ = ["bradley_terry_loss"]


def bradley_terry_loss(
    chosen_rewards: torch.Tensor,
    rejected_rewards: torch.Tensor,
    margin: torch.Tensor | float | None = None,
) -> torch.Tensor:
    r"""Bradley-Terry (pairwise logistic) loss of a reward model, averaged over pairs.

    .. math:: \mathcal{L}_{\text{BT}} = -\frac{1}{P}\sum_{p=1}^{P}
        \log\sigma\big(r_\phi(x_p, y_{w,p}) - r_\phi(x_p, y_{l,p}) - m_p\big)

    fits the Bradley-Terry probability :math:`P(y_w \succ y_l) = \sigma(r_\phi(x, y_w) - r_\phi(x,
    y_l))` to the labels (TRL: ``-logsigmoid(rewards_chosen - rewards_rejected - margin)``).

    ``chosen_rewards``, ``rejected_rewards``: ``(P,)`` (or any one shape), finite. ``margin``:
    :math:`m_p \ge 0` by which the chosen must win, a number or a tensor of that shape (default
    none); refused by name if it makes the gap overflow. Returns a scalar fp32 (fp64 for fp64
    input), :math:`\log 2` for equal rewards: ``logsigmoid`` keeps a wrong-way gap finite, and the
    mean is taken on a power-of-two scale (fp32 losses of 3e38 average to 3e38).

    >>> r = torch.tensor([2.0, 0.0])
    >>> bradley_terry_loss(r, r), bradley_terry_loss(r[:1], r[1:])  # ties: log 2; -log sigmoid(2)
    (tensor(0.6931), tensor(0.1269))
    """
    cd, margin = G.reward_pairs(chosen_rewards, rejected_rewards, margin)
    c, r = chosen_rewards.to(cd), rejected_rewards.to(cd)  # (P,)
    m = torch.zeros((), dtype=cd, device=c.device)
    if margin is not None:
        m = margin if isinstance(margin, torch.Tensor) else m + margin  # (P,) or ()
    # The gap on each pair's own power-of-two scale (exact: the same roundings as c - r - m), so
    # that a gap the dtype can hold is found even when c - r alone overflows.
    unit = V.pow2_unit(torch.stack(torch.broadcast_tensors(c, r, m)), dim=0)[0]  # (P,)
    gap = ((c / unit - r / unit) - m / unit) * unit  # (P,)
    if not bool(torch.isfinite(gap).all()):
        i = V._first(~torch.isfinite(gap))
        if bool(torch.isfinite((c / unit - r / unit) * unit)[i]):
            mi = m.item() if m.dim() == 0 else m[i].item()
            raise ValueError(
                f"'margin' = {mi:.4g} makes the gap 'chosen_rewards' - 'rejected_rewards' - "
                f"'margin' overflow {cd} at index {i}: use a smaller margin or float64 rewards"
            )
        raise ValueError(
            f"'chosen_rewards' - 'rejected_rewards' overflows {cd} at index {i} "
            f"({chosen_rewards[i].item():.4g} - {rejected_rewards[i].item():.4g}): scale the "
            "rewards down or pass float64 rewards"
        )
    return V.safe_mean(-F.logsigmoid(gap))  # about -gap for a large wrong-way gap
