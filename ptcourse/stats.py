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

Each chunk's scratch space is allocated once per call and reused (``out=``), so the extra memory is
a few chunks (2-4 buffers of 16 MiB in fp32 by default) whatever N is. Non-contiguous logits are
copied once by the ``reshape`` to ``(N, V)``; second derivatives are not supported.

Which statistics an RL step monitors follows InstructGPT (Ouyang et al., 2022) and the open RL
libraries (TRL, OpenRLHF, verl).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.autograd.function import once_differentiable

from . import _validate as V

__all__ = ["TokenStats", "token_stats"]

#: Target number of elements in one chunk (rows x vocabulary): 2**22 fp32 values = 16 MiB, i.e.
#: 3 % of a (1024, 131072) fp32 logits tensor per scratch buffer. Smaller chunks save little
#: memory but multiply the number of kernel launches / parallel regions, which is slow on a busy
#: CPU.
CHUNK_ELEMENTS = 2**22


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


#: log-probabilities below this are clamped to it. Any such token has p = exp(z) = 0 exactly in
#: fp32 and fp64, so p * z is still exactly 0 -- but never 0 * (-inf) = NaN.
LOG_FLOOR = -1.0e4


def _rowdot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a * b).sum(-1)  # (c,)


def _exact_chunk(xc, yc, tc, want_logp, want_ent, want_kl):
    """Careful per-chunk statistics, exact with -inf logits (0 log 0 = 0, p > 0 = q -> +inf)."""
    zx = torch.log_softmax(xc, dim=-1)  # (c, V) log p
    logp = zx.gather(1, tc[:, None]).squeeze(1) if want_logp else None
    px = zx.exp()  # (c, V)
    zx.clamp_(min=LOG_FLOOR)
    ent = -_rowdot(px, zx) if want_ent else None
    kl = None
    if want_kl:
        zy = torch.log_softmax(yc, dim=-1)  # (c, V) log q
        d = (zx - zy).masked_fill_(px == 0, 0.0)  # p = 0 contributes nothing, even if q = 0
        kl = _rowdot(px, d)  # p > 0 = q -> +inf
    return logp, ent, kl


class _Workspace:
    """Chunk-sized scratch buffers, allocated once per call and reused for every chunk.

    Re-allocating several MiB-sized temporaries per chunk makes the allocator hand memory back to
    the OS and fault it in again, which costs more than the arithmetic; writing into the same
    buffers with ``out=`` avoids that.
    """

    def __init__(self, rows: int, vocab: int, dtype: torch.dtype, device: torch.device):
        self.shape, self.dtype, self.device = (rows, vocab), dtype, device
        self.bufs: dict[str, torch.Tensor] = {}

    def get(self, name: str, c: int) -> torch.Tensor:
        if name not in self.bufs:
            self.bufs[name] = torch.empty(self.shape, dtype=self.dtype, device=self.device)
        return self.bufs[name][:c]  # (c, V)

    def cast(self, name: str, src: torch.Tensor) -> torch.Tensor:
        """``src`` in the compute dtype (a view when it already is, else a copy into a buffer)."""
        if src.dtype == self.dtype:
            return src
        return self.get(name, src.shape[0]).copy_(src)


