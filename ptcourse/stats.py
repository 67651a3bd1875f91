r"""One chunked pass over the vocabulary: the per-token statistics an RL step logs.

With the engine of :mod:`ptcourse._vocab` (``vocab_stats``, importable from here too). What is
monitored follows InstructGPT (Ouyang et al., 2022) and the open RL libraries (TRL, OpenRLHF, verl).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._vocab import vocab_stats

__all__ = ["TokenStats", "token_stats"]


@dataclass(frozen=True)
class TokenStats:
    r"""Per-token statistics, each of the targets' shape: ``logp`` :math:`\log \pi(x_t)`,
    ``entropy`` :math:`H(\pi)`, and without a reference None, else ``kl`` the exact
    :math:`\mathrm{KL}(\pi \,\|\, \pi_{ref})` and ``ref_logp`` :math:`\log \pi_{ref}(x_t)`.

    >>> TokenStats(logp=torch.tensor([-1.0]), entropy=torch.tensor([0.5])).kl is None
    True
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

    .. math:: \mathrm{logp} = \log \pi(x_t), \quad H = -\sum_v \pi(v) \log \pi(v), \quad
        \mathrm{KL} = \sum_v \pi(v) \log \frac{\pi(v)}{\pi_{ref}(v)}, \quad
        \mathrm{ref\_logp} = \log \pi_{ref}(x_t)

    with :math:`\pi`, :math:`\pi_{ref}` the softmax of ``logits``, ``ref_logits`` ``(..., V)``
    (any float dtype) at each position; ``targets``: ids ``(...)`` in ``[0, V)``. ``chunk_size``
    (an int or numpy integer; the result does not depend on it): by default as many rows as keep
    a chunk in the CPU's last-level cache (8 a thread at least). ``compile``: each forward chunk
    through a ``torch.compile``-d kernel (fewer memory passes; seconds to compile, a C++ compiler
    on CPU; eager's result to about 1e-5 relative in fp32); ``None`` reads ``PTCOURSE_COMPILE``
    (``1`` = on). Returns a :class:`TokenStats`, fp32 for fp16/bf16/fp32 input, differentiable in
    both logits (twice too); ``torch.func`` transforms (``vmap``, ``grad``) raise a RuntimeError.

    >>> s = token_stats(torch.zeros(1, 4), torch.tensor([2]), torch.zeros(1, 4))  # uniform over 4
    >>> round(s.logp.item(), 4), round(s.entropy.item(), 4), s.kl.item()  # -log 4, log 4, 0
    (-1.3863, 1.3863, 0.0)
    """
    if targets is None:
        raise ValueError("'targets' is required (shape (...) of token ids)")
    want = dict(want_logp=True, want_ent=True, want_kl=ref_logits is not None)
    logp, ent, kl, ref_logp = vocab_stats(
        logits, targets, ref_logits, **want, chunk_size=chunk_size, compile=compile
    )
    return TokenStats(logp=logp, entropy=ent, kl=kl, ref_logp=ref_logp)
