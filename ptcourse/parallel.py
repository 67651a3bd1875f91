r"""Token statistics when no device holds the whole vocabulary: logits sharded over ``torch.distributed``.

With the LM head split over tensor-parallel ranks, rank :math:`r` holds the logits of its vocabulary
slice :math:`[s_r, s_r + V_r)`, ``(..., V_r)``. The statistics stay exact, being functions of a few
row sums, each the sum of the per-shard sums. With :math:`M = \max_j x_j` (all-reduce MAX of the
per-rank row maxima), :math:`d = x - M`, :math:`e = e^{d}` and the all-reduced sums
:math:`S = \sum_j e_j`, :math:`A = \sum_j e_j d_j` and :math:`d_t` (from the rank owning t only):

.. math:: \log p(t) = d_t - \log S, \quad H = \log S - A / S, \quad
    \mathrm{KL}(p\,\|\,q) = \frac{\sum_j e_j (d_j - d^{q}_j)}{S} - \log S + \log S^{q}

A call sends O(N) values, not the :math:`N V (1 - 1/W)` of gathering the logits: two all-reduces
(MAX, SUM) of a few values per row, and an all-gather of a few integers per rank checking that the
shards tile the vocabulary and all ranks passed the same shapes and targets. Memory is a few
``(chunk_size, V_r)`` chunks. Backward sends nothing: the outputs are replicated and each rank
back-propagates the same upstream gradient (as in Megatron's tensor parallelism;
``torch.distributed.nn.functional.all_reduce`` would all-reduce it, times the world size) from saved
O(N) row quantities, with :math:`z = d - \log S`, :math:`p_j = e^{z_j}`:
:math:`\partial \log p_t/\partial x_j = [j = t] - p_j`,
:math:`\partial H / \partial x_j = -p_j (z_j + H)`,
:math:`\partial \mathrm{KL} / \partial x_j = p_j (z_j - z^{q}_j - \mathrm{KL})`,
:math:`\partial \mathrm{KL} / \partial y_j = q_j - p_j`; second derivatives raise a clear error.

Megatron-LM's ``_VocabParallelCrossEntropy`` (``megatron/core/tensor_parallel/cross_entropy.py``,
commit ``d98e8a64``; equal shards) and verl's ``_VocabParallelEntropy``
(``verl/utils/megatron/tensor_parallel.py``, commit ``b178a3cd``, :math:`H = M + \log S - \sum_j
p_j x_j`) all-reduce the same maxima and sums but keep the ``(N, V_r)`` softmax for backward. Here
backward recomputes each chunk, one MAX and one SUM serve all statistics, -inf logits follow
:math:`0 \log 0 = 0`, shards may be uneven, and bad input is refused on *every* rank (never one
raising while the others wait). The functions mirror :func:`ptcourse.token_logprobs`,
:func:`ptcourse.entropy`, :func:`ptcourse.kl_divergence` and :func:`ptcourse.token_stats` (formulas,
dtypes, errors); :func:`count_communication` measures what was sent. Imports torch only.
"""

from __future__ import annotations

import torch

from . import _validate as V
from ._chunks import default_chunk_rows, refuse_functorch
from ._shard_checks import agree, local_checks, row_error
from ._shard_comm import comm_device, count_communication, group_info
from ._shard_engine import ShardStats
from .stats import TokenStats

__all__ = ["token_logprobs", "entropy", "kl_divergence", "token_stats", "count_communication"]


_NAMES = ("logits", "targets", "ref_logits")
_KL_NAMES = ("p_logits", "targets", "q_logits")


