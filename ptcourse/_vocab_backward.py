r"""The backward pass of the chunked vocabulary engine (private; see ``ptcourse._vocab``).

First-order gradients chunk by chunk, from the forward pass's saved O(N) row quantities:
:math:`\partial \log p_t/\partial x_j = [j = t] - p_j`,
:math:`\partial H/\partial x_j = -p_j(z_j + H)`,
:math:`\partial\,\mathrm{KL}/\partial x_j = p_j(z_j - z^{ref}_j - \mathrm{KL})`,
:math:`\partial\,\mathrm{KL}/\partial y_j = q_j - p_j`; the only ``(N, V)`` tensors are the
gradients. With a frozen reference the x-gradient is :math:`e_j (k + a\,d_j + b\,d^{ref}_j)` for
per-row constants (one exponential per logit). A second derivative (``create_graph=True``) runs
``graph_backward``, a differentiable, unchunked version of the same formulas.
"""

from __future__ import annotations

import torch

from . import _validate as V
from ._chunks import LOG_FLOOR, Rows, Workspace, spans

__all__: list[str] = []


def chunked_backward(
    rows, need_x, need_y, x, y, t, ent, kl, careful, parts, g_logp, g_ent, g_kl, g_ref
):
    """First-order gradients, chunk by chunk. With the forward pass's row maxima and log-sums
    (``parts``) a chunk's log-softmax is two subtractions, ``z = (x - m) - log S``; without them
    (the compiled path) it is recomputed."""
    xr, yr = Rows(x), (Rows(y) if y is not None else None)
    n, vocab = xr.n, xr.vocab
    cd = V.compute_dtype(x.dtype, y.dtype if y is not None else x.dtype)
    gx = x.new_empty(n, vocab) if need_x else None  # (N, V)
    gy = y.new_empty(n, vocab) if need_y else None  # (N, V)
    zero = x.new_zeros((), dtype=cd)
    ws = Workspace(min(rows, n), vocab, cd, x.device)
    have = parts.numel() > 0

    def logsm(src, i, s, e, name):
        """log softmax of rows s:e of src (x: i=0, y: i=2) into buffer ``name``."""
        src = ws.cast(name[0] + "in", src(s, e))
        if have:
            z = torch.sub(src, parts[i, s:e, None], out=ws.get(name, e - s))
            return z.sub_(parts[i + 1, s:e, None])
        return torch.log_softmax(src, dim=-1, out=ws.get(name, e - s))

    for s, e in spans(n, rows):
        c = e - s
        gl, ge, gk, gr = (
            g[s:e, None] if g is not None else zero for g in (g_logp, g_ent, g_kl, g_ref)
        )
        fast = gx is not None and have and gy is None and not bool(careful[s:e].any())
        if not fast:  # z_x, p_x and (when a gradient needs it) z_y of this chunk
            zx = logsm(xr, 0, s, e, "z")  # (c, V)
            px = torch.exp(zx, out=ws.get("p", c))  # (c, V)
            zy = None
            if yr is not None and ((g_kl is not None and gx is not None) or gy is not None):
                zy = logsm(yr, 2, s, e, "w")  # (c, V)
        if gx is not None:
            out = gx[s:e] if gx.dtype == cd else ws.get("g", c)
            const = -gl  # (c, 1): the parts of coef that are constant along the row
            if g_ent is not None:
                const = const - ge * ent[s:e, None]
            if g_kl is not None:
                const = const - gk * kl[s:e, None]
            if fast:
                _fast_grad_x_chunk(ws, out, xr(s, e), yr, parts[:, s:e, None], const, ge, gk, s, e)
            else:
                flags = (g_ent is not None, g_kl is not None, bool(careful[s:e].any()))
                _grad_x_chunk(ws, out, zx, px, zy, const, ge, gk, *flags)
            if g_logp is not None:
                out.scatter_add_(1, t[s:e, None], gl.to(cd))
            if gx.dtype != cd:
                gx[s:e] = out
        if gy is not None:
            gc = torch.exp(zy, out=ws.get("c", c)).mul_(gk - gr)  # (c, V) q (g_kl - g_ref)
            if g_kl is not None:
                gc.addcmul_(px, -gk)  # dKL/dy = q - p
            if g_ref is not None:
                gc.scatter_add_(1, t[s:e, None], gr.to(cd))
            gy[s:e] = gc
    return (gx.view(x.shape) if need_x else None), (gy.view(y.shape) if need_y else None)


