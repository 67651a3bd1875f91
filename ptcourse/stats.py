r"""One chunked pass over the vocabulary: the per-token statistics an RL step logs.

This module holds the memory-bounded engine behind :func:`ptcourse.token_logprobs`,
:func:`ptcourse.entropy` and :func:`ptcourse.kl_divergence`, and the public :func:`token_stats`,
which computes all of them at once (policy log-prob of the sampled token, policy entropy, exact
KL(pi || pi_ref) and the reference log-prob).

Why a custom autograd function? A vocabulary of 128k tokens makes ``(N, V)`` tensors large: the
naive composition ``log_softmax(logits).gather(...)`` builds a full ``(N, V)`` temporary and, under
autograd, keeps it alive for the backward pass. Here the rows are processed in chunks of a few
MiB; the forward pass keeps only the input logits (which are alive anyway) and O(N) results, and
the backward pass recomputes the softmax chunk by chunk, writing straight into the single
``(N, V)`` gradient. The same idea drives the fused/chunked cross-entropy kernels of Liger-Kernel
(Hsu et al., 2024) and of "Cut Your Losses in Large-Vocabulary Language Models" (Wijmans et al.,
2024). The gradients used are the textbook ones:

* :math:`\partial \log p_t / \partial x_j = [j = t] - p_j`;
* :math:`\partial H / \partial x_j = -p_j(\log p_j + H)`;
* :math:`\partial\,\mathrm{KL}(p\|q) / \partial x_j = p_j(\log p_j - \log q_j - \mathrm{KL})` and
  :math:`\partial\,\mathrm{KL}(p\|q) / \partial y_j = q_j - p_j`.

Which statistics an RL step monitors follows InstructGPT (Ouyang et al., 2022) and the open RL
libraries (TRL, OpenRLHF, verl).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.autograd.function import once_differentiable

from . import _validate as V

__all__ = ["TokenStats", "token_stats"]

#: Target number of elements in one chunk (rows x vocabulary): 2**20 fp32 values = 4 MiB.
CHUNK_ELEMENTS = 2**20


def default_chunk_rows(vocab: int) -> int:
    """Rows per chunk so that one chunk holds about ``CHUNK_ELEMENTS`` values."""
    return max(1, CHUNK_ELEMENTS // max(1, vocab))


def _row_problem(x2: torch.Tensor, name: str, bad_rows: torch.Tensor) -> str:
    """Explain why rows of ``x2`` produced NaN (called only on the error path)."""
    rows = bad_rows[:8]
    xb = x2[rows].float()  # (<=8, V)
    if bool(torch.isnan(xb).any()):
        return f"'{name}' contains NaN (row {int(rows[0])} of {x2.shape[0]} flattened rows)"
    if bool(torch.isposinf(xb).any()):
        return f"'{name}' contains +inf (row {int(rows[0])} of {x2.shape[0]} flattened rows)"
    if bool(torch.isneginf(xb).all(dim=-1).any()):
        return (
            f"'{name}' has a row whose logits are all -inf (row {int(rows[0])}): "
            "softmax puts no mass anywhere"
        )
    return ""


def _check_rows(outs, x2, x_name, y2, y_name) -> None:
    bad = torch.zeros(x2.shape[0], dtype=torch.bool, device=x2.device)
    for o in outs:
        if o is not None and o.numel():
            bad |= torch.isnan(o)
    if not bool(bad.any()):
        return
    rows = bad.nonzero().flatten()
    msg = _row_problem(x2, x_name, rows)
    if not msg and y2 is not None:
        msg = _row_problem(y2, y_name, rows)
    if not msg:  # pragma: no cover - defensive
        msg = f"'{x_name}' produced NaN in rows {rows[:8].tolist()}"
    raise ValueError(msg + f"; shape {tuple(x2.shape)} (flattened to (N, V))")


class _VocabStats(torch.autograd.Function):
    """Chunked log-softmax statistics of ``x`` (N, V) and optionally ``y`` (N, V).

    Outputs (each (N,) in the compute dtype, or an empty tensor when not requested):
    ``logp = log softmax(x)[t]``, ``ent = H(softmax x)``, ``kl = KL(softmax x || softmax y)``,
    ``ref_logp = log softmax(y)[t]``.
    """

    @staticmethod
    def forward(ctx, x, y, t, want_logp, want_ent, want_kl, rows):
        ctx.set_materialize_grads(False)
        n, _ = x.shape
        cd = V.compute_dtype(x.dtype, y.dtype if y is not None else x.dtype)
        empty = x.new_empty(0, dtype=cd)
        logp = x.new_empty(n, dtype=cd) if want_logp else empty
        ent = x.new_empty(n, dtype=cd) if want_ent else empty
        kl = x.new_empty(n, dtype=cd) if want_kl else empty
        ref_logp = x.new_empty(n, dtype=cd) if (want_logp and y is not None) else empty
        for s in range(0, n, rows):
            e = min(n, s + rows)
            zx = torch.log_softmax(x[s:e].to(cd), dim=-1)  # (c, V) log p
            if want_logp:
                logp[s:e] = zx.gather(1, t[s:e, None]).squeeze(1)
            if want_ent or want_kl:
                px = zx.exp()  # (c, V) p
                # 0 * log 0 = 0: where p = 0, use log p := 0 so that no 0 * (-inf) appears.
                dead = px == 0  # (c, V)
                zx.masked_fill_(dead, 0.0)
            if want_ent:
                ent[s:e] = -(px * zx).sum(-1)
            if y is not None:
                zy = torch.log_softmax(y[s:e].to(cd), dim=-1)  # (c, V) log q
                if want_logp:
                    ref_logp[s:e] = zy.gather(1, t[s:e, None]).squeeze(1)
                if want_kl:
                    d = zx.sub_(zy)  # (c, V) log p - log q (zx is no longer needed)
                    d.masked_fill_(dead, 0.0)  # p = 0 contributes nothing, even if q = 0
                    kl[s:e] = d.mul_(px).sum(-1)  # p > 0, q = 0 -> +inf
        ctx.rows = rows
        ctx.want = (want_logp, want_ent, want_kl)
        ctx.save_for_backward(x, y, t, ent if want_ent else None, kl if want_kl else None)
        for o in (logp, ent, kl, ref_logp):
            if o.numel() == 0 and n:
                ctx.mark_non_differentiable(o)
        return logp, ent, kl, ref_logp

    @staticmethod
    @once_differentiable
    def backward(ctx, g_logp, g_ent, g_kl, g_ref):
        x, y, t, ent, kl = ctx.saved_tensors
        n, _ = x.shape
        rows = ctx.rows
        cd = V.compute_dtype(x.dtype, y.dtype if y is not None else x.dtype)
        need_x = ctx.needs_input_grad[0] and any(g is not None for g in (g_logp, g_ent, g_kl))
        need_y = (
            y is not None
            and ctx.needs_input_grad[1]
            and any(g is not None for g in (g_kl, g_ref))
        )
        gx = torch.empty_like(x) if need_x else None
        gy = torch.empty_like(y) if need_y else None
        if not (need_x or need_y):
            return None, None, None, None, None, None, None
        for s in range(0, n, rows):
            e = min(n, s + rows)
            zx = torch.log_softmax(x[s:e].to(cd), dim=-1)  # (c, V)
            px = zx.exp()  # (c, V)
            zx.masked_fill_(px == 0, 0.0)  # p = 0 entries get gradient 0; avoid 0 * inf
            zy = qy = None
            if y is not None and (g_kl is not None or g_ref is not None):
                zy = torch.log_softmax(y[s:e].to(cd), dim=-1)  # (c, V)
            if need_x:
                coef = None  # (c, V) or (c, 1): gradient = px * coef (+ one-hot part)
                if g_ent is not None:
                    # dH/dx = -p (log p + H)
                    coef = (zx + ent[s:e, None]) * (-g_ent[s:e, None])
                if g_kl is not None:
                    # dKL/dx = p (log p - log q - KL)
                    d = (zx - zy).masked_fill_(px == 0, 0.0)  # (c, V)
                    term = (d - kl[s:e, None]) * g_kl[s:e, None]
                    coef = term if coef is None else coef.add_(term)
                if g_logp is not None:
                    # dlogp_t/dx = onehot(t) - p
                    coef = -g_logp[s:e, None] if coef is None else coef.sub_(g_logp[s:e, None])
                gc = px * coef  # (c, V)
                if g_logp is not None:
                    gc.scatter_add_(1, t[s:e, None], g_logp[s:e, None].to(cd))
                gx[s:e] = gc
            if need_y:
                qy = zy.exp()  # (c, V)
                w = qy.new_zeros(e - s, 1)
                if g_kl is not None:
                    w = w + g_kl[s:e, None]
                if g_ref is not None:
                    w = w - g_ref[s:e, None]
                gc = qy.mul_(w)  # (c, V)
                if g_kl is not None:
                    gc.sub_(px * g_kl[s:e, None])  # dKL/dy = q - p
                if g_ref is not None:
                    gc.scatter_add_(1, t[s:e, None], g_ref[s:e, None].to(cd))
                gy[s:e] = gc
        return gx, gy, None, None, None, None, None


def vocab_stats(
    logits: torch.Tensor,
    targets: torch.Tensor | None,
    ref_logits: torch.Tensor | None,
    *,
    want_logp: bool,
    want_ent: bool,
    want_kl: bool,
    chunk_size: int | None,
    names: tuple[str, str, str] = ("logits", "targets", "ref_logits"),
):
    """Validate, flatten to (N, V), run the chunked engine, reshape back. (Internal.)

    Returns ``(logp, ent, kl, ref_logp)`` with the logits' batch shape (``None`` if not wanted).
    """
    x_name, t_name, y_name = names
    V.logits(logits, x_name)
    vocab = logits.shape[-1]
    batch = logits.shape[:-1]
    t = None
    if targets is not None:
        t = V.targets(targets, t_name, batch, vocab, logits.device).reshape(-1)  # (N,)
    if ref_logits is not None:
        V.logits(ref_logits, y_name)
        V.same_shape(logits, x_name, ref_logits, y_name)
        V.same_device(logits, x_name, ref_logits, y_name)
    rows = V.chunk_size(chunk_size) or default_chunk_rows(vocab)
    x2 = logits.reshape(-1, vocab)  # (N, V); a view when logits is contiguous
    y2 = ref_logits.reshape(-1, vocab) if ref_logits is not None else None  # (N, V)
    logp, ent, kl, ref_logp = _VocabStats.apply(x2, y2, t, want_logp, want_ent, want_kl, rows)
    outs = (
        logp if want_logp else None,
        ent if want_ent else None,
        kl if want_kl else None,
        ref_logp if (want_logp and ref_logits is not None) else None,
    )
    _check_rows(outs, x2, x_name, y2, y_name)
    return tuple(None if o is None else o.reshape(batch) for o in outs)


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
        Rows per chunk; by default about :math:`2^{20}` values per chunk. The result does not
        depend on it.

    Returns
    -------
    TokenStats
        Frozen dataclass with ``logp``, ``entropy``, ``kl`` and ``ref_logp`` (the last two
        ``None`` without ``ref_logits``), each of shape ``(...)``, fp32 for fp16/bf16/fp32 inputs
        and differentiable with respect to both logits tensors.

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
    )
    return TokenStats(logp=logp, entropy=ent, kl=kl, ref_logp=ref_logp)
