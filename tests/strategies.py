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
