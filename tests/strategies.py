"""Hypothesis strategies for the core tests: small random logits, targets and masks.

Values come from a seeded ``torch.Generator`` (hypothesis draws the seed and the shapes), so
drawing is cheap and every example is reproducible. Logits are float64 so that identities can be
checked to ~1e-10.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from hypothesis import strategies as st


@dataclass
class Case:
    """One drawn example: logits (N, V), a second logits tensor, targets (N,), and a chunk size."""

    logits: torch.Tensor
    other: torch.Tensor
    targets: torch.Tensor
    chunk: int

    def __repr__(self) -> str:  # short, for hypothesis failure reports
        return f"Case(N={self.logits.shape[0]}, V={self.logits.shape[1]}, chunk={self.chunk})"


def _logits(gen: torch.Generator, n: int, v: int, scale: float, neg_inf: bool) -> torch.Tensor:
    x = torch.randn(n, v, generator=gen, dtype=torch.float64) * scale  # (N, V)
    if neg_inf and v > 1:
        drop = torch.rand(n, v, generator=gen) < 0.3  # (N, V)
        drop[torch.arange(n), torch.randint(0, v, (n,), generator=gen)] = False  # keep >= 1
        x = x.masked_fill(drop, float("-inf"))
    return x


@st.composite
def cases(draw, *, max_n: int = 6, max_v: int = 12, neg_inf: bool = False) -> Case:
    """Random logits pairs with targets; with ``neg_inf`` some logits are -inf (never a whole row)."""
    n = draw(st.integers(1, max_n))
    v = draw(st.integers(1, max_v))
    scale = draw(st.sampled_from([0.1, 1.0, 5.0, 30.0]))
    seed = draw(st.integers(0, 2**31 - 1))
    chunk = draw(st.integers(1, n + 2))
    gen = torch.Generator().manual_seed(seed)
    x = _logits(gen, n, v, scale, neg_inf)
    y = _logits(gen, n, v, scale, False)  # finite, so KL(x || y) stays finite
    t = torch.randint(0, v, (n,), generator=gen)
    if neg_inf:  # pick targets with non-zero probability
        t = torch.multinomial(torch.softmax(x, -1), 1, generator=gen).squeeze(-1)
    return Case(x, y, t, chunk)


shifts = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False)


@st.composite
def log_ratios(draw) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairs (logp, logq) of finite log-probabilities (shape (K,)) for the KL estimators."""
    k = draw(st.integers(1, 20))
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    logp = -torch.rand(k, generator=gen, dtype=torch.float64) * 20
    logq = -torch.rand(k, generator=gen, dtype=torch.float64) * 20
    return logp, logq


# ---------------------------------------------------------------- the robustness suite
# Dtypes, magnitudes, masks and shapes for every public core function (tests/core/test_robust_*).

INF = float("inf")
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
MASK_KINDS = ("bool", "long", "float")


def as_mask(keep: torch.Tensor, kind: str) -> torch.Tensor:
    """A bool ``keep`` as the mask type a caller might pass: bool, 0/1 long or 0./1. float."""
    return {"bool": keep, "long": keep.long(), "float": keep.float()}[kind]


@dataclass
class Batch:
    """One drawn example of per-token data.

    ``logits`` (*S, T, V) in ``dtype`` (the float64 values it was rounded from are ``exact``),
    ``targets`` (*S, T), ``keep`` a bool mask with at least one kept token per row, ``mask`` the same
    mask as bool/long/float, and ``scale`` the logits' standard deviation.
    """

    logits: torch.Tensor
    exact: torch.Tensor
    targets: torch.Tensor
    keep: torch.Tensor
    mask: torch.Tensor
    dtype: torch.dtype
    scale: float

    def __repr__(self) -> str:
        return f"Batch(shape={tuple(self.logits.shape)}, dtype={self.dtype}, scale={self.scale})"


@st.composite
def batches(
    draw,
    *,
    min_dims: int = 1,
    max_dims: int = 2,
    max_size: int = 4,
    max_v: int = 9,
    scales=(1e-3, 0.3, 3.0, 30.0),
    dtypes=FLOAT_DTYPES,
) -> Batch:
    """Logits with 1 to 3 batch dims (the last is T), any float dtype, every mask type."""
    dims = draw(st.integers(min_dims, max_dims))
    shape = tuple(draw(st.integers(1, max_size)) for _ in range(dims))
    v = draw(st.integers(1, max_v))
    dtype = draw(st.sampled_from(dtypes))
    scale = draw(st.sampled_from(scales))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    x = (torch.randn(*shape, v, generator=gen, dtype=torch.float64) * scale).to(dtype)
    t = torch.randint(0, v, shape, generator=gen)
    keep = torch.rand(shape, generator=gen) < draw(st.sampled_from([0.3, 0.7, 1.0]))
    keep[..., 0] |= ~keep.any(-1)  # at least one kept token per row
    return Batch(
        x, x.double(), t, keep, as_mask(keep, draw(st.sampled_from(MASK_KINDS))), dtype, scale
    )


