"""What several checkers share: seeded inputs, the diagnoses of common slips, the moderate input."""

from __future__ import annotations

import math
from types import SimpleNamespace

import torch

LN2 = math.log(2.0)
_isclose = torch.isclose  # bound here: a learner rebinding torch.isclose does not reach it

H = SimpleNamespace(  # the diagnoses of common slips, shared by several checkers
    BITS="That is in bits (log base 2); the course measures in nats: use the natural log.",
    DIM="You normalised or reduced over the wrong dimension: the vocabulary is the LAST dimension "
    "(dim=-1); dim=0 or dim=1 is the last one only for some shapes.",
    OVERFLOW="exp() of large logits overflows: subtract the max first, or use torch.log_softmax / "
    "torch.logsumexp, which do that for you.",
    MASK_MUL="A masked-out position must contribute nothing even when its log-prob is -inf; "
    "multiplying by the mask gives 0 * (-inf) = NaN. Select with torch.where(mask, x, 0) instead.",
    FLOAT_MASK="Masks may come as bool or 0/1 numbers: convert with mask.bool().",
    WHERE_GRAD="torch.where(p > 0, p * logp, 0) (or nansum) still back-propagates NaN through the "
    "-inf branch it discards, where 0 * (-inf) is NaN: replace the -inf log-probs BEFORE "
    "multiplying, p * torch.where(p > 0, logp, 0) (the double where: a where inside the product "
    "as well).",
    KL_WHERE_GRAD="torch.where(p > 0, p * (logp - logq), 0) (or nansum) still back-propagates NaN "
    "through the -inf branch it discards, where 0 * (-inf) is NaN: make the terms finite BEFORE "
    "multiplying, p * torch.where(p > 0, logp - logq, 0) (the double where: a where inside the "
    "product as well).",
    GLOBAL_MAX="You subtracted one max for the whole tensor; each row needs its own max (over "
    "dim=-1, keepdim=True), or a row far below the top one underflows to exp(-huge) = 0. "
    "torch.log_softmax and torch.logsumexp do it per row.",
    HALF="float16 and bfloat16 keep about 3 digits: convert with .float() BEFORE log_softmax, not "
    "after it.",
    SHAPES="The statement says (..., V): any number of leading dimensions (none, or three). Work "
    "over dim=-1 and don't unpack a fixed number of dimensions.",
    PREFIX="The mask is not a prefix: it may have holes and left padding. Keep exactly the "
    "positions where it is True, not the first mask.sum() positions.",
    LOG_RATIO="exp() of a log-prob near -300 underflows to 0 in float32, so a ratio of "
    "probabilities is 0 / 0: form the ratio in log space, exp(logq - logp), and take logs of "
    "nothing.",
)

MODERATE = (8, 2000)  # (N, V): a moderate input on which a Python loop over V is clearly slow


def randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def randint(high: int, *shape: int, seed: int) -> torch.Tensor:
    return torch.randint(0, high, shape, generator=torch.Generator().manual_seed(seed))


def probs_logits(probs) -> torch.Tensor:
    """Logits whose softmax is the given probabilities (log p; a zero probability gives -inf)."""
    return torch.tensor(probs, dtype=torch.float32).log()


def scaled_rows(n: int, v: int, *, seed: int, spread: float = 100.0) -> torch.Tensor:
    """(n, v) logits whose rows lie at very different offsets (around 0, +900, -900) and spreads
    (up to ``spread`` times a standard normal)."""
    scale = torch.tensor([1.0, spread, 5.0, 0.6 * spread])[:n, None]
    shift = torch.tensor([0.0, 900.0, -900.0, 400.0])[:n, None]
    return randn(n, v, seed=seed) * scale + shift


def one_max_log_softmax(x: torch.Tensor) -> torch.Tensor:
    """The slip of a log-softmax with one max for the whole tensor (not per row)."""
    z = x.float() - x.float().max()  # float32, where exp(-400) underflows to 0, as in the slip
    return z - z.exp().sum(-1, keepdim=True).log()


def prefix_of(mask: torch.Tensor) -> torch.Tensor:
    """The slip of reading a mask as lengths: the first mask.sum(-1) positions of each row."""
    return torch.arange(mask.shape[-1]) < mask.bool().sum(-1, keepdim=True)


def close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Same shape and close everywhere; equal infinities count as close, NaN never does."""
    if a.shape != b.shape:
        return False
    return bool(_isclose(a.double(), b.double(), rtol=rtol, atol=atol).all())


def redraw(x, g: torch.Generator):
    """A fresh tensor of ``x``'s kind: same shape, dtype and non-finite entries; 0/1 masks and
    integer tensors (ids, labels) kept; probabilities stay in [0, 1], log-probabilities <= 0; other
    values drawn row by row (over the last dimension) with each row's mean and spread, and, when the
    values are moderate (all within +-10), the first row at 30 times its spread."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.numel() == 0:
        return x
    finite = torch.isfinite(x)
    vals = x[finite].double()
    if vals.numel() == 0 or ((vals == 0) | (vals == 1)).all():
        return x.clone()
    lo, hi = vals.min().item(), vals.max().item()
    noise = torch.randn(x.shape, generator=g, dtype=torch.float64)
    if lo >= 0 and hi <= 1:
        new = torch.rand(x.shape, generator=g, dtype=torch.float64) * (hi - lo) + lo
    else:
        rows = torch.where(finite, x.double(), torch.nan).reshape(-1, x.shape[-1] if x.dim() else 1)
        mean = rows.nanmean(-1, keepdim=True).nan_to_num(vals.mean().item())
        dev = (rows - mean).pow(2).nanmean(-1, keepdim=True).sqrt().nan_to_num(0.0)
        flat = max(vals.std().item(), 1.0) if vals.numel() > 1 else 1.0  # for a row of one value
        dev = torch.where(dev > 0, dev, torch.full_like(dev, flat))
        step = noise.reshape(rows.shape) * dev
        if max(abs(lo), abs(hi)) <= 10 and rows.shape[0] > 1:
            step[0] *= 30.0  # one row far from the others
        if hi <= 0:
            step = -step.abs()  # log-probabilities stay at or below their row's level
            mean = mean.clamp(max=0.0)
        new = (mean + step).reshape(x.shape)
    return torch.where(finite, new.to(x.dtype), x)
