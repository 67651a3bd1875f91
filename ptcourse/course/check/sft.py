r"""The checker of chapter 2's SFT loss: the causal shift, ``ignore_index`` and the two averages."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._common import H_BITS, H_OVERFLOW, LN2, MODERATE, scaled_rows
from ._common import randint as _randint
from ._common import randn as _randn
from ._report import fmt
from .harness import Check, CheckResult, run

MUSTS = {"sft_loss": {"no label": "a row that keeps no label does not make average='sequence' NaN"}}

_SHIFT = "logits[:, :-1] predict labels[:, 1:]"


def _loss_of(lg, lb, avg, ign=-100, keep_all=False):
    """A learner-style loss, for recognising mistakes: ``avg`` is token, sequence or all."""
    k = torch.ones_like(lb, dtype=torch.bool) if keep_all else lb != ign
    nll = -torch.log_softmax(lg, -1).gather(-1, lb.clamp(min=0)[..., None])[..., 0]
    nll = torch.where(k, nll, 0)
    if avg == "token":
        return nll.sum() / k.sum()
    if avg == "sequence":
        return (nll.sum(-1) / k.sum(-1)).mean()
    return nll.sum() / k.numel()  # "all": divides by every position


def sft_loss(fn: Callable, *, seed: int | None = None) -> CheckResult:
    r"""Check ``sft_loss(logits, labels, *, ignore_index=-100, average="token")``: shifted, masked NLL.

    .. math::

        \mathcal{L}_\mathrm{SFT} = -\frac{1}{|K|} \sum_{(b,t) \in K} \log p_\theta(y_{b,t+1} \mid y_{b,\le t})

    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.sft_loss(ptcourse.sft_loss).passed  # the reference passes
    ✓ sft_loss: correct -- all ... checks passed.
    True
    """

    def body(c: Check) -> None:
        V = 6
        logits, ids = _randn(2, 5, V, seed=7), _randint(V, 2, 5, seed=8)  # (B=2, T=5, V), (B, T)
        keep = torch.tensor([[False, False, True, True, True], [False, True, True, False, False]])
        labels = torch.where(keep, ids, -100)  # prompt and padding -> -100
        lg, lb = logits[:, :-1], labels[:, 1:]

        where = f"random logits of shape (2, 5, {V}), labels={fmt(labels)}"
        hint_ign = "Positions whose label is ignore_index (-100) must be skipped, not looked up."
        got = c.call(where, logits, labels, hint=hint_ign)
        c.require("a scalar", got.dim() == 0, f"your SFT loss is of shape {tuple(got.shape)}", where,
                  why="It is one number: the mean over the kept tokens.")  # fmt: skip
        want = c.ref(logits, labels)
        c.require("never negative", not float(got) < 0, "your SFT loss is negative", where,
                  got=fmt(got), want=fmt(want),
                  why="It is a mean negative log-likelihood, so it is never negative.")  # fmt: skip
        c.expect(got, want, where, what="SFT loss", mistakes=(
            (lambda: _loss_of(logits, labels, "token"), "You forgot the causal shift: the logits "
             f"at position t predict the token at t + 1, so {_SHIFT}."),
            (lambda: _loss_of(logits[:, 1:], labels[:, :-1], "token"),
             f"The shift goes the other way: {_SHIFT}."),
            (lambda: _loss_of(logits[:, :-2], labels[:, 2:], "token"),
             f"You shifted by two positions; shift by one: {_SHIFT}."),
            (lambda: _loss_of(lg, lb, "token", keep_all=True), "You forgot the mask: labels equal "
             "to ignore_index (the prompt and the padding) must not count in the loss."),
            (lambda: _loss_of(lg, lb, "sequence"), "With average='token' take the mean over all "
             "kept tokens of the batch, not the mean of per-sequence means."),
            (lambda: _loss_of(lg, lb, "all"),
             "Divide by the number of kept labels, not by all positions."),
            (lambda: want / LN2, H_BITS),
        ))  # fmt: skip

        c.case(where + ", average='sequence'", (logits, labels), {"average": "sequence"},
               what="SFT loss", call_hint=hint_ign, mistakes=(
            (lambda: _loss_of(lg, lb, "token"), "With average='sequence' first take each "
             "sequence's mean over its kept tokens, then the mean over sequences (you used the "
             "token average)."),
        ))  # fmt: skip

        labels_m1 = torch.where(keep, ids, -1)
        hint_i = "Use the ignore_index argument rather than a hard-coded -100."
        c.case(f"ignore_index=-1, labels={fmt(labels_m1)}", (logits, labels_m1),
               {"ignore_index": -1}, what="SFT loss", call_hint=hint_i, hint=hint_i)  # fmt: skip

        empty = labels.clone()
        empty[1] = -100  # the second row keeps no label
        c.case(f"average='sequence', labels={fmt(empty)} (the second row keeps no label)",
               (logits, empty), {"average": "sequence"}, what="SFT loss",
               nan_hint="A row that keeps no label has 0 / 0 as its mean: leave such rows out of "
               "the average over sequences (the exercise says the loss must not be NaN).")  # fmt: skip
        c.checks.append(MUSTS["sft_loss"]["no label"])

        # ignore_index a real token id (3), several answer spans, a first label that is kept
        lg8 = _randn(2, 8, V, seed=53)
        real = torch.tensor([[2, 0, 3, 3, 1, 4, 3, 5], [1, 5, 4, 3, 3, 2, 0, 3]])
        flat = _loss_of(lg8.reshape(16, V)[:-1][None], real.reshape(16)[1:][None], "token", ign=3)
        c.case(f"ignore_index=3 (a real token id), labels={fmt(real)} (several answer spans; "
               "the second row's first label is kept)", (lg8, real), {"ignore_index": 3},
               what="SFT loss", call_hint=hint_i, mistakes=(
            (lambda: _loss_of(lg8[:, :-1], real[:, 1:], "token", ign=-1), "Skip exactly the "
             "labels equal to ignore_index (here 3, a real token id): labels >= 0 or "
             "labels != -100 is not the same test."),
            (lambda: flat, "Shift within each row: logits[:, :-1] predict labels[:, 1:]. "
             "Flattening the batch first makes the last position of one row predict the first "
             "label of the next."),
            (lambda: _loss_of(lg8[:, 1:], real[:, :-1], "token", ign=3),
             f"The shift goes the other way: {_SHIFT}."),
        ), hint="Keep every label that is not ignore_index, wherever it is: a row may hold "
               "several answer spans.")  # fmt: skip
        c.gradient(where, (logits, labels), wrt=("logits",), what="SFT loss")
        c.gradient(where + ", average='sequence'", (logits, labels), {"average": "sequence"},
                   wrt=("logits",), what="SFT loss")  # fmt: skip
        wide = torch.stack([scaled_rows(4, V, seed=65), scaled_rows(4, V, seed=66)])  # (2, 4, V)
        unlikely = torch.cat([torch.full((2, 1), -100), wide[:, :-1].argmin(-1)], 1)  # (2, 4)
        c.case(f"logits whose rows are at very different scales (up to +-900), labels="
               f"{fmt(unlikely)} (each the least likely token)", (wide, unlikely), what="SFT loss",
               nan_hint=H_OVERFLOW, inf_hint=H_OVERFLOW, hint=H_OVERFLOW)  # fmt: skip
        big = _randn(4, 3, MODERATE[1], seed=26)  # (B, T, V)
        c.speed(f"logits of shape {tuple(big.shape)}", (big, _randint(MODERATE[1], 4, 3, seed=27)))

    return run("sft_loss", fn, "SFT loss", body, seed)