def _lse_and_softmax(xc: torch.Tensor, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Row log-sum-exp and softmax of a chunk in one fused softmax pass.

    ``lse = x_m - log p_m`` at the row's arg-max m, where ``p_m >= 1/V`` is accurate.
    """
    p = torch.softmax(xc, dim=-1, out=out)  # (c, V)
    m = xc.argmax(-1, keepdim=True)  # (c, 1)
    return (xc.gather(1, m) - p.gather(1, m).log()).squeeze(1), p  # (c,), (c, V)


class _VocabStats(torch.autograd.Function):
    """Chunked log-softmax statistics of ``x`` (N, V) and optionally ``y`` (N, V).

    Outputs (each (N,) in the compute dtype, or an empty tensor when not requested):
    ``logp = log softmax(x)[t]``, ``ent = H(softmax x)``, ``kl = KL(softmax x || softmax y)``,
    ``ref_logp = log softmax(y)[t]``. Only ``x``, ``y``, ``t`` and O(N) row statistics are saved;
    backward recomputes each chunk's softmax.

    Fast path per chunk: ``p = softmax(x)``, ``lse_x``, ``H = lse_x - sum p x`` and
    ``KL = sum p (x - y) - (lse_x - lse_y)`` (as accurate as torch.distributions in fp32, and
    exactly 0 when x == y). Rows where this meets ``0 * (-inf)`` (some logits are -inf) are
    recomputed by :func:`_exact_chunk` and flagged, so that backward treats them carefully too.
    """

    @staticmethod
    def forward(ctx, x, y, t, want_logp, want_ent, want_kl, rows):
        ctx.set_materialize_grads(False)
        n, vocab = x.shape
        cd = V.compute_dtype(x.dtype, y.dtype if y is not None else x.dtype)
        empty = x.new_empty(0, dtype=cd)
        full = want_ent or want_kl or y is not None

        def alloc(flag):
            return x.new_empty(n, dtype=cd) if flag else empty

        logp, ent, kl = alloc(want_logp), alloc(full), alloc(want_kl)
        ref_logp, lse_x, lse_y = alloc(want_logp and y is not None), alloc(full), alloc(want_kl)
        careful = torch.zeros(n, dtype=torch.bool, device=x.device)  # rows with -inf logits
        ws = _Workspace(min(rows, n), vocab, cd, x.device)
        for s in range(0, n, rows):
            e = min(n, s + rows)
            c = e - s
            xc = ws.cast("x", x[s:e])  # (c, V)
            tc = t[s:e, None] if t is not None else None  # (c, 1)
            if not full:  # log-probs only: one fused log_softmax
                zx = torch.log_softmax(xc, dim=-1, out=ws.get("p", c))  # (c, V)
                logp[s:e] = zx.gather(1, tc).squeeze(1)
                continue
            lx, px = _lse_and_softmax(xc, ws.get("p", c))  # (c,), (c, V)
            h = lx - torch.mul(px, xc, out=ws.get("w", c)).sum(-1)  # (c,) H = lse - sum p x
            lse_x[s:e] = lx
            if want_logp:
                logp[s:e] = xc.gather(1, tc).squeeze(1) - lx
            k = None
            if y is not None:
                yc = ws.cast("y", y[s:e])  # (c, V)
                ly, _ = _lse_and_softmax(yc, ws.get("w", c))
                if want_logp:
                    ref_logp[s:e] = yc.gather(1, tc).squeeze(1) - ly
                if want_kl:
                    lse_y[s:e] = ly
                    d = torch.sub(xc, yc, out=ws.get("w", c)).mul_(px)  # (c, V) p (x - y)
                    k = (d.sum(-1) - (lx - ly)).clamp_(min=0.0)  # (c,)
            bad = torch.isnan(h) if k is None else torch.isnan(h) | torch.isnan(k)  # (c,)
            if bool(bad.any()):  # -inf logits (or bad input): redo those rows carefully
                idx = bad.nonzero().squeeze(1)
                _, h2, k2 = _exact_chunk(
                    xc[idx], None if k is None else yc[idx], None, False, True, k is not None
                )
                h[idx] = h2
                if k is not None:
                    k[idx] = k2
                careful[s:e] = bad
            ent[s:e] = h
            if want_kl:
                kl[s:e] = k
        ctx.rows = rows
        ctx.save_for_backward(x, y, t, ent, kl, lse_x, lse_y, careful)
        outs = (logp, ent if want_ent else empty, kl, ref_logp)
        for o in outs:
            if o.numel() == 0 and n:
                ctx.mark_non_differentiable(o)
        return outs

    @staticmethod
    @once_differentiable
    def backward(ctx, g_logp, g_ent, g_kl, g_ref):
        x, y, t, ent, kl, lse_x, lse_y, careful = ctx.saved_tensors
        n, vocab = x.shape
        rows = ctx.rows
        cd = V.compute_dtype(x.dtype, y.dtype if y is not None else x.dtype)
        need_x = ctx.needs_input_grad[0] and any(g is not None for g in (g_logp, g_ent, g_kl))
        need_y = (
            y is not None and ctx.needs_input_grad[1] and any(g is not None for g in (g_kl, g_ref))
        )
        if not (need_x or need_y):
            return None, None, None, None, None, None, None
        gx = torch.empty_like(x) if need_x else None  # (N, V), the only full-size tensors
        gy = torch.empty_like(y) if need_y else None  # (N, V)
        zero = x.new_zeros((), dtype=cd)
        ws = _Workspace(min(rows, n), vocab, cd, x.device)
        for s in range(0, n, rows):
            e = min(n, s + rows)
            c = e - s
            xc = ws.cast("x", x[s:e])  # (c, V)
            yc = ws.cast("y", y[s:e]) if y is not None else None  # (c, V)
            px = torch.softmax(xc, dim=-1, out=ws.get("p", c))  # (c, V)
            ge = g_ent[s:e, None] if g_ent is not None else zero  # (c, 1) or ()
            gk = g_kl[s:e, None] if g_kl is not None else zero
            gl = g_logp[s:e, None] if g_logp is not None else zero
            if need_x:
                # gradient = p * coef + onehot(t) * g_logp, with
                #   dH/dx = -p (log p + H),  dKL/dx = p (log p - log q - KL),  dlogp/dx = onehot - p
                if g_ent is None and g_kl is None:
                    coef = -gl
                elif not bool(careful[s:e].any()):
                    # log p = x - lse_x, log p - log q = (x - y) - (lse_x - lse_y): linear in x, y
                    const = -gl
                    if g_ent is not None:
                        const = const + ge * (lse_x[s:e, None] - ent[s:e, None])
                    if g_kl is not None:
                        const = const - gk * (lse_x[s:e, None] - lse_y[s:e, None] + kl[s:e, None])
                    coef = torch.addcmul(const, xc, gk - ge, out=ws.get("w", c))  # (c, V)
                    if g_kl is not None:
                        coef.addcmul_(yc, -gk)
                else:  # some logits are -inf: clamp log p, and let p = 0 contribute 0
                    zx = torch.log_softmax(xc, dim=-1).clamp_(min=LOG_FLOOR)  # (c, V)
                    coef = (zx + ent[s:e, None]).mul_(-ge).sub_(gl) if g_ent is not None else -gl
                    if g_kl is not None:
                        d = zx.sub_(torch.log_softmax(yc, dim=-1)).masked_fill_(px == 0, 0.0)
                        coef = coef + d.sub_(kl[s:e, None]).mul_(gk)
                out = gx[s:e] if gx.dtype == cd else ws.get("g", c)
                gc = torch.mul(px, coef, out=out)  # (c, V)
                if g_logp is not None:
                    gc.scatter_add_(1, t[s:e, None], gl.to(cd))
                if gx.dtype != cd:
                    gx[s:e] = gc
            if need_y:
                qy = torch.softmax(yc, dim=-1, out=ws.get("w", c))  # (c, V)
                gc = qy.mul_(gk - (g_ref[s:e, None] if g_ref is not None else zero))  # (c, V)
                if g_kl is not None:
                    gc.addcmul_(px, -gk)  # dKL/dy = q - p
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
        Rows per chunk; by default about :math:`2^{22}` values per chunk. The result does not
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
