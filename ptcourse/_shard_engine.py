r"""The autograd function of ``ptcourse.parallel``: row sums over a sharded vocabulary (private).

Forward, chunk by chunk: one all-reduce MAX of the row maxima, one all-reduce SUM of the row sums;
it saves O(N) row quantities. Backward recomputes each chunk's :math:`z = x - M - \log S` and
needs no communication.
"""

from __future__ import annotations

import torch

from . import _validate as V
from ._chunks import LOG_FLOOR, Rows, spans
from ._shard_comm import all_reduce

__all__: list[str] = []


class ShardStats(torch.autograd.Function):
    """Sharded statistics of ``x`` (..., V_r) and optionally ``y``. ``t_local`` (N,) holds
    ``t - vocab_start`` where this rank owns the target, -1 elsewhere (other ranks' tokens, ignored
    positions); ``keep`` marks the positions not ignored."""

    @staticmethod
    def forward(ctx, x, y, t_local, keep, want, rows, group):
        ctx.set_materialize_grads(False)  # an output nobody used gets None, not zeros
        want_logp, want_ent, want_kl = want
        xr, yr = Rows(x), (Rows(y) if y is not None else None)
        n = xr.n
        cd = V.compute_dtype(x.dtype, y.dtype if y is not None else x.dtype)
        # the row maxima of both inputs: one all-reduce MAX of (1 or 2, N)
        mx = x.new_empty(2 if y is not None else 1, n, dtype=cd)
        for s, e in spans(n, rows):
            mx[0, s:e] = xr(s, e).amax(dim=-1)
            if y is not None:
                mx[1, s:e] = yr(s, e).amax(dim=-1)
        all_reduce(mx, "max", group)
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
        for s, e in spans(n, rows):
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
        all_reduce(sums, "sum", group)
        empty = x.new_empty(0, dtype=cd)
        lsx = sums[at["sx"]].log()  # (N,)
        lsy = sums[at["sy"]].log() if y is not None else empty
        logp = ent = kl = ref = empty
        if want_logp:
            logp = sums[at["dt"]] - lsx
        if want_ent:
            ent = lsx - sums[at["ed"]] / sums[at["sx"]]
        if y is not None and want_kl:
            kl = (sums[at["ediff"]] / sums[at["sx"]] - lsx + lsy).clamp(min=0.0)
        if y is not None and want_logp:
            ref = sums[at["dyt"]] - lsy
        if keep is not None and want_logp:  # ignored positions: log-prob 0
            logp = torch.where(keep, logp, 0.0)
            ref = torch.where(keep, ref, 0.0) if y is not None else ref
        ctx.rows, ctx.cd = rows, cd
        my = mx[1] if y is not None else empty
        ctx.save_for_backward(x, y, t_local, keep, mx[0], lsx, my, lsy, ent, kl)
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
        for s, e in spans(n, rows):
            zx = xr(s, e).to(cd) - mx[s:e, None] - lsx[s:e, None]  # (c, V_r) log p
            px = zx.exp()
            zy = None
            if y is not None and (g_kl is not None or need_y):
                zy = yr(s, e).to(cd) - my[s:e, None] - lsy[s:e, None]  # (c, V_r) log q
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
                    gc.scatter_add_(1, idx, torch.where(mine, g_logp[s:e, None].to(cd), 0.0))
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
        gx, gy = (gx.view(x.shape) if need_x else None), (gy.view(y.shape) if need_y else None)
        return gx, gy, None, None, None, None, None