def _fast_grad_x_chunk(ws, out, xin, yr, pc, const, ge, gk, s, e):
    """``p * coef`` of a chunk without -inf logits, from the saved row max and log-sum ``pc``: with
    ``d = x - m``, ``coef = const - g_ent z + g_kl (z_x - z_y) = k + a d_x + b d_y`` for
    ``a = g_kl - g_ent``, ``b = -g_kl``, ``k = const - a log S_x - b log S_y``; ``1 / S_x`` folded
    in, the gradient is ``exp(d_x) * coef'``: two subtractions, one exp, two multiply-adds."""
    c = out.shape[0]
    dx = torch.sub(ws.cast("zin", xin), pc[0], out=ws.get("z", c))  # (c, V)
    ex = torch.exp(dx, out=ws.get("p", c))  # (c, V) = S_x softmax(x)
    inv = torch.exp(-pc[1])  # (c, 1) 1 / S_x
    a, b = gk - ge, -gk
    k = const - a * pc[1]
    if yr is not None and gk.dim():
        k = k - b * pc[3]
        coef = torch.addcmul(k * inv, dx, a * inv, out=ws.get("c", c))
        dy = torch.sub(ws.cast("win", yr(s, e)), pc[2], out=ws.get("w", c))  # (c, V)
        coef.addcmul_(dy, b * inv)
    elif ge.dim() or gk.dim():
        coef = torch.addcmul(k * inv, dx, a * inv, out=ws.get("c", c))
    else:  # log-probs only: coef is constant along the row
        coef = k * inv
    torch.mul(ex, coef, out=out)  # (c, V)


def _grad_x_chunk(ws, out, zx, px, zy, const, ge, gk, has_ent, has_kl, careful):
    """``p * coef`` of one chunk into ``out`` (c, V), the x-gradient but its one-hot part:
    ``coef = const - g_ent z + g_kl (z - z_ref)``, ``const = -g_logp - g_ent H - g_kl KL``."""
    c = out.shape[0]
    if not (has_ent or has_kl):
        coef = const
    elif not careful:
        coef = torch.addcmul(const, zx, gk - ge, out=ws.get("c", c))  # (c, V)
        if has_kl:
            coef.addcmul_(zy, -gk)
    else:  # some logits are -inf: clamp log p, and let p = 0 contribute 0
        zc = zx.clamp(min=LOG_FLOOR)
        coef = torch.addcmul(const, zc, -ge, out=ws.get("c", c))  # (c, V)
        if has_kl:
            coef.addcmul_((zc - zy).masked_fill_(px == 0, 0.0), gk)
    torch.mul(px, coef, out=out)  # (c, V)


def graph_backward(x, y, t, g_logp, g_ent, g_kl, g_ref):
    """The same gradients from differentiable (unchunked) torch ops, for second derivatives."""
    vocab = x.shape[-1]
    cd = V.compute_dtype(x.dtype, y.dtype if y is not None else x.dtype)
    zx = torch.log_softmax(x.reshape(-1, vocab).to(cd), dim=-1)  # (N, V)
    p = zx.exp()
    zc = zx.clamp(min=LOG_FLOOR)
    coef = torch.zeros((), dtype=cd, device=x.device)
    if g_logp is not None:
        coef = coef - g_logp[:, None]
    if g_ent is not None:
        coef = coef - g_ent[:, None] * (zc + (-(p * zc).sum(-1, keepdim=True)))
    gy = None
    if y is not None:
        zy = torch.log_softmax(y.reshape(-1, vocab).to(cd), dim=-1)  # (N, V)
        if g_kl is not None:
            d = (zc - zy).masked_fill(p == 0, 0.0)
            coef = coef + g_kl[:, None] * (d - (p * d).sum(-1, keepdim=True))
        gk = g_kl[:, None] if g_kl is not None else 0.0
        gr = g_ref[:, None] if g_ref is not None else 0.0
        gy = zy.exp() * (gk - gr) - gk * p
        if g_ref is not None:
            gy = gy.scatter_add(1, t[:, None], g_ref[:, None].to(cd))
        gy = gy.to(y.dtype).view(y.shape)
    gx = p * coef
    if g_logp is not None:
        gx = gx.scatter_add(1, t[:, None], g_logp[:, None].to(cd))
    return gx.to(x.dtype).view(x.shape), gy
