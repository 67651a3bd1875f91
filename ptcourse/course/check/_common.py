"""What several checkers share: seeded inputs, the diagnoses of common slips, the moderate input."""

from __future__ import annotations

import math

import torch

LN2 = math.log(2.0)

H_BITS = "That is in bits (log base 2); the course measures in nats: use the natural log."
H_DIM = (
    "You normalised or reduced over the wrong dimension: the vocabulary is the LAST dimension "
    "(dim=-1); dim=0 or dim=1 is the last one only for some shapes."
)
H_OVERFLOW = (
    "exp() of large logits overflows: subtract the max first, or use torch.log_softmax / "
    "torch.logsumexp, which do that for you."
)
H_MASK_MUL = (
    "A masked-out position must contribute nothing even when its log-prob is -inf; "
    "multiplying by the mask gives 0 * (-inf) = NaN. Select with torch.where(mask, x, 0) instead."
)
H_FLOAT_MASK = "Masks may come as bool or 0/1 numbers: convert with mask.bool()."
H_WHERE_GRAD = (
    "torch.where(p > 0, p * logp, 0) still back-propagates NaN through the -inf branch: replace "
    "the -inf log-probs BEFORE multiplying, e.g. logp.masked_fill(p == 0, 0)."
)

MODERATE = (8, 2000)  # (N, V): a moderate input on which a Python loop over V is clearly slow


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(*shape: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=gen(seed)) * scale


def randint(high: int, *shape: int, seed: int) -> torch.Tensor:
    return torch.randint(0, high, shape, generator=gen(seed))


def probs_logits(probs) -> torch.Tensor:
    """Logits whose softmax is the given probabilities (log p; a zero probability gives -inf)."""
    return torch.tensor(probs, dtype=torch.float32).log()


def logp_of(logits: torch.Tensor, targets: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log_softmax over ``dim``, gathered at the targets: a learner's token log-probs (or a slip)."""
    return torch.log_softmax(logits, dim).gather(-1, targets[..., None])[..., 0]


def close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Same shape and close everywhere; equal infinities count as close, NaN never does."""
    if a.shape != b.shape:
        return False
    return bool(torch.isclose(a.double(), b.double(), rtol=rtol, atol=atol).all())
