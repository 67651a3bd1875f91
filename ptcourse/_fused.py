"""The optional compiled chunk kernel of the vocabulary engine (private; off unless asked for).

``compile=True`` or ``PTCOURSE_COMPILE=1`` makes :mod:`ptcourse._vocab` run each forward chunk
through ``torch.compile`` of :func:`_chunk`, which fuses the log-softmax, the exponential and the
row reductions into a few loops. Nothing is compiled on import or by default (it takes seconds; on
CPU it needs a C++ compiler). Rows the kernel returns as NaN (-inf logits) are redone by the eager
careful path, so results match the eager engine to rounding (about 1e-5 relative in fp32, tested).
"""

from __future__ import annotations

import functools

import torch

__all__: list[str] = []


def _chunk(xc, yc, tc, want_logp: bool, want_ent: bool, want_kl: bool, cd: torch.dtype):
    """(logp, H, ref_logp, KL) of one chunk, each (c,) or None, in plain torch ops."""
    zx = torch.log_softmax(xc.to(cd), dim=-1)  # (c, V)
    logp = zx.gather(1, tc).squeeze(1) if want_logp else None
    if not (want_ent or want_kl or yc is not None):
        return logp, None, None, None
    px = zx.exp()
    h = -(px * zx).sum(-1) if want_ent else None
    ref = k = None
    if yc is not None:
        zy = torch.log_softmax(yc.to(cd), dim=-1)
        ref = zy.gather(1, tc).squeeze(1) if want_logp else None
        if want_kl:
            k = (px * (zx - zy)).sum(-1).clamp(min=0.0)
    return logp, h, ref, k


@functools.cache
def _kernel():
    try:
        return torch.compile(_chunk, dynamic=True)
    except Exception as err:  # pragma: no cover - torch builds without dynamo
        raise RuntimeError(
            f"PTCOURSE_COMPILE / compile=True: torch.compile unavailable ({err})"
        ) from err


def fused_chunk(xc, yc, tc, want_logp, want_ent, want_kl, cd):
    """Run the compiled kernel on one chunk (compiled on first use, then cached by torch)."""
    try:
        return _kernel()(xc, yc, tc, want_logp, want_ent, want_kl, cd)
    except Exception as err:
        if type(err).__name__ in ("InductorError", "BackendCompilerFailed", "CppCompileError"):
            raise RuntimeError(
                "PTCOURSE_COMPILE / compile=True: torch.compile could not build the chunk kernel "
                f"(on CPU it needs a working C++ compiler): {err}"
            ) from err
        raise