def _sharded(
    logits, targets, ref_logits, want, group, vocab_start, ignore_index, chunk_size, names=_NAMES
) -> TokenStats:
    """The statistics in ``want`` (others None), checked on all ranks, by one ``ShardStats``."""
    refuse_functorch("parallel statistics")
    group, rank, world = group_info(group)
    want_logp, want_ent, want_kl = (w in want for w in ("logp", "entropy", "kl"))
    error, meta, ignore = None, [0] * 7, None
    try:
        meta, ignore = local_checks(
            logits, targets, ref_logits, names, want_logp, vocab_start, ignore_index
        )
        rows = V.chunk_size(chunk_size)
        if want_kl and ref_logits is None:
            raise ValueError(
                f"'{names[2]}' is required: logits of shape {tuple(logits.shape)}, got None"
            )
    except (TypeError, ValueError) as exc:
        error = exc
    start, vocab = agree(group, rank, world, comm_device(group, logits), meta, error, names)
    batch, v_local = logits.shape[:-1], logits.shape[-1]
    t_local = keep = None
    if targets is not None:
        t = targets.reshape(-1).long()
        V.target_range(t, names[1], vocab, ignore)
        keep = (t != ignore) if ignore is not None else None
        owned = (t >= start) & (t < start + v_local)
        if keep is not None:
            owned &= keep
        t_local = torch.where(owned, t - start, -1)  # (N,) local ids, -1 where another rank owns
    n_inputs = 1 if ref_logits is None else 2
    rows = rows or default_chunk_rows(
        v_local, logits.element_size(), n_inputs, 4 * n_inputs, logits.device.type
    )
    wants = (want_logp, want_ent, want_kl, want_logp and ref_logits is not None)
    if logits.numel() == 0:  # every rank agreed that N = 0: nothing to communicate
        y_dtype = ref_logits.dtype if ref_logits is not None else logits.dtype
        cd = V.compute_dtype(logits.dtype, y_dtype)
        z = logits.new_zeros(batch, dtype=cd) + 0 * logits.sum(-1)
        outs = [z if w else None for w in wants]
    else:
        *flat, mx = ShardStats.apply(
            logits, ref_logits, t_local, keep, (want_logp, want_ent, want_kl), rows, group
        )  # (N,) each: logp, entropy, kl, ref_logp (empty when not wanted); mx (1 or 2, N)
        flat = [o if w else None for o, w in zip(flat, wants, strict=True)]
        # every output comes from all-reduced sums, so every rank finds the same NaN rows
        row_error(flat, mx[0], mx[1] if ref_logits is not None else None, names)
        outs = [None if o is None else o.reshape(batch) for o in flat]
    return TokenStats(logp=outs[0], entropy=outs[1], kl=outs[2], ref_logp=outs[3])


def token_logprobs(
    logits: torch.Tensor,
    targets: torch.Tensor,
    *,
    group=None,
    vocab_start: int | None = None,
    ignore_index: int | None = None,
    chunk_size: int | None = None,
) -> torch.Tensor:
    r"""Log-probability of each target token when the vocabulary is sharded over ``group``.

    .. math:: \log p(t) = (x_t - M) - \log \sum_{r} \sum_{j \in \text{shard } r} e^{x_j - M},
        \qquad M = \max_r \max_{j \in \text{shard } r} x_j

    All-reduces MAX of the row maxima, SUM of the exp-sums and the target logit (from its owner).
    ``logits``: this rank's slice ``(..., V_r)``, any float dtype (fp16/bf16 computed in fp32),
    one leading shape and dtype on all ranks; ``targets``: global ids ``(...)`` in ``[0, V)``,
    the same on all ranks. ``group``: the ranks sharing the vocabulary (default the global
    group). ``vocab_start``: this rank's first id (default ``rank * V_r``, equal shards; uneven
    ones pass it on every rank and must tile ``[0, V)``: checked). ``ignore_index``: targets equal
    to it (e.g. -100) give log-prob 0 and no gradient, like Megatron's masked labels.
    ``chunk_size``: rows at once, not changing the result. Returns ``(...)``, fp32 (fp64 for fp64
    input), on every rank: :func:`ptcourse.token_logprobs` of the whole logits; each rank gets
    the gradient of its slice (first derivatives only).

    >>> import torch.distributed as dist
    >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    >>> token_logprobs(torch.zeros(1, 4), torch.tensor([1]))  # log(1/4)
    tensor([-1.3863])
    >>> dist.destroy_process_group()
    """
    return _sharded(
        logits, targets, None, ("logp",), group, vocab_start, ignore_index, chunk_size
    ).logp


