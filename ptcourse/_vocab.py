r"""The chunked vocabulary engine behind token_logprobs, entropy, kl_divergence, token_stats (private).

A vocabulary of 128k tokens makes ``(N, V)`` tensors large: the naive composition
``log_softmax(logits).gather(...)`` builds a full ``(N, V)`` temporary and, under autograd, keeps it
alive for the backward pass. Here rows are processed in chunks sized for the CPU cache
(:func:`ptcourse._chunks.default_chunk_rows`); the forward pass keeps only the input logits (alive
anyway) and O(N) results, and the backward pass recomputes each chunk's log-softmax, writing
straight into the single ``(N, V)`` gradient. The same idea drives the chunked cross-entropy
kernels of Liger-Kernel (Hsu et al., 2024) and "Cut Your Losses in Large-Vocabulary Language
Models" (Wijmans et al., 2024).

Per chunk, with :math:`m = \max_j x_j`, :math:`d = x - m`, :math:`e = e^{d}`,
:math:`S = \sum_j e_j`, so that :math:`z = \log\mathrm{softmax}(x) = d - \log S` and
:math:`p = e/S` (max and log-sum subtracted separately, as torch's log-softmax does, so every result
depends only on logit differences, even at magnitudes of 1e30):

* :math:`\log p_t = d_t - \log S`, :math:`H = \log S - (e\cdot d)/S`,
  :math:`\mathrm{KL} = (e\cdot(d - d^{ref}))/S - \log S + \log S^{ref}` -- one exponential per
  logit, both row dot products from one two-column batched matmul, all into reused buffers
  (``out=``); :math:`m` and
  :math:`\log S` of both inputs are kept (O(N)) so that backward rebuilds :math:`z` with two
  subtractions instead of a log-softmax;
* gradients :math:`\partial \log p_t/\partial x_j = [j = t] - p_j`,
  :math:`\partial H/\partial x_j = -p_j(z_j + H)`,
  :math:`\partial\,\mathrm{KL}/\partial x_j = p_j(z_j - z^{ref}_j - \mathrm{KL})`,
  :math:`\partial\,\mathrm{KL}/\partial y_j = q_j - p_j`; with a frozen reference the x-gradient
  is :math:`e_j (k + a\,d_j + b\,d^{ref}_j)` for per-row constants (one exponential per logit).

Rows where this meets ``0 * (-inf)`` (some logits are -inf) are recomputed carefully
(:math:`0 \log 0 = 0`) and flagged so that backward treats them carefully too. Inputs that cannot
be viewed as ``(N, V)`` (expanded, permuted) are copied one chunk at a time. A second derivative
(``create_graph=True``) runs a differentiable, unchunked backward; ``torch.func`` transforms are
refused by name. ``compile=True`` or ``PTCOURSE_COMPILE=1`` runs each forward chunk through a
``torch.compile``-d kernel (:mod:`ptcourse._fused`).
"""

from __future__ import annotations

import torch

from . import _validate as V
from ._chunks import (
    LOG_FLOOR,
    Rows,
    Workspace,
    caller_name,
    check_rows,
    default_chunk_rows,
    refuse_functorch,
    want_compile,
)
from ._vocab_backward import chunked_backward, graph_backward

__all__: list[str] = []


