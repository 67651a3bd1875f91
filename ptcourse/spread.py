r"""Entropy of the next-token distribution: how spread out the model's belief is.

Shannon entropy (Shannon, 1948; Cover and Thomas, *Elements of Information Theory*, ch. 2): what
collapses when an RL policy over-commits, which entropy bonuses (Williams and Peng, 1991; PPO,
Schulman et al., 2017) and clip-higher (DAPO, Yu et al., 2025) try to prevent.
"""

from __future__ import annotations

import torch

from ._vocab import vocab_stats

__all__ = ["entropy"]


def entropy(logits: torch.Tensor) -> torch.Tensor:
    r"""Entropy of the softmax of ``logits`` over the last dimension.

    .. math:: H(p) = -\sum_{v=1}^{V} p(v) \log p(v), \quad p = \mathrm{softmax}(x), \quad
        0 \le H(p) \le \log V

    ``logits``: ``(..., V)``, any float dtype, a finite logit in each row; a -inf one adds 0
    (:math:`0 \log 0 = 0`) with gradient 0. Returns ``(...)`` in nats, fp32 (fp64 for fp64
    input), differentiable. In row chunks by :mod:`ptcourse._vocab`, which refuses ``torch.func``
    (``vmap``, ``grad``) with an error naming the function.

    >>> entropy(torch.zeros(8)), entropy(torch.tensor([0.0, float("-inf")]))  # log 8; certainty
    (tensor(2.0794), tensor(0.))
    """
    want = dict(want_logp=False, want_ent=True, want_kl=False, chunk_size=None)
    return vocab_stats(logits, None, None, **want)[1]
