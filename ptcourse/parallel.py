r"""Token statistics when no device holds the whole vocabulary: logits sharded over ``torch.distributed``.

When the LM head is split over tensor-parallel ranks, rank :math:`r` holds the logits of its own
vocabulary slice :math:`[s_r, s_r + V_r)` for every position: a ``(..., V_r)`` tensor, never the
whole ``(..., V)``. The three quantities of the course still come out exact, because each is a
function of a few *row* sums, and a sum over the vocabulary is a sum over the shards::

                 vocabulary  0 ............................................ V
    rank 0   x[:, 0:V0]      | m0  S0  (e.d)0  x_t if t in [0, V0)   |
    rank 1   x[:, V0:V]                                | m1  S1  (e.d)1  x_t if t in [V0, V) |
                 all-reduce MAX  ->  M = max(m0, m1)                       (N numbers)
                 all-reduce SUM  ->  S = sum_r sum_j e^{x_j - M},  e.d,  x_t - M  (a few N numbers)

With :math:`M = \max_j x_j` (all-reduce MAX of the per-rank row maxima), :math:`d = x - M`,
:math:`e = e^{d}` and the all-reduced sums :math:`S = \sum_j e_j`, :math:`A = \sum_j e_j d_j`,
:math:`d_t` (only the rank that owns token :math:`t` contributes it, the others add 0):

.. math::

    \log p(t) = d_t - \log S, \qquad
    H = \log S - A / S, \qquad
    \mathrm{KL}(p\,\|\,q) = \frac{\sum_j e_j (d_j - d^{q}_j)}{S} - \log S + \log S^{q}.

**Communication is O(N), not O(NV).** Every rank sends a fixed number of values *per row* (the row
max of each input, then the sums above: at most 2 + 6 numbers per row for :func:`token_stats` with
a reference), whatever the vocabulary size, in two all-reduces per call, plus one all-gather of a
few integers per rank that checks the shards tile the vocabulary and that every rank passed the
same shapes and targets. Gathering the logits instead would move :math:`N V (1 - 1/W)` values to
each rank -- at :math:`V = 131072` that is tens of thousands of times more. The row sums are
filled chunk by chunk (``chunk_size`` rows at a time, as in the single-device engine), so memory
stays a few chunks of ``(c, V_r)``.

**Backward needs no communication.** The outputs are replicated on every rank, and, as in
Megatron's tensor parallelism, each rank back-propagates the same upstream gradient (the loss is
computed identically everywhere). The gradient with respect to the rank's own slice needs only the
saved O(N) row quantities: :math:`\partial \log p_t/\partial x_j = [j = t] - p_j`,
:math:`\partial H / \partial x_j = -p_j (z_j + H)`,
:math:`\partial \mathrm{KL} / \partial x_j = p_j (z_j - z^{q}_j - \mathrm{KL})` and
:math:`\partial \mathrm{KL} / \partial y_j = q_j - p_j`, with :math:`z = d - \log S` and
:math:`p_j = e^{z_j}`, all local to the slice. (``torch.distributed.nn.functional.all_reduce``
would instead all-reduce the upstream gradients in backward, multiplying them by the world size
under this convention: the collectives here run inside one custom ``autograd.Function``.)
Second derivatives are not supported (a clear error).

**How the libraries do it** (read at Megatron-LM commit ``d98e8a64``, verl commit ``b178a3cd``):

* Megatron-LM, ``megatron/core/tensor_parallel/cross_entropy.py``,
  ``_VocabParallelCrossEntropy``: all-reduce MAX of the row max, subtract it in place, gather the
  target logit where ``vocab_start <= t < vocab_end`` (0 elsewhere), all-reduce SUM of the target
  logit and of the exp-sum, then keep the softmax ``(N, V_r)`` for backward
  (``softmax - onehot``). Shards are equal (``VocabUtility``: ``vocab_start = rank * V_r``).
* verl, ``verl/utils/megatron/tensor_parallel.py``: ``vocab_parallel_log_probs_from_logits`` is
  ``-vocab_parallel_cross_entropy`` from Megatron; ``_VocabParallelEntropy`` all-reduces the row
  max (MAX), the exp-sum and :math:`\sum_j p_j x_j` (SUM), and computes
  :math:`H = M + \log S - \sum_j p_j x_j`, saving the softmax ``(N, V_r)`` for backward.

Both keep a full ``(N, V_r)`` softmax alive between forward and backward and work on the whole
slice at once. Here only O(N) row quantities are saved and backward recomputes each chunk, the
communication is fused (one MAX and one SUM per call for all statistics), rows with -inf logits
follow :math:`0 \log 0 = 0`, shards may be uneven (``vocab_start``), and bad input is refused on
*every* rank (never one rank raising while the others wait in a collective).

The functions mirror :func:`ptcourse.token_logprobs`, :func:`ptcourse.entropy`,
:func:`ptcourse.kl_divergence` and :func:`ptcourse.token_stats` (same formulas, dtypes and errors)
with three more keyword arguments: ``group`` (the process group; default the global one),
``vocab_start`` (this rank's first token id; default ``rank * V_r`` with equal shards) and
``ignore_index`` (targets equal to it give log-prob 0 and no gradient, like Megatron's masked
labels). This module imports torch only. :func:`count_communication` measures what was sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.distributed as dist

from . import _validate as V
from ._chunks import LOG_FLOOR, Rows, default_chunk_rows, refuse_functorch
from .stats import TokenStats

__all__ = [
    "token_logprobs",
    "entropy",
    "kl_divergence",
    "token_stats",
    "count_communication",
]

_DTYPES = {torch.float16: 1, torch.bfloat16: 2, torch.float32: 3, torch.float64: 4}
_COUNTERS: list[dict] = []


@contextlib.contextmanager
def count_communication() -> Iterator[dict]:
    """Count the collectives this process runs inside the block, and the bytes it contributes.

    Yields a dict with ``calls`` (number of collectives), ``bytes`` (payload of this rank's
    tensors: the values it sends into each all-reduce or all-gather) and ``by_op`` (bytes per
    kind: ``"max"``, ``"sum"``, ``"gather"``). What the backend moves on the wire depends on its
    algorithm (a ring all-reduce sends about twice the payload); the count is of the payload.

    Examples
    --------
    >>> from ptcourse.parallel import count_communication
    >>> with count_communication() as c:
    ...     pass  # run sharded statistics here
    >>> c
    {'calls': 0, 'bytes': 0, 'by_op': {}}
    """
    c: dict = {"calls": 0, "bytes": 0, "by_op": {}}
    _COUNTERS.append(c)
    try:
        yield c
    finally:
        _COUNTERS.remove(c)


def _note(op: str, t: torch.Tensor) -> None:
    for c in _COUNTERS:
        c["calls"] += 1
        c["bytes"] += t.numel() * t.element_size()
        c["by_op"][op] = c["by_op"].get(op, 0) + t.numel() * t.element_size()


def _all_reduce(t: torch.Tensor, op: str, group) -> None:
    _note(op, t)
    dist.all_reduce(t, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM, group=group)


def _group_info(group) -> tuple[object, int, int]:
    """(group, rank, world size); a clear error when torch.distributed is not set up."""
    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            "'group': torch.distributed is not initialised; call "
            "torch.distributed.init_process_group(...) first (world size 1 works too)"
        )
    rank = dist.get_rank(group)
    if rank < 0:
        raise ValueError("'group': this process is not a member of the given process group")
    return group, rank, dist.get_world_size(group)


def _comm_device(group, x) -> torch.device:
    if isinstance(x, torch.Tensor):
        return x.device
    if dist.get_backend(group) == "nccl":  # pragma: no cover - GPU only
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _checksum(t: torch.Tensor) -> int:
    """A cheap fingerprint of the targets, to check every rank passed the same ones."""
    if t.numel() == 0:
        return 0
    w = torch.arange(1, t.numel() + 1, device=t.device, dtype=torch.int64) % 9973 + 1
    return int(((t.reshape(-1).to(torch.int64) + 7) * w).sum())


def _local_checks(logits, targets, ref_logits, names, want_targets, vocab_start, ignore_index):
    """Checks that need no communication; returns (meta, ignore) or raises."""
    x_name, t_name, y_name = names
    V.logits(logits, x_name)
    v_local = logits.shape[-1]
    if want_targets and targets is None:
        raise ValueError(
            f"'{t_name}' is required: token ids of shape {tuple(logits.shape[:-1])}, got None"
        )
    if ref_logits is not None:
        V.logits(ref_logits, y_name)
        V.same_shape(logits, x_name, ref_logits, y_name)
        V.same_device(logits, x_name, ref_logits, y_name)
    start = -1
    if vocab_start is not None:
        start = V.integer(vocab_start, "vocab_start")
        if start < 0:
            raise ValueError(f"'vocab_start' must be >= 0, got {start}")
    ignore = None if ignore_index is None else V.integer(ignore_index, "ignore_index")
    check = 0
    if targets is not None:
        V.tensor(targets, t_name)
        if targets.dtype == torch.bool or targets.is_floating_point() or targets.is_complex():
            raise TypeError(f"'{t_name}' must be an integer tensor, got dtype {targets.dtype}")
        if targets.shape != logits.shape[:-1]:
            raise ValueError(
                f"'{t_name}' must have shape {tuple(logits.shape[:-1])} (the logits' shape without "
                f"the vocabulary dim), got {tuple(targets.shape)}"
            )
        if targets.device != logits.device:
            raise ValueError(
                f"'{t_name}' is on {targets.device} but the logits are on {logits.device}"
            )
        check = _checksum(targets)
    y_dtype = _DTYPES.get(ref_logits.dtype, 0) if ref_logits is not None else 0
    n = logits.numel() // v_local
    meta = [1, start, v_local, n, _DTYPES.get(logits.dtype, 0), y_dtype, check]
    return meta, ignore


def _agree(group, rank, world, device, meta, error, names):
    """All-gather every rank's metadata; raise the same error on every rank if any rank failed.

    Returns ``(vocab_start, vocab)``: this rank's first token id and the whole vocabulary size.
    """
    if error is not None:  # tell the others, so that no rank waits in a collective for this one
        meta = [0, *meta[1:]]
    mine = torch.tensor(meta, dtype=torch.int64, device=device)
    table = [torch.empty_like(mine) for _ in range(world)]
    _note("gather", mine)
    dist.all_gather(table, mine, group=group)
    rows = [[int(v) for v in r.tolist()] for r in table]
    if error is not None:
        raise error
    failed = [r for r, row in enumerate(rows) if row[0] != 1]
    if failed:
        raise RuntimeError(
            f"rank(s) {failed} refused their inputs (see the error raised there); "
            f"rank {rank} computes nothing either"
        )
    x_name, t_name, _ = names
    names_of = {0: None, **{code: str(dt) for dt, code in _DTYPES.items()}}
    for col, what in (
        (3, f"rows of '{x_name}' (N)"),
        (4, f"dtype of '{x_name}'"),
        (5, "ref dtype"),
    ):
        got = [row[col] if col == 3 else names_of.get(row[col]) for row in rows]
        if len(set(got)) > 1:
            raise ValueError(f"every rank must pass the same {what}: got {got} by rank")
    if len({row[6] for row in rows}) > 1:
        raise ValueError(f"'{t_name}' differ between ranks: every rank must pass the same targets")
    starts, sizes = [row[1] for row in rows], [row[2] for row in rows]
    if all(s == -1 for s in starts):
        if len(set(sizes)) > 1:
            raise ValueError(
                f"uneven shards {sizes} (V_r by rank) need 'vocab_start' on every rank; "
                "without it rank r is assumed to hold [r * V_r, (r + 1) * V_r)"
            )
        starts = [r * sizes[0] for r in range(world)]
    elif any(s == -1 for s in starts):
        raise ValueError(
            f"'vocab_start' must be given on every rank or on none, got {starts} by rank "
            "(-1 = not given)"
        )
    order = sorted(range(world), key=lambda r: starts[r])
    pos = 0
    for r in order:
        if starts[r] != pos:
            raise ValueError(
                f"the shards must tile the vocabulary without gaps or overlaps: 'vocab_start' by "
                f"rank {starts}, shard sizes {sizes}; rank {r} starts at {starts[r]}, expected {pos}"
            )
        pos += sizes[r]
    return starts[rank], pos


def _check_targets(t, name, vocab, ignore):
    """Targets in [0, V) (or equal to ``ignore``): the same on every rank, so raised everywhere."""
    if t.numel() == 0:
        return
    keep = t != ignore if ignore is not None else None
    vals = t[keep] if keep is not None else t
    if vals.numel():
        lo, hi = int(vals.min()), int(vals.max())
        if lo < 0 or hi >= vocab:
            extra = "" if ignore is None else f" or equal ignore_index={ignore}"
            raise ValueError(
                f"'{name}' must lie in [0, V) = [0, {vocab}){extra}, got values in [{lo}, {hi}]"
            )


class _ShardStats(torch.autograd.Function):
    """Sharded statistics of ``x`` (..., V_r) and optionally ``y``; targets ``t`` (N,) in local ids.

    ``t_local`` holds ``t - vocab_start`` where this rank owns the token, and -1 elsewhere (other
    ranks' tokens and ignored positions); ``keep`` marks positions that are not ignored.
    """

    @staticmethod
    def forward(ctx, x, y, t_local, keep, want, rows, group):
        ctx.set_materialize_grads(False)  # an output nobody used gets None, not zeros
        want_logp, want_ent, want_kl = want
        xr, yr = Rows(x), (Rows(y) if y is not None else None)
        n = xr.n
        cd = V.compute_dtype(x.dtype, y.dtype if y is not None else x.dtype)
        # the row maxima of both inputs: one all-reduce MAX of (1 or 2, N)
        mx = x.new_empty(2 if y is not None else 1, n, dtype=cd)
        for s in range(0, n, rows):
            e = min(n, s + rows)
            mx[0, s:e] = xr(s, e).amax(dim=-1)
            if y is not None:
                mx[1, s:e] = yr(s, e).amax(dim=-1)
        _all_reduce(mx, "max", group)
        # the row sums: one all-reduce SUM of (k, N)
        slots = ["sx"]
        if want_ent:
            slots.append("ed")
        if want_logp:
            slots.append("dt")
        if y is not None:
            slots += ["sy"] + (["ediff"] if want_kl else []) + (["dyt"] if want_logp else [])
        sums = x.new_zeros(len(slots), n, dtype=cd)
        at = {k: i for i, k in enumerate(slots)}
        has_t = t_local is not None
        for s in range(0, n, rows):
            e = min(n, s + rows)
            dx = xr(s, e).to(cd) - mx[0, s:e, None]  # (c, V_r) x - M
            ex = dx.exp()  # (c, V_r)
            sums[at["sx"], s:e] = ex.sum(-1)
            if want_ent:  # e * d with 0 * (-inf) = 0: d clamped where e is exactly 0 anyway
                sums[at["ed"], s:e] = (ex * dx.clamp(min=LOG_FLOOR)).sum(-1)
            if has_t:
                tc = t_local[s:e, None]  # (c, 1)
                mine = tc >= 0
                idx = tc.clamp(min=0)
            if want_logp:
                sums[at["dt"], s:e] = torch.where(mine, dx.gather(1, idx), 0.0).squeeze(1)
            if y is not None:
                dy = yr(s, e).to(cd) - mx[1, s:e, None]  # (c, V_r)
                sums[at["sy"], s:e] = dy.exp().sum(-1)
                if want_kl:  # where p = 0 the term is 0 (even where q = 0); p > 0 = q gives +inf
                    term = torch.where(ex > 0, ex * (dx - dy), 0.0)
                    sums[at["ediff"], s:e] = term.sum(-1)
                if want_logp:
                    sums[at["dyt"], s:e] = torch.where(mine, dy.gather(1, idx), 0.0).squeeze(1)
        _all_reduce(sums, "sum", group)
        lsx = sums[at["sx"]].log()  # (N,)
        empty = x.new_empty(0, dtype=cd)
        logp = ent = kl = ref = empty
        if want_logp:
            logp = sums[at["dt"]] - lsx
            if keep is not None:
                logp = torch.where(keep, logp, 0.0)
        if want_ent:
            ent = lsx - sums[at["ed"]] / sums[at["sx"]]
        lsy = None
        if y is not None:
            lsy = sums[at["sy"]].log()
            if want_kl:
                kl = (sums[at["ediff"]] / sums[at["sx"]] - lsx + lsy).clamp(min=0.0)
            if want_logp:
                ref = sums[at["dyt"]] - lsy
                if keep is not None:
                    ref = torch.where(keep, ref, 0.0)
        ctx.rows, ctx.cd = rows, cd
        my = mx[1] if y is not None else empty
        ctx.save_for_backward(
            x, y, t_local, keep, mx[0], lsx, my, lsy if lsy is not None else empty, ent, kl
        )
        outs = (logp, ent, kl, ref)
        for o in outs:
            if o.numel() == 0 and n:
                ctx.mark_non_differentiable(o)
        ctx.mark_non_differentiable(mx)
        return (*outs, mx)  # the global row maxima: for the error message only

    @staticmethod
    def backward(ctx, g_logp, g_ent, g_kl, g_ref, _g_max):
        if torch.is_grad_enabled():
            raise RuntimeError(
                "ptcourse.parallel supports first derivatives only: create_graph=True (second "
                "derivatives, e.g. a Hessian) is not supported; use the unsharded functions"
            )
        x, y, t_local, keep, mx, lsx, my, lsy, ent, kl = ctx.saved_tensors
        rows, cd = ctx.rows, ctx.cd
        if keep is not None:  # ignored positions: their log-probs are constant 0
            g_logp = torch.where(keep, g_logp, 0.0) if g_logp is not None else None
            g_ref = torch.where(keep, g_ref, 0.0) if g_ref is not None else None
        need_x = ctx.needs_input_grad[0] and any(g is not None for g in (g_logp, g_ent, g_kl))
        need_y = ctx.needs_input_grad[1] and y is not None and (g_kl, g_ref) != (None, None)
        if not (need_x or need_y):
            return None, None, None, None, None, None, None
        xr, yr = Rows(x), (Rows(y) if y is not None else None)
        n, v = xr.n, xr.vocab
        gx = x.new_empty(n, v) if need_x else None
        gy = y.new_empty(n, v) if need_y else None
        for s in range(0, n, rows):
            e = min(n, s + rows)
            zx = xr(s, e).to(cd) - mx[s:e, None] - lsx[s:e, None]  # (c, V_r) log p
            px = zx.exp()
            zy = None
            if y is not None and (g_kl is not None or need_y):
                zy = yr(s, e).to(cd) - my[s:e, None] - lsy[s:e, None]  # (c, V_r) log q
            onehot = None
            if t_local is not None:
                tc = t_local[s:e, None]
                mine = tc >= 0
                idx = tc.clamp(min=0)
            if need_x:
                coef = torch.zeros((), dtype=cd, device=x.device)
                if g_logp is not None:
                    coef = coef - g_logp[s:e, None]
                zc = zx.clamp(min=LOG_FLOOR)  # p = 0 exactly below it: p * z stays 0
                if g_ent is not None:
                    coef = coef - g_ent[s:e, None] * (zc + ent[s:e, None])
                if g_kl is not None:
                    diff = torch.where(px > 0, zc - zy, 0.0)
                    coef = coef + g_kl[s:e, None] * (diff - kl[s:e, None])
                gc = px * coef
                if g_logp is not None:
                    onehot = torch.where(mine, g_logp[s:e, None].to(cd), 0.0)
                    gc.scatter_add_(1, idx, onehot)
                gx[s:e] = gc
            if need_y:
                gk = g_kl[s:e, None] if g_kl is not None else 0.0
                gr = g_ref[s:e, None] if g_ref is not None else 0.0
                gc = zy.exp() * (gk - gr)
                if g_kl is not None:
                    gc = gc - gk * px
                if g_ref is not None:
                    gc.scatter_add_(1, idx, torch.where(mine, g_ref[s:e, None].to(cd), 0.0))
                gy[s:e] = gc
        gx = gx.view(x.shape) if gx is not None else None
        gy = gy.view(y.shape) if gy is not None else None
        return gx, gy, None, None, None, None, None


def _row_error(outs, mx, my, names) -> None:
    """Raise (on every rank alike: all inputs here are all-reduced) when a row came out NaN."""
    bad = torch.zeros_like(mx, dtype=torch.bool)
    for o in outs:
        if o is not None and o.numel():
            bad |= torch.isnan(o)
    if not bool(bad.any()):
        return
    i = int(bad.nonzero()[0])
    x_name, _, y_name = names
    for m, name in ((mx, x_name), (my, y_name)):
        if m is None:
            continue
        if torch.isneginf(m[i]):
            raise ValueError(
                f"'{name}' has a row whose logits are all -inf on every rank (row {i}): softmax "
                "puts no mass anywhere"
            )
        if torch.isposinf(m[i]):
            raise ValueError(f"'{name}' contains +inf on some rank (row {i})")
    raise ValueError(
        f"'{x_name}'" + (f" or '{y_name}'" if my is not None else "") + f" contains NaN on some "
        f"rank (row {i} of {mx.numel()} flattened rows)"
    )


def _sharded(
    logits,
    targets,
    ref_logits,
    *,
    want_logp,
    want_ent,
    want_kl,
    group,
    vocab_start,
    ignore_index,
    chunk_size,
    names=("logits", "targets", "ref_logits"),
):
    """Validate on every rank, agree, run the sharded Function, reshape. (Internal.)"""
    refuse_functorch("parallel statistics")
    group, rank, world = _group_info(group)
    error, meta, ignore = None, [0] * 7, None
    try:
        meta, ignore = _local_checks(
            logits, targets, ref_logits, names, want_logp, vocab_start, ignore_index
        )
        rows = V.chunk_size(chunk_size)
        if want_kl and ref_logits is None:
            raise ValueError(
                f"'{names[2]}' is required: logits of shape {tuple(logits.shape)}, got None"
            )
    except (TypeError, ValueError) as exc:
        error = exc
    device = _comm_device(group, logits)
    start, vocab = _agree(group, rank, world, device, meta, error, names)
    batch = logits.shape[:-1]
    v_local = logits.shape[-1]
    t_local = keep = None
    if targets is not None:
        t = targets.reshape(-1).long()
        _check_targets(t, names[1], vocab, ignore)
        keep = (t != ignore) if ignore is not None else None
        owned = (t >= start) & (t < start + v_local)
        if keep is not None:
            owned &= keep
        t_local = torch.where(owned, t - start, -1)
    n_inputs = 1 if ref_logits is None else 2
    rows = rows or default_chunk_rows(
        v_local, logits.element_size(), n_inputs, 4 * n_inputs, logits.device.type
    )
    want = (want_logp, want_ent, want_kl)
    if logits.numel() == 0:  # every rank agreed that N = 0: nothing to communicate
        cd = V.compute_dtype(
            logits.dtype, ref_logits.dtype if ref_logits is not None else logits.dtype
        )
        z = logits.new_zeros(batch, dtype=cd) + 0 * logits.sum(-1)
        outs = (z if want_logp else None, z if want_ent else None, z if want_kl else None)
        outs = (*outs, z if (want_logp and ref_logits is not None) else None)
        return outs
    logp, ent, kl, ref, mx = _ShardStats.apply(logits, ref_logits, t_local, keep, want, rows, group)
    outs = (
        logp if want_logp else None,
        ent if want_ent else None,
        kl if want_kl else None,
        ref if (want_logp and ref_logits is not None) else None,
    )
    # every output is computed from all-reduced sums, so every rank finds the same NaN rows
    _row_error(outs, mx[0], mx[1] if ref_logits is not None else None, names)
    return tuple(None if o is None else o.reshape(batch) for o in outs)


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

    .. math::

        \log p(t) = (x_t - M) - \log \sum_{r} \sum_{j \in \text{shard } r} e^{x_j - M},
        \qquad M = \max_r \max_{j \in \text{shard } r} x_j

    Two all-reduces of O(N) values (MAX of the row maxima; SUM of the exp-sums and of the target
    logit, which only the rank owning the target contributes). The result is the same on every
    rank and equals :func:`ptcourse.token_logprobs` of the concatenated logits.

    Parameters
    ----------
    logits : torch.Tensor
        This rank's slice, shape ``(..., V_r)``, any float dtype (fp16/bf16 computed in fp32).
        Every rank must pass the same leading shape and dtype.
    targets : torch.Tensor
        Global token ids of shape ``(...)`` in ``[0, V)``, the same on every rank.
    group : torch.distributed.ProcessGroup, optional
        The ranks that share the vocabulary (default: the global group).
    vocab_start : int, optional
        This rank's first token id. Default ``rank * V_r``, which needs equal shards; pass it on
        every rank for uneven shards (the shards must tile ``[0, V)``: checked).
    ignore_index : int, optional
        Targets equal to it (e.g. -100 for padding) give log-prob 0 and no gradient.
    chunk_size : int, optional
        Rows processed at once; the result does not depend on it.

    Returns
    -------
    torch.Tensor
        Shape ``(...)``, fp32 (fp64 for fp64 input), replicated on every rank; differentiable
        (each rank gets the gradient of its own slice; first derivatives only).

    Examples
    --------
    >>> import os, tempfile, torch, torch.distributed as dist
    >>> from ptcourse import parallel
    >>> store = dist.FileStore(os.path.join(tempfile.mkdtemp(), "store"), 1)
    >>> dist.init_process_group("gloo", store=store, rank=0, world_size=1)  # world size 1
    >>> parallel.token_logprobs(torch.zeros(1, 4), torch.tensor([1]))  # log(1/4)
    tensor([-1.3863])
    >>> dist.destroy_process_group()
    """
    logp, _, _, _ = _sharded(
        logits,
        targets,
        None,
        want_logp=True,
        want_ent=False,
        want_kl=False,
        group=group,
        vocab_start=vocab_start,
        ignore_index=ignore_index,
        chunk_size=chunk_size,
    )
    return logp


def entropy(
    logits: torch.Tensor,
    *,
    group=None,
    vocab_start: int | None = None,
    chunk_size: int | None = None,
) -> torch.Tensor:
    r"""Entropy of the softmax of logits sharded along the vocabulary over ``group``.

    .. math::

        H = \log S - \frac{1}{S} \sum_j e^{d_j} d_j, \qquad d = x - M,
        \qquad S = \sum_j e^{d_j}

    with :math:`M` all-reduced by MAX and both sums by SUM (O(N) values). Tokens with -inf
    logits contribute 0 (:math:`0 \log 0 = 0`), whichever rank holds them. Equals
    :func:`ptcourse.entropy` of the concatenated logits.

    Parameters
    ----------
    logits : torch.Tensor
        This rank's slice ``(..., V_r)``; at least one finite logit per row over all ranks.
    group, vocab_start, chunk_size
        As in :func:`token_logprobs` (``vocab_start``, needed for uneven shards, only checks that
        the shards tile the vocabulary here).

    Returns
    -------
    torch.Tensor
        Shape ``(...)`` in nats, fp32 (fp64 for fp64 input), the same on every rank.

    Examples
    --------
    >>> import os, tempfile, torch, torch.distributed as dist
    >>> from ptcourse import parallel
    >>> store = dist.FileStore(os.path.join(tempfile.mkdtemp(), "store"), 1)
    >>> dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    >>> parallel.entropy(torch.zeros(8))  # uniform over 8 tokens: log 8
    tensor(2.0794)
    >>> dist.destroy_process_group()
    """
    _, ent, _, _ = _sharded(
        logits,
        None,
        None,
        want_logp=False,
        want_ent=True,
        want_kl=False,
        group=group,
        vocab_start=vocab_start,
        ignore_index=None,
        chunk_size=chunk_size,
    )
    return ent


def kl_divergence(
    p_logits: torch.Tensor,
    q_logits: torch.Tensor,
    *,
    group=None,
    vocab_start: int | None = None,
    chunk_size: int | None = None,
) -> torch.Tensor:
    r"""Exact :math:`\mathrm{KL}(p\,\|\,q)` of softmax distributions whose logits are sharded.

    .. math::

        \mathrm{KL} = \frac{1}{S_p} \sum_j e^{d^p_j} (d^p_j - d^q_j) - \log S_p + \log S_q

    (one MAX all-reduce of both row maxima, one SUM all-reduce of three sums: O(N)). Both inputs
    must be sharded the same way. Terms with :math:`p(v) = 0` contribute 0; :math:`p(v) > 0 =
    q(v)` gives :math:`+\infty`. Equals :func:`ptcourse.kl_divergence` of the concatenated logits.

    Parameters
    ----------
    p_logits, q_logits : torch.Tensor
        This rank's slices, same shape ``(..., V_r)``.
    group, vocab_start, chunk_size
        As in :func:`token_logprobs` (``vocab_start`` only checks the tiling here).

    Returns
    -------
    torch.Tensor
        Shape ``(...)``, non-negative, fp32 (fp64 for fp64 input), the same on every rank.

    Examples
    --------
    >>> import os, tempfile, torch, torch.distributed as dist
    >>> from ptcourse import parallel
    >>> store = dist.FileStore(os.path.join(tempfile.mkdtemp(), "store"), 1)
    >>> dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    >>> p = torch.log(torch.tensor([0.5, 0.5]))
    >>> q = torch.log(torch.tensor([0.9, 0.1]))
    >>> parallel.kl_divergence(p, q)
    tensor(0.5108)
    >>> dist.destroy_process_group()
    """
    _, _, kl, _ = _sharded(
        p_logits,
        None,
        q_logits,
        want_logp=False,
        want_ent=False,
        want_kl=True,
        group=group,
        vocab_start=vocab_start,
        ignore_index=None,
        chunk_size=chunk_size,
        names=("p_logits", "targets", "q_logits"),
    )
    return kl


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

    The statistics of :func:`ptcourse.token_stats` -- :math:`\log\pi(x_t)`, :math:`H(\pi)`,
    :math:`\mathrm{KL}(\pi\,\|\,\pi_{ref})`, :math:`\log\pi_{ref}(x_t)` -- from two all-reduces in
    all: MAX of the row maxima of both inputs (2N values), then SUM of the six row sums
    :math:`S, \sum e d, d_t, S_{ref}, \sum e (d - d_{ref}), d^{ref}_t` (6N values), whatever the
    vocabulary size.

    Parameters
    ----------
    logits, targets : torch.Tensor
        This rank's policy slice ``(..., V_r)`` and the global token ids ``(...)`` (the same on
        every rank).
    ref_logits : torch.Tensor, optional
        This rank's reference slice, same shape as ``logits``.
    group, vocab_start, ignore_index, chunk_size
        As in :func:`token_logprobs`.

    Returns
    -------
    TokenStats
        ``logp``, ``entropy``, ``kl`` and ``ref_logp`` (the last two None without
        ``ref_logits``), each of shape ``(...)``, replicated on every rank, differentiable with
        respect to both slices (first derivatives).

    Examples
    --------
    >>> import os, tempfile, torch, torch.distributed as dist
    >>> from ptcourse import parallel
    >>> store = dist.FileStore(os.path.join(tempfile.mkdtemp(), "store"), 1)
    >>> dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    >>> s = parallel.token_stats(torch.zeros(1, 4), torch.tensor([2]), torch.zeros(1, 4))
    >>> round(s.logp.item(), 4), round(s.entropy.item(), 4), s.kl.item()
    (-1.3863, 1.3863, 0.0)
    >>> dist.destroy_process_group()
    """
    logp, ent, kl, ref = _sharded(
        logits,
        targets,
        ref_logits,
        want_logp=True,
        want_ent=True,
        want_kl=ref_logits is not None,
        group=group,
        vocab_start=vocab_start,
        ignore_index=ignore_index,
        chunk_size=chunk_size,
    )
    return TokenStats(logp=logp, entropy=ent, kl=kl, ref_logp=ref)
