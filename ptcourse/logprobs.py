r"""Likelihood of tokens: token log-probabilities, sequence log-likelihood, cross-entropy, perplexity.

A language model turns a context into logits :math:`x \in \mathbb{R}^V` over a vocabulary of
:math:`V` tokens; the softmax makes them a distribution, and the log-probability of the observed
next token is the atom of maximum-likelihood training (pretraining and SFT) and of every
policy-gradient method. The conventions follow ``torch.nn.functional.cross_entropy`` and the
Hugging Face causal-LM losses; background in Goodfellow, Bengio and Courville, *Deep Learning*
(2016), ch. 5.5, and Jurafsky and Martin, *Speech and Language Processing* (3rd ed.), ch. 3
(perplexity).

``token_logprobs`` never builds a full ``(N, V)`` temporary: it works in row chunks through the
engine in :mod:`ptcourse.stats`.
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

    The chunked engine (:mod:`ptcourse._vocab`) does not support ``torch.func`` (``vmap``,
    ``grad``): it raises an error naming the function; use ordinary autograd.

    .. math::

        \log p(t) = x_t - \log \sum_{v=1}^{V} e^{x_v}

    Parameters
    ----------
    logits : torch.Tensor
        Shape ``(..., V)``, any float dtype (fp16/bf16 are computed in fp32).
    targets : torch.Tensor
        Integer token ids of shape ``(...)`` in ``[0, V)``.
    chunk_size : int, optional
        Rows processed at once (default: about :math:`2^{22}` values per chunk). Peak extra
        memory is a few chunks, never a full ``(N, V)`` copy; the result does not depend on it.

    Returns
    -------
    torch.Tensor
        Shape ``(...)``, in nats, fp32 (fp64 for fp64 input); differentiable.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import token_logprobs
    >>> logits = torch.tensor([[0.0, 0.0, 0.0, 0.0]])  # uniform over 4 tokens
    >>> token_logprobs(logits, torch.tensor([1]))  # log(1/4)
    tensor([-1.3863])
    """
    V.tensor(targets, "targets")
    logp, _, _, _ = vocab_stats(
        logits, targets, None, want_logp=True, want_ent=False, want_kl=False, chunk_size=chunk_size
    )
    return logp


def sequence_logprob(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Log-likelihood of each sequence: the sum of its kept token log-probabilities.

    The chunked engine (:mod:`ptcourse._vocab`) does not support ``torch.func`` (``vmap``,
    ``grad``): it raises an error naming the function; use ordinary autograd.

    .. math::

        \log p(y_{1:T}) = \sum_{t=1}^{T} m_t \, \log p(y_t \mid y_{<t})

    Parameters
    ----------
    logits : torch.Tensor
        Shape ``(..., T, V)``: logits at position t score target t.
    targets : torch.Tensor
        Integer ids ``(..., T)``; entries at masked positions are ignored (may be padding ids).
    mask : torch.Tensor, optional
        Bool or 0/1 of the targets' shape; 1 = count this token. A row with no kept token sums
        to 0, but a mask that keeps no token at all is rejected as a likely bug.

    Returns
    -------
    torch.Tensor
        Shape ``(...)``: one log-likelihood (nats, fp32) per sequence.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import sequence_logprob
    >>> logits = torch.zeros(1, 3, 2)  # 3 positions, fair coin at each
    >>> sequence_logprob(logits, torch.tensor([[0, 1, 1]]))  # 3 * log(1/2)
    tensor([-2.0794])
    """
    keep = G.token_targets(logits, targets, mask, sequences=True)  # (..., T)
    zero = torch.zeros((), dtype=targets.dtype)
    lp = token_logprobs(logits, torch.where(keep, targets, zero))  # (..., T); padding not looked up
    return torch.where(keep, lp, torch.zeros((), dtype=lp.dtype, device=lp.device)).sum(-1)


def cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Mean negative log-likelihood over the selected tokens (a scalar).

    The chunked engine (:mod:`ptcourse._vocab`) does not support ``torch.func`` (``vmap``,
    ``grad``): it raises an error naming the function; use ordinary autograd.

    .. math::

        \mathrm{CE} = -\frac{1}{\sum_t m_t} \sum_t m_t \log p(y_t \mid y_{<t})

    Parameters
    ----------
    logits : torch.Tensor
        Shape ``(..., V)``.
    targets : torch.Tensor
        Integer ids of shape ``(...)``; ignored where ``mask`` is 0.
    mask : torch.Tensor, optional
        Bool or 0/1 of the targets' shape; must select at least one token.

    Returns
    -------
    torch.Tensor
        Scalar fp32 in nats; equals ``F.cross_entropy`` on the kept tokens.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import cross_entropy
    >>> logits = torch.zeros(2, 8)  # two positions, uniform over 8 tokens
    >>> cross_entropy(logits, torch.tensor([3, 5]))  # log 8
    tensor(2.0794)
    """
    keep = G.token_targets(logits, targets, mask)  # None without a mask
    if keep is None:
        lp = token_logprobs(logits, targets)  # (...)
        if lp.numel() == 0:
            raise ValueError(f"'targets' selects no token (shape {tuple(targets.shape)})")
        return -lp.mean()
    safe = torch.where(keep, targets, torch.zeros((), dtype=targets.dtype))
    lp = token_logprobs(logits, safe)  # (...)
    lp = torch.where(keep, lp, torch.zeros((), dtype=lp.dtype, device=lp.device))
    return -lp.sum() / keep.sum()


def perplexity(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Perplexity: the exponential of the mean negative log-likelihood.

    The chunked engine (:mod:`ptcourse._vocab`) does not support ``torch.func`` (``vmap``,
    ``grad``): it raises an error naming the function; use ordinary autograd.

    .. math::

        \mathrm{PPL} = \exp(\mathrm{CE})

    A model that is uniform over :math:`V` tokens has perplexity :math:`V`: perplexity is the
    "effective number of choices" the model hesitates between.

    Parameters
    ----------
    logits, targets, mask
        As in :func:`cross_entropy`.

    Returns
    -------
    torch.Tensor
        Scalar fp32, at least 1 (``inf`` when the cross-entropy exceeds about 88 nats in fp32).

    Examples
    --------
    >>> import torch
    >>> from ptcourse import perplexity
    >>> perplexity(torch.zeros(3, 5), torch.tensor([0, 1, 4]))  # uniform over 5 -> 5
    tensor(5.0000)
    """
    return torch.exp(cross_entropy(logits, targets, mask))