@dataclass
class Rollout:
    """Per-token RL data: ``logp``, ``old_logp`` (B, T) in ``dtype``, advantages, mask, scores."""

    logp: torch.Tensor
    old_logp: torch.Tensor
    advantages: torch.Tensor
    keep: torch.Tensor
    mask: torch.Tensor
    scores: torch.Tensor
    dtype: torch.dtype

    def __repr__(self) -> str:
        return f"Rollout(shape={tuple(self.logp.shape)}, adv={tuple(self.advantages.shape)}, dtype={self.dtype})"


@st.composite
def rollouts(draw, *, dtypes=FLOAT_DTYPES, extreme: bool = False) -> Rollout:
    """(B, T) log-probs, per-token or per-sequence advantages, a mask, and sequence scores.

    With ``extreme``, some old log-probs are -90 or -inf (ratios that overflow fp32) and some
    log-ratios are large (|log r| up to 30).
    """
    b, t = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    dtype = draw(st.sampled_from(dtypes))
    spread = draw(st.sampled_from([0.01, 0.3, 3.0] + ([30.0] if extreme else [])))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    old = -torch.rand(b, t, generator=gen, dtype=torch.float64) * 10  # (B, T)
    lp = (old + torch.randn(b, t, generator=gen, dtype=torch.float64) * spread).clamp(max=0)
    if extreme:
        hit = torch.rand(b, t, generator=gen) < 0.3
        old = torch.where(hit, torch.where(torch.rand(b, t, generator=gen) < 0.5, -90.0, -INF), old)
    per_seq = draw(st.booleans())
    mag = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    adv = torch.randn(b, 1 if per_seq else t, generator=gen, dtype=torch.float64) * mag
    keep = torch.rand(b, t, generator=gen) < draw(st.sampled_from([0.5, 1.0]))
    keep[:, -1] |= ~keep.any(-1)  # at least one kept token per row
    scores = torch.randn(b, generator=gen, dtype=torch.float64) * mag
    mask = as_mask(keep, draw(st.sampled_from(MASK_KINDS)))
    return Rollout(lp.to(dtype), old.to(dtype), adv.to(dtype), keep, mask, scores.to(dtype), dtype)


# ---------------------------------------------------------------- near the dtype limits (issue 30)

LIMIT_DTYPES = (torch.float32, torch.float64)


@dataclass
class Extreme:
    """``values`` (B, T) in ``dtype`` with magnitudes near the dtype's maximum, near its smallest
    normal number, or both; ``keep`` a bool mask with a kept token in every row."""

    values: torch.Tensor
    keep: torch.Tensor
    dtype: torch.dtype
    where: str

    def __repr__(self) -> str:
        return f"Extreme(shape={tuple(self.values.shape)}, dtype={self.dtype}, where={self.where})"


@st.composite
def extremes(draw, *, signs: bool = True) -> Extreme:
    """Magnitudes from 5 % to 95 % of the dtype's maximum ("max"), a few times its smallest normal
    number ("tiny"), or a mix of both and ordinary numbers ("mixed"); fp32 and fp64."""
    b, t = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    dtype = draw(st.sampled_from(LIMIT_DTYPES))
    where = draw(st.sampled_from(["max", "tiny", "mixed"]))
    fi = torch.finfo(dtype)
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    u = torch.rand(b, t, generator=gen, dtype=torch.float64)
    big = (0.05 + 0.9 * u) * fi.max
    tiny = (1 + 7 * u) * fi.tiny
    if where == "max":
        x = big
    elif where == "tiny":
        x = tiny
    else:
        pick = torch.randint(0, 3, (b, t), generator=gen)
        x = torch.where(pick == 0, big, torch.where(pick == 1, tiny, u))
    if signs:
        x = torch.where(torch.rand(b, t, generator=gen) < 0.5, -x, x)
    keep = torch.rand(b, t, generator=gen) < draw(st.sampled_from([0.5, 1.0]))
    keep[:, 0] |= ~keep.any(-1)
    return Extreme(x.to(dtype), keep, dtype, where)
