r"""One chunked pass over the vocabulary: the per-token statistics an RL step logs.

:func:`token_stats` computes the policy log-prob of the sampled token, the policy entropy, the
exact KL(pi || pi_ref) and the reference log-prob at once, with the memory-bounded engine of
:mod:`ptcourse._vocab` (also behind :func:`ptcourse.token_logprobs`, :func:`ptcourse.entropy` and
:func:`ptcourse.kl_divergence`, which import :func:`vocab_stats` from there too). Which statistics an RL
step monitors follows InstructGPT (Ouyang et al., 2022) and the open RL libraries (TRL, OpenRLHF,
verl).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._vocab import vocab_stats

__all__ = ["TokenStats", "token_stats"]


@dataclass(frozen=True)
class TokenStats:
    """Per-token statistics of one forward pass; every field has the targets' shape.

    Attributes
    ----------
    logp : torch.Tensor
        :math:`\\log \\pi(x_t)` of the target token under the policy.
    entropy : torch.Tensor
        Entropy of the policy's next-token distribution.
    kl : torch.Tensor or None
        Exact :math:`\\mathrm{KL}(\\pi \\,\\|\\, \\pi_{ref})` per position (None without a reference).
    ref_logp : torch.Tensor or None
        :math:`\\log \\pi_{ref}(x_t)` (None without a reference).
    """

    logp: torch.Tensor
    entropy: torch.Tensor
    kl: torch.Tensor | None = None
    ref_logp: torch.Tensor | None = None


def token_stats(
    logits: torch.Tensor,
    targets: torch.Tensor,
    ref_logits: torch.Tensor | None = None,
    *,
    chunk_size: int | None = None,
    compile: bool | None = None,
) -> TokenStats:
    r"""Log-prob, entropy and (optionally) exact KL to a reference, in one chunked pass.

    With :math:`\pi = \mathrm{softmax}(\text{logits})` and
    :math:`\pi_{ref} = \mathrm{softmax}(\text{ref\_logits})` at each position:

    .. math::

        \mathrm{logp} = \log \pi(x_t), \qquad
        H = -\sum_v \pi(v) \log \pi(v), \qquad
        \mathrm{KL} = \sum_v \pi(v) \log \frac{\pi(v)}{\pi_{ref}(v)}, \qquad
        \mathrm{ref\_logp} = \log \pi_{ref}(x_t).

    Parameters
    ----------
    logits : torch.Tensor
        Policy logits, shape ``(..., V)``, any float dtype.
    targets : torch.Tensor
        Integer token ids, shape ``(...)``, in ``[0, V)``.
    ref_logits : torch.Tensor, optional
        Reference-model logits of the same shape as ``logits``.
    chunk_size : int, optional
        Rows per chunk (an int or a numpy integer); by default as many as keep one chunk's working
        set in the CPU's last-level cache (at least 8 per thread). The result does not depend on it.
    compile : bool, optional
        Run each forward chunk through a ``torch.compile``-d kernel (fewer passes over memory;
        compiling takes seconds the first time and needs a C++ compiler on CPU). ``None`` (the
        default) reads the environment variable ``PTCOURSE_COMPILE`` (``1`` = on); off otherwise.
        Results match the eager path to about 1e-5 relative in fp32.

    Returns
    -------
    TokenStats
        Frozen dataclass with ``logp``, ``entropy``, ``kl`` and ``ref_logp`` (the last two
        ``None`` without ``ref_logits``), each of shape ``(...)``, fp32 for fp16/bf16/fp32 inputs
        and differentiable with respect to both logits tensors (second derivatives included).
        ``torch.func`` transforms (``vmap``, ``grad``) are not supported and raise a RuntimeError.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import token_stats
    >>> logits = torch.zeros(1, 4)  # one position, uniform over 4 tokens
    >>> s = token_stats(logits, torch.tensor([2]), ref_logits=logits)
    >>> round(s.logp.item(), 4), round(s.entropy.item(), 4), s.kl.item()  # -log 4, log 4, 0
    (-1.3863, 1.3863, 0.0)
    """
    if targets is None:
        raise ValueError("'targets' is required (shape (...) of token ids)")
    logp, ent, kl, ref_logp = vocab_stats(
        logits,
        targets,
        ref_logits,
        want_logp=True,
        want_ent=True,
        want_kl=ref_logits is not None,
        chunk_size=chunk_size,
        compile=compile,
    )
    return TokenStats(logp=logp, entropy=ent, kl=kl, ref_logp=ref_logp)
