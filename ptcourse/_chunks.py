r"""Chunking machinery of the vocabulary engine of :mod:`ptcourse._vocab` (private): chunk sizing
from the CPU cache, rows that never copy more than one chunk, reusable scratch buffers, and the
per-row NaN diagnosis.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch

__all__: list[str] = []

#: log-probabilities below this are clamped to it on the careful path: p = exp(z) = 0 exactly in
#: fp32 and fp64 there, so p * z is still exactly 0 -- never 0 * (-inf) = NaN.
LOG_FLOOR = -1.0e4
#: Bytes of cache one chunk's working set should fit in; None = the CPU's last-level cache
#: (tests set a small value to force many chunks).
CACHE_BYTES: int | None = None
_FALLBACK_CACHE = 32 * 2**20  # when sysfs does not tell (not Linux, containers without /sys)
#: The default budget in last-level caches. Entropy at N=1024, V=131072, fp32, 2-core EPYC (32 MiB
#: L3), time vs F.cross_entropy: 1.24x, 0.79x, 0.78x for 16, 32, 64 rows (1x to 3x the L3) at load
#: 1-2; 3.6x, 2.1x, 2.0x for budgets of 1x, 2x, 3x under load 11-18 (fewer, larger parallel regions
#: wait less for a descheduled thread). At 3x the forward buffers are 9-12 % of the logits (target:
#: 15 %).
WORKSET_FACTOR = 3
#: Floor on rows per chunk: small chunks multiply per-op overheads and the parallel regions that a
#: busy machine makes wait (measured: 2-row chunks were 3-5x slower than 32-row ones at V=131072).
MIN_ROWS_PER_THREAD = 8
#: On an accelerator the CPU cache says nothing: chunks of about 2**22 values (16 MiB in fp32, 3 %
#: of a (1024, 131072) logits tensor per buffer) keep the kernels large and the memory small.
DEVICE_CHUNK_ELEMENTS = 2**22


@functools.cache
def cache_bytes() -> int:
    """Size of the largest CPU data cache (last level), from sysfs; a 32 MiB fallback."""
    best = 0
    for d in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
        try:
            if (d / "type").read_text().strip() == "Instruction":
                continue
            size = (d / "size").read_text().strip().upper()
        except OSError:
            continue
        digits = size.rstrip("KMG")
        if digits.isdigit():
            best = max(best, int(digits) * {"K": 2**10, "M": 2**20, "G": 2**30}.get(size[-1:], 1))
    return best or _FALLBACK_CACHE


def default_chunk_rows(
    vocab: int, in_size: int, n_inputs: int = 1, n_buffers: int = 2, device: str = "cpu"
) -> int:
    """Rows per chunk so that one chunk's inputs (``in_size`` bytes per value) and buffers (4 bytes,
    8 for fp64 input) fit in cache, at least ``MIN_ROWS_PER_THREAD`` per torch thread; off the CPU,
    about ``DEVICE_CHUNK_ELEMENTS`` values per chunk."""
    if device != "cpu":
        return max(1, DEVICE_CHUNK_ELEMENTS // max(1, vocab))
    cd_size = 8 if in_size == 8 else 4
    per_row = max(1, vocab) * (n_inputs * in_size + n_buffers * cd_size)
    budget = CACHE_BYTES if CACHE_BYTES is not None else WORKSET_FACTOR * cache_bytes()
    floor = 1 if CACHE_BYTES is not None else MIN_ROWS_PER_THREAD * torch.get_num_threads()
    return max(1, floor, budget // per_row)


def spans(n: int, rows: int):
    """``(start, end)`` of each chunk of ``rows`` rows among ``n``."""
    return ((s, min(n, s + rows)) for s in range(0, n, rows))


class Rows:
    """Rows of logits ``(..., V)`` as if flattened to ``(N, V)``: a ``view`` when it can be, else
    (expanded, permuted) advanced indexing that copies only the rows asked for."""

    def __init__(self, x: torch.Tensor):
        self.x, self.vocab = x, x.shape[-1]
        self.n = x.numel() // self.vocab if self.vocab else 0
        try:
            self.flat: torch.Tensor | None = x.view(-1, self.vocab)  # (N, V)
        except RuntimeError:
            self.flat = None

    def take(self, idx: torch.Tensor) -> torch.Tensor:
        """Rows ``idx`` (a 1-D index tensor) as a new ``(len(idx), V)`` tensor."""
        if self.flat is not None:
            return self.flat[idx]
        return self.x[torch.unravel_index(idx, self.x.shape[:-1])]

    def __call__(self, s: int, e: int) -> torch.Tensor:
        """Rows ``s:e``: a view when the input is viewable, else a copy of those rows only."""
        if self.flat is not None:
            return self.flat[s:e]
        return self.take(torch.arange(s, e, device=self.x.device))


class Workspace:
    """Chunk-sized scratch buffers, allocated once per call and reused by every chunk (``out=``):
    re-allocating MiB-sized temporaries per chunk makes the allocator hand memory back to the OS
    and fault it in again, which costs more than the arithmetic."""

    def __init__(self, rows: int, vocab: int, dtype: torch.dtype, device: torch.device):
        self.shape, self.dtype, self.device = (rows, vocab), dtype, device
        self.bufs: dict[str, torch.Tensor] = {}

    def get(self, name: str, c: int) -> torch.Tensor:
        if name not in self.bufs:
            self.bufs[name] = torch.empty(self.shape, dtype=self.dtype, device=self.device)
        return self.bufs[name][:c]  # (c, V)

    def pair(self, c: int, ones: bool = False) -> torch.Tensor:
        """A ``(c, 2, V)`` buffer for ``_vocab._rowdots``; ``ones``: its second half holds 1."""
        name = "pair1" if ones else "pair"
        if name not in self.bufs:
            rows, vocab = self.shape
            self.bufs[name] = torch.empty(rows, 2, vocab, dtype=self.dtype, device=self.device)
            if ones:
                self.bufs[name][:, 1].fill_(1.0)
        return self.bufs[name][:c]  # (c, 2, V)

    def cast(self, name: str, src: torch.Tensor) -> torch.Tensor:
        """``src`` contiguous in the compute dtype: itself when it already is, else a chunk copy."""
        if src.dtype == self.dtype and src.is_contiguous():
            return src
        return self.get(name, src.shape[0]).copy_(src)


def row_problem(rows: Rows, name: str, bad_rows: torch.Tensor) -> str:
    """Why rows produced NaN ("" when the input looks fine)."""
    idx = bad_rows[:8]
    xb = rows.take(idx).float()  # (<=8, V)
    where = f"row {int(idx[0])} of {rows.n} flattened rows"
    if bool(torch.isnan(xb).any()):
        return f"'{name}' contains NaN ({where})"
    if bool(torch.isposinf(xb).any()):
        return f"'{name}' contains +inf ({where})"
    if bool(torch.isneginf(xb).all(dim=-1).any()):
        return (
            f"'{name}' has a row whose logits are all -inf (row {int(idx[0])}): "
            "softmax puts no mass anywhere"
        )
    return ""


def nan_rows(outs, n: int, device: torch.device) -> torch.Tensor:
    """(n,) bool: the rows where a per-row result of ``outs`` (None or empty: none) is NaN."""
    bad = torch.zeros(n, dtype=torch.bool, device=device)
    for o in outs:
        if o is not None and o.numel():
            bad |= torch.isnan(o.reshape(-1))
    return bad


def check_rows(outs, xr: Rows, x_name: str, yr: Rows | None, y_name: str) -> None:
    """Raise a ValueError naming the argument and row when any per-row result is NaN."""
    bad = nan_rows(outs, xr.n, xr.x.device)
    if not bool(bad.any()):
        return
    idx = bad.nonzero().flatten()
    msg = row_problem(xr, x_name, idx)
    if not msg and yr is not None:
        msg = row_problem(yr, y_name, idx)
    if not msg:  # pragma: no cover - defensive
        msg = f"'{x_name}' produced NaN in rows {idx[:8].tolist()}"
    raise ValueError(msg + f"; shape {tuple(xr.x.shape)} (flattened to (N, V))")


def refuse_functorch(fn: str) -> None:
    """torch.func transforms cannot see through the custom autograd Function: say so by name."""
    if torch._C._are_functorch_transforms_active():
        raise RuntimeError(
            f"ptcourse.{fn} does not support torch.func transforms (vmap, grad, jacrev, jvp, ...): "
            "it runs a chunked custom autograd function. Call it on the batch directly (it accepts "
            "any leading shape) and use torch.autograd.grad for derivatives."
        )
