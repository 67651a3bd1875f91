r"""Turning a ``(B, T)`` matrix of per-token losses into one number: the choice every trainer makes.

verl's ``loss_agg_mode`` (``verl/trainer/ppo/core_algos.py``, ``agg_loss``, commit b178a3c), and the
fix of the 2024 gradient-accumulation bug (Hugging Face, "Fixing Gradient Accumulation",
2024-10-16): divide each microbatch's sum by the *whole* batch's kept tokens.
"""

from __future__ import annotations

import torch

from . import _guards as G
from . import _validate as V

__all__ = ["LOSS_AGG_MODES", "aggregate_loss"]

#: The modes of :func:`aggregate_loss`, named as verl's ``actor.loss_agg_mode`` names them.
LOSS_AGG_MODES = ("token-mean", "seq-mean-token-sum", "seq-mean-token-mean")


def aggregate_loss(
    per_token: torch.Tensor,
    mask: torch.Tensor,
    mode: str = "token-mean",
    *,
    num_tokens: float | None = None,
    num_seqs: float | None = None,
) -> torch.Tensor:
    r"""Reduce per-token losses ``(B, T)`` with a mask to a scalar, in one of verl's three ways.

    With :math:`\ell_{i,t}` the loss of token t of answer i, :math:`m_{i,t}` the mask,
    :math:`n_i = \sum_t m_{i,t}` and :math:`S` the answers with :math:`n_i > 0`:

    .. math:: \text{token-mean} = \frac{\sum_{i,t} m_{i,t}\ell_{i,t}}{\sum_i n_i},\quad
        \text{seq-mean-token-sum} = \frac{1}{|S|}\sum_{i\in S}\sum_t m_{i,t}\ell_{i,t},\quad
        \text{seq-mean-token-mean} = \frac{1}{|S|}\sum_{i\in S}\frac{\sum_t m_{i,t}\ell_{i,t}}{n_i}

    The token mean of DAPO (Yu et al., 2025) weighs every token the same (a long answer more);
    the token sum is Dr. GRPO's idea (Liu et al., 2025); the token mean per answer, the GRPO
    paper's (Shao et al., 2024), weighs every answer the same. ``per_token``: finite where kept,
    not NaN elsewhere; ``mask``: bool or 0/1, a kept token at least. ``num_tokens`` (token-mean)
    replaces the kept-token count: pass that of *all* microbatches of a step and add the results
    up for the full batch's mean (verl's ``batch_num_tokens``); ``num_seqs`` (seq-mean) replaces
    :math:`|S|` (verl's ``global_batch_size``); both > 0 and normal in the compute dtype (1e39 or
    1e-300 in fp32 is refused). Returns a scalar, fp32 (fp64 for fp64 input), summed on a
    power-of-two scale so that a mean the dtype holds survives a sum that overflows (fp32 losses
    near 3e38); one it cannot hold raises a ValueError naming the count.

    >>> loss = torch.tensor([[1.0, 1.0, 1.0], [4.0, 0.0, 0.0]])  # answers of 3 tokens and 1
    >>> mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    >>> [aggregate_loss(loss, mask, m).item() for m in LOSS_AGG_MODES]  # 7/4, 7/2, (1 + 4)/2
    [1.75, 3.5, 2.5]
    """
    keep, cd, num_tokens, num_seqs = G.loss_terms(
        per_token, mask, mode, num_tokens, num_seqs, LOSS_AGG_MODES
    )
    zero = torch.zeros((), dtype=cd, device=per_token.device)
    x = torch.where(keep, per_token.to(cd), zero)  # (B, T), masked entries exactly 0
    # on a power-of-two scale (exact): bit-identical to the plain sum where that does not overflow
    unit = V.pow2_unit(x)
    x = x / unit
    counts = keep.sum(-1).to(cd)  # (B,) kept tokens per answer
    if mode == "token-mean":
        denom = counts.sum() if num_tokens is None else num_tokens
        out = x.sum() / denom
    else:
        seq_sum = x.sum(-1)  # (B,)
        has = counts > 0  # (B,) answers with at least one kept token
        denom = has.sum().to(cd) if num_seqs is None else num_seqs
        if mode == "seq-mean-token-mean":
            seq_sum = torch.where(has, seq_sum / counts.clamp_min(1), zero)  # (B,) token means
        out = seq_sum.sum() / denom
    out = out * unit
    if not bool(torch.isfinite(out)):
        count = "num_tokens" if mode == "token-mean" else "num_seqs"
        raise ValueError(
            f"aggregate_loss ({mode!r}) overflows {cd}: the kept losses (largest "
            f"{unit.item() * x.abs().max().item():.4g}) divided by '{count}' = {float(denom):.4g} "
            f"exceed {torch.finfo(cd).max:.4g}; pass a larger '{count}' or float64 losses"
        )
    return out