def _rowdots(e: torch.Tensor, pair: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Row dot products ``(e . pair[:, 0], e . pair[:, 1])`` of (c, V) and (c, 2, V): one bmm.

    A batched matrix product with two right-hand columns reads ``e`` once and, measured on a
    2-core EPYC at V=131072, takes about half the time of a one-column ``bmm`` (a slower
    matrix-vector path) and a third of ``mul`` then ``sum``; no (c, V) temporary.
    """
    r = torch.bmm(e.unsqueeze(1), pair.transpose(1, 2)).view(e.shape[0], 2)  # (c, 2)
    return r[:, 0], r[:, 1]


def _exact_chunk(xc, yc, want_kl):
    """Careful entropy and KL of a few rows, exact with -inf logits (0 log 0 = 0; p > 0 = q: +inf)."""
    zx = torch.log_softmax(xc, dim=-1)  # (c, V) log p
    px = zx.exp()  # (c, V)
    zx.clamp_(min=LOG_FLOOR)
    ent = -(px * zx).sum(-1)
    kl = None
    if want_kl:
        d = (zx - torch.log_softmax(yc, dim=-1)).masked_fill_(px == 0, 0.0)  # (c, V)
        kl = (px * d).sum(-1)
    return ent, kl


def _shifted_exp(ws, xc, d_out, ename):
    """Row max ``m``, ``d = x - m`` into ``d_out`` and ``e = exp(d)`` into a buffer: one exp per value.

    Returns ``(m, d, e)`` with ``m`` of shape (c, 1). ``log softmax = d - log S`` with
    ``S = sum e``, exactly as torch computes it (max and log-sum subtracted separately, so huge
    logits keep their small differences), and ``softmax = e / S``.
    """
    m = xc.amax(dim=-1, keepdim=True)  # (c, 1)
    d = torch.sub(xc, m, out=d_out)  # (c, V), <= 0
    e = torch.exp(d, out=ws.get(ename, xc.shape[0]))  # (c, V), in (0, 1]
    return m, d, e


def _eager_chunk(ws, xc, yc, tc, want_logp, want_ent, want_kl):
    """(logp, H, ref_logp, KL, parts) of one chunk; xc, yc contiguous in compute dtype.

    Each statistic is (c,) or None; ``parts`` is ``(m_x, log S_x, m_y, log S_y)`` (each (c,) or
    None) for the backward pass, or None when only log-probs were asked for (one fused
    log-softmax is then the fastest way). One exponential per logit: with ``d = x - max x``,
    ``e = exp d``, ``S = sum e``: ``H = log S - (e . d) / S`` and
    ``KL = (e . (d_x - d_y)) / S_x - log S_x + log S_y``; the two dot products (or, without a
    reference, ``e . d`` and ``S = e . 1``) come from one :func:`_rowdots`.
    """
    c = xc.shape[0]
    if not (want_ent or want_kl or yc is not None):
        zx = torch.log_softmax(xc, dim=-1, out=ws.get("z", c))  # (c, V)
        return (zx.gather(1, tc).squeeze(1) if want_logp else None), None, None, None, None
    pair = ws.pair(c, ones=yc is None)  # (c, 2, V): d_x, and d_y (then d_x - d_y) or ones
    my = lsy = ref = k = h = None
    if yc is not None:  # the reference first: its exponentials are scratch, only S_y is kept
        my, dy, ey = _shifted_exp(ws, yc, pair[:, 1], "p")
        lsy = ey.sum(dim=-1, keepdim=True).log_()  # (c, 1)
        if want_logp:
            ref = (dy.gather(1, tc) - lsy).squeeze(1)
    mx, dx, ex = _shifted_exp(ws, xc, pair[:, 0], "p")
    if yc is None:
        ed, s_x = _rowdots(ex, pair)  # e . d_x and S_x = e . 1
        lsx = s_x.log().unsqueeze(1)  # (c, 1)
    else:
        lsx = ex.sum(dim=-1, keepdim=True).log_()  # (c, 1)
        if want_ent or want_kl:
            torch.sub(dx, dy, out=dy)  # (c, V) d_x - d_y = z_x - z_y + log S_x - log S_y
            ed, ediff = _rowdots(ex, pair)
    inv_s = torch.exp(-lsx).squeeze(1)  # (c,) 1 / S_x
    logp = (dx.gather(1, tc) - lsx).squeeze(1) if want_logp else None
    if want_ent:
        h = lsx.squeeze(1) - ed * inv_s
    if want_kl:
        k = (ediff * inv_s - lsx.squeeze(1) + lsy.squeeze(1)).clamp_(min=0.0)
    parts = (mx.squeeze(1), lsx.squeeze(1), None if my is None else my.squeeze(1))
    parts = (*parts, None if lsy is None else lsy.squeeze(1))
    return logp, h, ref, k, parts


class _VocabStats(torch.autograd.Function):
    """Chunked statistics of ``x`` (..., V) and optionally ``y`` (same shape); targets ``t`` (N,).

    Outputs, each (N,) in the compute dtype or an empty tensor when not requested:
    ``logp = log softmax(x)[t]``, ``ent = H(softmax x)``, ``kl = KL(softmax x || softmax y)``,
    ``ref_logp = log softmax(y)[t]``. Only the inputs and O(N) row statistics are saved.
    """

    @staticmethod
    def forward(ctx, x, y, t, want_logp, want_ent, want_kl, rows, fused):
        ctx.set_materialize_grads(False)
        xr, yr = Rows(x), (Rows(y) if y is not None else None)
        n, vocab = xr.n, xr.vocab
        cd = V.compute_dtype(x.dtype, y.dtype if y is not None else x.dtype)
        empty = x.new_empty(0, dtype=cd)

        def alloc(flag):
            return x.new_empty(n, dtype=cd) if flag else empty

        logp, ent, kl = alloc(want_logp), alloc(want_ent), alloc(want_kl)
        ref_logp = alloc(want_logp and y is not None)
        careful = torch.zeros(n, dtype=torch.bool, device=x.device)  # rows with -inf logits
        ws = Workspace(min(rows, n), vocab, cd, x.device)
        # (m_x, log S_x, m_y, log S_y) per row, kept (O(N)) so backward needs no log-softmax
        parts = x.new_empty(4, n, dtype=cd) if not fused and n else None
        if fused:
            from ._fused import fused_chunk
        for s in range(0, n, rows):
            e = min(n, s + rows)
            tc = t[s:e, None] if t is not None else None  # (c, 1)
            if fused:
                xc, yc = xr(s, e), (yr(s, e) if yr is not None else None)
                outs = (*fused_chunk(xc, yc, tc, want_logp, want_ent, want_kl, cd), None)
            else:
                xc, yc = (
                    ws.cast("x", xr(s, e)),
                    (ws.cast("y", yr(s, e)) if yr is not None else None),
                )
                outs = _eager_chunk(ws, xc, yc, tc, want_logp, want_ent, want_kl)
            lp, h, ref, k, pc = outs
            if pc is None:
                parts = None
            elif parts is not None:
                for i, src in enumerate(pc):
                    if src is not None:
                        parts[i, s:e] = src
            bad = torch.zeros(e - s, dtype=torch.bool, device=x.device)
            for o in (h, k):
                if o is not None:
                    bad |= torch.isnan(o)
            if bool(bad.any()):  # -inf logits (or bad input): redo those rows carefully
                idx = bad.nonzero().squeeze(1)
                xb = xc[idx].to(cd)
                h2, k2 = _exact_chunk(xb, yc[idx].to(cd) if k is not None else None, k is not None)
                if h is not None:
                    h[idx] = h2
                if k is not None:
                    k[idx] = k2
                careful[s:e] = bad
            for dst, src in ((logp, lp), (ent, h), (ref_logp, ref), (kl, k)):
                if src is not None:
                    dst[s:e] = src
        ctx.rows = rows
        ctx.save_for_backward(x, y, t, ent, kl, careful, parts if parts is not None else empty)
        outs = (logp, ent, kl, ref_logp)
        for o in outs:
            if o.numel() == 0 and n:
                ctx.mark_non_differentiable(o)
        return outs

    @staticmethod
    def backward(ctx, g_logp, g_ent, g_kl, g_ref):
        x, y, t, ent, kl, careful, parts = ctx.saved_tensors
        need_x = ctx.needs_input_grad[0] and any(g is not None for g in (g_logp, g_ent, g_kl))
        need_y = ctx.needs_input_grad[1] and y is not None and (g_kl, g_ref) != (None, None)
        if not (need_x or need_y):
            return None, None, None, None, None, None, None, None
        if torch.is_grad_enabled():  # create_graph=True: a differentiable backward
            gx, gy = graph_backward(x, y, t, g_logp, g_ent, g_kl, g_ref)
            grads = (gx if need_x else None, gy if need_y else None)
        else:
            grads = chunked_backward(
                ctx.rows,
                need_x,
                need_y,
                x,
                y,
                t,
                ent,
                kl,
                careful,
                parts,
                g_logp,
                g_ent,
                g_kl,
                g_ref,
            )
        return (*grads, None, None, None, None, None, None)


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
    compile: bool | None = None,
):
    """Validate, run the chunked engine, reshape back. (Internal.)

    Returns ``(logp, ent, kl, ref_logp)`` with the logits' batch shape (``None`` if not wanted).
    """
    refuse_functorch(caller_name())
    x_name, t_name, y_name = names
    V.logits(logits, x_name)
    vocab = logits.shape[-1]
    batch = logits.shape[:-1]
    t = None
    if want_logp and targets is None:
        raise ValueError(f"'{t_name}' is required: token ids of shape {tuple(batch)}, got None")
    if targets is not None:
        t = V.targets(targets, t_name, batch, vocab, logits.device).reshape(-1)  # (N,)
    if want_kl and ref_logits is None:
        raise ValueError(f"'{y_name}' is required: logits of shape {tuple(logits.shape)}, got None")
    if ref_logits is not None:
        V.logits(ref_logits, y_name)
        V.same_shape(logits, x_name, ref_logits, y_name)
        V.same_device(logits, x_name, ref_logits, y_name)
    fused = want_compile(compile)
    n_inputs = 1 if ref_logits is None else 2
    # forward buffers: the log-softmax alone, or d_x, e = exp d_x and d_y (or ones: Workspace.pair)
    n_buffers = 1 if not (want_ent or want_kl or ref_logits is not None) else 3
    if logits.dtype != V.compute_dtype(logits.dtype):  # fp16/bf16: chunk copies in fp32 too
        n_buffers += n_inputs
    rows = V.chunk_size(chunk_size) or default_chunk_rows(
        vocab, logits.element_size(), n_inputs, n_buffers, logits.device.type
    )
    outs = _VocabStats.apply(logits, ref_logits, t, want_logp, want_ent, want_kl, rows, fused)
    logp, ent, kl, ref_logp = outs
    outs = (
        logp if want_logp else None,
        ent if want_ent else None,
        kl if want_kl else None,
        ref_logp if (want_logp and ref_logits is not None) else None,
    )
    xr, yr = Rows(logits), (Rows(ref_logits) if ref_logits is not None else None)
    check_rows(outs, xr, x_name, yr, y_name)
    return tuple(None if o is None else o.reshape(batch) for o in outs)
