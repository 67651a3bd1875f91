r"""The checker of chapter 5, the spread: entropy: the sign, the dimension, 0 log 0 = 0 and its gradient."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ._common import (
    H_BITS,
    H_DIM,
    H_GLOBAL_MAX,
    H_OVERFLOW,
    H_SHAPES,
    H_WHERE_GRAD,
    LN2,
    MODERATE,
    global_max_log_softmax,
    scaled_rows,
)
from ._common import randn as _randn
from ._report import fmt
from .harness import Check, CheckResult, run


def _entropy_over(logits: torch.Tensor, dim: int) -> torch.Tensor:
    """The slip of normalising over ``dim`` and summing over the last one."""
    lp = torch.log_softmax(logits, dim)
    return -(lp.exp() * lp).sum(-1)


def _entropy_of(lp: torch.Tensor) -> torch.Tensor:
    p = lp.exp()
    return -(p * torch.where(p > 0, lp, 0)).sum(-1)


def entropy(fn: Callable, *, seed: int | None = None) -> CheckResult:
    r"""Check ``entropy(logits)``: the entropy over the last dimension, in nats, with 0 log 0 = 0.

    .. math::

        H(p) = -\sum_{v} p_v \log p_v

    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.entropy(ptcourse.entropy).passed  # the reference passes
    ✓ entropy: correct -- all ... checks passed.
    True
    """

    def body(c: Check) -> None:
        logits = torch.tensor([[2.0, 0.0, -1.0], [0.3, 0.2, 0.1]])  # (N=2, V=3)
        where = f"logits={fmt(logits)}"
        got = c.call(where, logits)
        want = c.ref(logits)
        mistakes = (
            (lambda: _entropy_over(logits, 0), H_DIM),
            (lambda: -want, "Entropy is -sum p log p: you forgot the minus sign."),
            (lambda: want / LN2, H_BITS),
        )
        in_range = ((got >= -1e-6) & (got <= math.log(3) + 1e-5)) | got.isnan()
        if got.shape == want.shape and not bool(in_range.all()):
            c.expect(got, want, where, what="entropy", mistakes=mistakes,
                     hint="The entropy of a distribution over V tokens lies between 0 and log V "
                     "(here log 3 = 1.099).")  # fmt: skip
        c.checks.append("0 <= H <= log V")
        c.expect(got, want, where, what="entropy", mistakes=mistakes,
                 shape_hint="One entropy per row: sum over the last dimension only.")  # fmt: skip

        uni = torch.zeros(1, 4)  # (N=1, V=4): uniform
        c.case("uniform logits=[[0, 0, 0, 0]] (p = 1/4 each)", (uni,), what="entropy",
               shape_hint="One entropy per distribution: sum over the last dimension only.",
               mistakes=((lambda: torch.tensor([2.0]), H_BITS),),
               hint="A uniform distribution over V tokens has entropy log V.")  # fmt: skip

        x3 = _randn(2, 3, 4, seed=15)  # (B, T, V)
        c.case("random logits of shape (2, 3, 4)", (x3,), what="entropy",
               mistakes=((lambda: _entropy_over(x3, 0), H_DIM),
                         (lambda: _entropy_over(x3, 1), H_DIM)))  # fmt: skip

        neg = torch.tensor([[0.0, -math.inf, 0.0], [-math.inf, 5.0, -math.inf]])
        c.case(f"logits={fmt(neg)} (p = [0.5, 0, 0.5] and [0, 1, 0])", (neg,), what="entropy",
               nan_hint="A zero-probability token contributes 0 (0 * log 0 = 0), "
               "but 0 * (-inf) is NaN in floating point: zero those terms out.")  # fmt: skip
        big = torch.tensor([[1000.0, 0.0, -1000.0]])
        c.case(f"large logits={fmt(big)}", (big,), what="entropy", nan_hint=H_OVERFLOW,
               inf_hint=H_OVERFLOW)  # fmt: skip

        rows = scaled_rows(4, 5, seed=54)
        c.case(f"logits of shape (4, 5) whose rows are at very different scales: {fmt(rows, 4)}",
               (rows,), what="entropy", nan_hint=H_OVERFLOW, inf_hint=H_GLOBAL_MAX, mistakes=(
            (lambda: _entropy_of(global_max_log_softmax(rows)), H_GLOBAL_MAX),))  # fmt: skip
        for shape in ((5,), (2, 1, 3, 5)):
            c.case(f"random logits of shape {shape}", (_randn(*shape, seed=55),), what="entropy",
                   call_hint=H_SHAPES, shape_hint=H_SHAPES, hint=H_SHAPES)  # fmt: skip
        x = torch.tensor([[0.0, -math.inf, 1.0]])
        c.gradient("logits=[[0, -inf, 1]]", (x,), wrt=("logits",), what="entropy",
                   nan_hint=H_WHERE_GRAD)  # fmt: skip
        c.gradient("random logits of shape (2, 3, 4)", (x3,), wrt=("logits",), what="entropy")
        c.speed(f"logits of shape {MODERATE}", (_randn(*MODERATE, seed=28),))

    return run("entropy", fn, "entropy", body, seed)
