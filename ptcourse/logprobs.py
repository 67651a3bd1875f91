r"""Likelihood of tokens: token log-probabilities, sequence log-likelihood, cross-entropy, perplexity.

The atom of maximum-likelihood training and of every policy-gradient method, with the conventions of
``torch.nn.functional.cross_entropy`` and the Hugging Face causal-LM losses (Goodfellow, Bengio and
Courville, *Deep Learning*, 2016, ch. 5.5; Jurafsky and Martin, *Speech and Language Processing*,
3rd ed., ch. 3, perplexity). All work in row chunks through :mod:`ptcourse._vocab` (never a full
``(N, V)`` temporary), which refuses ``torch.func`` (``vmap``, ``grad``) with an error naming the
function: use ordinary autograd.
"""

from __future__ import annotations

import torch

from . import _guards as G
from . import _validate as V
from ._vocab import vocab_stats

__all__ = ["token_logprobs", "sequence_logprob", "cross_entropy", "perplexity"]


def token_logprobs(
    logits: torch.Tensor, targets: torch.Tensor, *, chunk_size: int | None = None
) -> torch.Tensor:
    r"""Log-probability of each target token under the softmax of its logits.

    .. math:: \log p(t) = x_t - \log \sum_{v=1}^{V} e^{x_v}

    ``logits``: ``(..., V)``, any float dtype (fp16/bf16 computed in fp32); ``targets``: ids
    ``(...)`` in ``[0, V)``; ``chunk_size``: rows at once (default about :math:`2^{22}` values;
    memory is a few chunks; the result does not depend on it). Returns ``(...)`` in nats, fp32
    (fp64 for fp64 input), differentiable by ordinary autograd (``torch.func`` is refused).

    >>> token_logprobs(torch.zeros(1, 4), torch.tensor([1]))  # uniform over 4 tokens: log(1/4)
    tensor([-1.3863])
    """
    V.tensor(targets, "targets")
    want = dict(want_logp=True, want_ent=False, want_kl=False, chunk_size=chunk_size)
    return vocab_stats(logits, targets, None, **want)[0]


def _kept_logprobs(logits, targets, keep) -> torch.Tensor:
    """Token log-probs, 0 where ``keep`` is False (where the target, maybe padding, is not read)."""
    lp = token_logprobs(logits, torch.where(keep, targets, torch.zeros((), dtype=targets.dtype)))
    return torch.where(keep, lp, torch.zeros((), dtype=lp.dtype, device=lp.device))


def sequence_logprob(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Log-likelihood of each sequence: the sum of its kept token log-probabilities.

    .. math:: \log p(y_{1:T}) = \sum_{t=1}^{T} m_t \, \log p(y_t \mid y_{<t})

    ``logits``: ``(..., T, V)``, position t scoring target t; ``targets``: ids ``(..., T)``, any
    (padding) where masked; ``mask``: bool or 0/1, 1 = count the token (a row keeping none sums
    to 0; a mask keeping no token at all is refused as a likely bug). Returns ``(...)``, nats, fp32;
    ``torch.func`` is refused.

    >>> sequence_logprob(torch.zeros(1, 3, 2), torch.tensor([[0, 1, 1]]))  # 3 fair coins: 3 log 1/2
    tensor([-2.0794])
    """
    keep = G.token_targets(logits, targets, mask, sequences=True)  # (..., T)
    return _kept_logprobs(logits, targets, keep).sum(-1)


def cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Mean negative log-likelihood over the selected tokens (a scalar).

    .. math:: \mathrm{CE} = -\frac{1}{\sum_t m_t} \sum_t m_t \log p(y_t \mid y_{<t})

    ``logits``: ``(..., V)``; ``targets``: ids ``(...)``, ignored where ``mask`` (bool or 0/1,
    keeping a token at least) is 0. Returns a scalar fp32 in nats, ``F.cross_entropy`` of the kept;
    ``torch.func`` is refused.

    >>> cross_entropy(torch.zeros(2, 8), torch.tensor([3, 5]))  # uniform over 8 tokens: log 8
    tensor(2.0794)
    """
    keep = G.token_targets(logits, targets, mask)  # None without a mask
    if keep is None:
        lp = token_logprobs(logits, targets)  # (...)
        if lp.numel() == 0:
            raise ValueError(f"'targets' selects no token (shape {tuple(targets.shape)})")
        return -lp.mean()
    return -_kept_logprobs(logits, targets, keep).sum() / keep.sum()


def perplexity(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Perplexity, :math:`\mathrm{PPL} = \exp(\mathrm{CE})`: the effective number of choices.

    A model uniform over :math:`V` tokens has perplexity :math:`V`. Arguments as in
    :func:`cross_entropy`; a scalar fp32 >= 1 (``inf`` past a cross-entropy of about 88 in fp32);
    ``torch.func`` is refused.

    >>> perplexity(torch.zeros(3, 5), torch.tensor([0, 1, 4]))  # uniform over 5 -> 5
    tensor(5.0000)
    """
    return torch.exp(cross_entropy(logits, targets, mask))