def entropy(
    logits: torch.Tensor,
    *,
    group=None,
    vocab_start: int | None = None,
    chunk_size: int | None = None,
) -> torch.Tensor:
    r"""Entropy of the softmax of logits sharded along the vocabulary over ``group``.

    .. math:: H = \log S - \frac{1}{S} \sum_j e^{d_j} d_j, \qquad d = x - M,
        \qquad S = \sum_j e^{d_j}

    with :math:`M` all-reduced by MAX and both sums by SUM. A -inf logit adds 0 on any rank.
    ``logits``: this rank's slice ``(..., V_r)``, a finite logit per row over all ranks; keywords
    as in :func:`token_logprobs` (``vocab_start`` only checks the tiling). Returns ``(...)`` in
    nats, fp32 (fp64 for fp64 input), on every rank: :func:`ptcourse.entropy` of the whole logits.

    >>> import torch.distributed as dist
    >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    >>> entropy(torch.zeros(8))  # uniform over 8 tokens: log 8
    tensor(2.0794)
    >>> dist.destroy_process_group()
    """
    return _sharded(logits, None, None, ("entropy",), group, vocab_start, None, chunk_size).entropy


def kl_divergence(
    p_logits: torch.Tensor,
    q_logits: torch.Tensor,
    *,
    group=None,
    vocab_start: int | None = None,
    chunk_size: int | None = None,
) -> torch.Tensor:
    r"""Exact :math:`\mathrm{KL}(p\,\|\,q)` of softmax distributions whose logits are sharded.

    .. math:: \mathrm{KL} = \frac{1}{S_p} \sum_j e^{d^p_j} (d^p_j - d^q_j) - \log S_p + \log S_q

    A MAX all-reduce of both row maxima, a SUM of three sums. ``p_logits``, ``q_logits``: this
    rank's slices ``(..., V_r)``, sharded alike; keywords as in :func:`token_logprobs`
    (``vocab_start`` only checks the tiling). :math:`p(v) = 0` adds 0, :math:`p(v) > 0 = q(v)`
    gives :math:`+\infty`. Returns ``(...)``, >= 0, fp32 (fp64 for fp64 input), on every rank.

    >>> import torch.distributed as dist
    >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    >>> kl_divergence(torch.tensor([0.5, 0.5]).log(), torch.tensor([0.9, 0.1]).log())
    tensor(0.5108)
    >>> dist.destroy_process_group()
    """
    return _sharded(
        p_logits, None, q_logits, ("kl",), group, vocab_start, None, chunk_size, _KL_NAMES
    ).kl


def token_stats(
    logits: torch.Tensor,
    targets: torch.Tensor,
    ref_logits: torch.Tensor | None = None,
    *,
    group=None,
    vocab_start: int | None = None,
    ignore_index: int | None = None,
    chunk_size: int | None = None,
) -> TokenStats:
    r"""Log-prob, entropy and (optionally) exact KL to a reference, over a sharded vocabulary.

    :math:`\log\pi(x_t)`, :math:`H(\pi)`, :math:`\mathrm{KL}(\pi\,\|\,\pi_{ref})` and
    :math:`\log\pi_{ref}(x_t)` as in :func:`ptcourse.token_stats`, from two all-reduces: MAX of
    the row maxima of both inputs (2N values), SUM of the six row sums :math:`S, \sum e d, d_t,
    S_{ref}, \sum e (d - d_{ref}), d^{ref}_t` (6N), whatever the vocabulary size. ``logits``,
    ``ref_logits``: this rank's slices ``(..., V_r)``; ``targets``, keywords as in
    :func:`token_logprobs`. Returns a :class:`ptcourse.TokenStats` (``kl``, ``ref_logp`` None
    without ``ref_logits``), each ``(...)``, on every rank, differentiable once in both slices.

    >>> import torch.distributed as dist
    >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    >>> s = token_stats(torch.zeros(1, 4), torch.tensor([2]), torch.zeros(1, 4))
    >>> round(s.logp.item(), 4), round(s.entropy.item(), 4), s.kl.item()
    (-1.3863, 1.3863, 0.0)
    >>> dist.destroy_process_group()
    """
    want = ("logp", "entropy", "kl") if ref_logits is not None else ("logp", "entropy")
    return _sharded(logits, targets, ref_logits, want, group, vocab_start, ignore_index, chunk_size)
