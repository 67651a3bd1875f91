r"""Turning a ``(B, T)`` matrix of per-token losses into one number: the choice every trainer makes.

* :func:`aggregate_loss` -- verl's three ``loss_agg_mode`` values (``verl/trainer/ppo/core_algos.py``,
  ``agg_loss``, commit b178a3c): the token mean of the batch (DAPO, Yu et al., 2025), the mean over
  answers of each answer's token sum (Dr. GRPO's idea, Liu et al., 2025), and the mean over answers
  of each answer's token mean (the GRPO paper, Shao et al., 2024). Its ``num_tokens`` argument is
  the fix of the 2024 gradient-accumulation bug (Hugging Face, "Fixing Gradient Accumulation",
  2024-10-16): with microbatches, divide each one's token sum by the kept-token count of the *whole*
  batch, not by its own.
"""

from __future__ import annotations

import torch

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

    .. math::

        \text{token-mean} = \frac{\sum_{i,t} m_{i,t}\ell_{i,t}}{\sum_i n_i},\quad
        \text{seq-mean-token-sum} = \frac{1}{|S|}\sum_{i\in S}\sum_t m_{i,t}\ell_{i,t},\quad
        \text{seq-mean-token-mean} = \frac{1}{|S|}\sum_{i\in S}\frac{\sum_t m_{i,t}\ell_{i,t}}{n_i}

    In token-mean every token weighs the same, so a long answer weighs more than a short one; in
    seq-mean-token-mean every answer weighs the same, so each token of a long answer weighs less.

    Parameters
    ----------
    per_token : torch.Tensor
        ``(B, T)`` losses; finite where kept (anything but NaN elsewhere).
    mask : torch.Tensor
        Bool or 0/1, ``per_token``'s shape; at least one kept token.
    mode : {"token-mean", "seq-mean-token-sum", "seq-mean-token-mean"}
    num_tokens : float, optional
        token-mean only: divide by this count instead of this batch's kept tokens. With gradient
        accumulation, pass the kept-token count of *all* microbatches of the step and add up the
        results: that sum equals the token mean of the full batch (verl's ``batch_num_tokens``).
    num_seqs : float, optional
        The seq-mean modes only: divide by this many answers instead of :math:`|S|` (the answers of
        all microbatches, verl's ``global_batch_size``).

    Returns
    -------
    torch.Tensor
        Scalar, fp32 (fp64 for fp64 input).

    Examples
    --------
    >>> import torch
    >>> from ptcourse import aggregate_loss
    >>> loss = torch.tensor([[1.0, 1.0, 1.0], [4.0, 0.0, 0.0]])  # answer 0 has 3 tokens, answer 1 one
    >>> mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    >>> aggregate_loss(loss, mask)  # (1 + 1 + 1 + 4) / 4 tokens
    tensor(1.7500)
    >>> aggregate_loss(loss, mask, "seq-mean-token-sum")  # (3 + 4) / 2 answers
    tensor(3.5000)
    >>> aggregate_loss(loss, mask, "seq-mean-token-mean")  # (1 + 4) / 2 answers
    tensor(2.5000)
    """
    V.float_tensor(per_token, "per_token")
    if per_token.dim() != 2:
        raise ValueError(f"'per_token' must have shape (B, T), got {tuple(per_token.shape)}")
    keep = V.mask(mask, "mask", per_token.shape, per_token.device)
    V.nonempty(keep, "mask")
    if mode not in LOSS_AGG_MODES:
        raise ValueError(f"'mode' must be one of {LOSS_AGG_MODES}, got {mode!r}")
    if mode == "token-mean" and num_seqs is not None:
        raise ValueError("'num_seqs' is for the seq-mean modes; token-mean takes 'num_tokens'")
    if mode != "token-mean" and num_tokens is not None:
        raise ValueError(f"'num_tokens' is for token-mean; {mode!r} takes 'num_seqs'")
    V.finite(per_token, "per_token", where=keep)
    cd = V.compute_dtype(per_token.dtype)
    zero = torch.zeros((), dtype=cd, device=per_token.device)
    x = torch.where(keep, per_token.to(cd), zero)  # (B, T), masked entries exactly 0
    counts = keep.sum(-1).to(cd)  # (B,) kept tokens per answer
    if mode == "token-mean":
        denom = counts.sum() if num_tokens is None else V.scalar(num_tokens, "num_tokens")
        return x.sum() / denom
    seq_sum = x.sum(-1)  # (B,)
    has = counts > 0  # (B,) answers with at least one kept token
    denom = has.sum().to(cd) if num_seqs is None else V.scalar(num_seqs, "num_seqs")
    if mode == "seq-mean-token-sum":
        return seq_sum.sum() / denom
    per_seq = torch.where(has, seq_sum / counts.clamp_min(1), zero)  # (B,) token mean per answer
    return per_seq.sum() / denom
