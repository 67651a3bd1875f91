r"""Entropy of the next-token distribution: how spread out the model's belief is.

Shannon entropy (Shannon, 1948; Cover and Thomas, *Elements of Information Theory*, ch. 2) of
:math:`p = \mathrm{softmax}(x)`, in nats. In RL fine-tuning it is the quantity that collapses when
a policy over-commits, which entropy bonuses (Williams and Peng, 1991; PPO, Schulman et al., 2017)
and clip-higher (DAPO, Yu et al., 2025) try to prevent. Computed in row chunks through the engine in
:mod:`ptcourse.stats`, with :math:`0 \log 0 = 0` and finite gradients when logits are -inf.
"""

from __future__ import annotations

import torch

from ._vocab import vocab_stats

__all__ = ["entropy"]


def entropy(logits: torch.Tensor) -> torch.Tensor:
    r"""Entropy of the softmax of ``logits`` over the last dimension.

    The chunked engine (:mod:`ptcourse._vocab`) does not support ``torch.func`` (``vmap``,
    ``grad``): it raises an error naming the function; use ordinary autograd.

    .. math::

        H(p) = -\sum_{v=1}^{V} p(v) \log p(v), \qquad p = \mathrm{softmax}(x),
        \qquad 0 \le H(p) \le \log V

    Tokens with -inf logits have :math:`p(v) = 0` and contribute 0 (:math:`0 \log 0 = 0`); the
    gradient stays finite (it is 0 for those tokens).

    Parameters
    ----------
    logits : torch.Tensor
        Shape ``(..., V)``, any float dtype; at least one finite logit per row.

    Returns
    -------
    torch.Tensor
        Shape ``(...)`` in nats, fp32 (fp64 for fp64 input); differentiable.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import entropy
    >>> entropy(torch.zeros(8))  # uniform over 8 tokens: log 8
    tensor(2.0794)
    >>> entropy(torch.tensor([0.0, float("-inf")]))  # all mass on one token: no uncertainty
    tensor(0.)
    """
    _, ent, _, _ = vocab_stats(
        logits, None, None, want_logp=False, want_ent=True, want_kl=False, chunk_size=None
    )
    return ent
