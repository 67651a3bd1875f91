r"""Checkers of chapters 1 and 2: token log-probs, sequence log-probs, cross-entropy, SFT loss.

Each takes the learner's function (the signature of the ptcourse function of that name), prints one
line and returns a :class:`~ptcourse.course.check.CheckResult`; a wrong answer raises
:class:`~ptcourse.course.check.CheckFailed` naming the mistake.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ._common import LN2, MODERATE, H, one_max_log_softmax, prefix_of, randint, randn, scaled_rows
from ._report import fmt
from .harness import Check, checker

MUSTS = {
    "token_logprobs": {"float32": "the result is float32 even for half-precision logits"},
    "sft_loss": {"no label": "a row that keeps no label does not make average='sequence' NaN"},
}
_H_UNDERFLOW = "log(softmax(x)) underflows to log(0) = -inf"


def logp_of(logits: torch.Tensor, targets: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log_softmax over ``dim``, gathered at the targets: a learner's token log-probs (or a slip)."""
    return torch.log_softmax(logits, dim).gather(-1, targets[..., None])[..., 0]


def _seq_probes(c: Check, what: str, reduce: Callable) -> None:
    """Probes shared by sequence_logprob and cross_entropy: a mask with holes and left padding,
    a kept token of log-prob -inf, rows at very different scales, four dimensions."""
    lg, tg = randn(2, 4, 5, seed=46), randint(5, 2, 4, seed=47)
    holes = torch.tensor([[False, True, True, False], [True, False, True, True]])
    c.case(f"random logits of shape (2, 4, 5), a mask with holes and left padding "
           f"{fmt(holes.int())}", (lg, tg, holes), what=what, hint=H.PREFIX, mistakes=(
        (lambda: reduce(logp_of(lg, tg), prefix_of(holes)), H.PREFIX),))  # fmt: skip
    kept = lg.clone()
    kept[0, 1, tg[0, 1]] = -math.inf  # a KEPT target the model gives probability 0
    c.case(f"the kept target at [0, 1] has logit -inf, mask={fmt(holes.int())}",
           (kept, tg, holes), what=what,
           hint="A kept token of probability 0 makes the result infinite: the data is "
           "impossible under the model. Don't clamp or nan_to_num it away.")  # fmt: skip
    big = torch.stack([scaled_rows(3, 5, seed=48), scaled_rows(3, 5, seed=49)])  # (2, 3, 5)
    tb = randint(5, 2, 3, seed=50)
    c.case(f"logits of shape (2, 3, 5) at very different scales per position (up to +-900, "
           f"spread 100): {fmt(big[0], 4)}", (big, tb), what=what, nan_hint=H.OVERFLOW,
           inf_hint=f"{_H_UNDERFLOW} for a token far below the top one. {H.OVERFLOW}")  # fmt: skip
    l4, t4 = randn(2, 1, 3, 5, seed=51), randint(5, 2, 1, 3, seed=52)
    c.shapes("random logits of shape (2, 1, 3, 5), targets of shape (2, 1, 3)", (l4, t4), what)


@checker("log-probabilities")
def token_logprobs(c: Check) -> None:
    r"""Check ``token_logprobs(logits, targets, *, chunk_size=None)``: log softmax(logits)[targets].

    :math:`\log p(y) = z_y - \log \sum_{v=1}^{V} e^{z_v}`

    >>> import ptcourse
    >>> token_logprobs(ptcourse.token_logprobs).passed  # the reference passes
    ✓ token_logprobs: correct -- all ... checks passed.
    True
    """
    logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]])  # (N=2, V=3)
    targets = torch.tensor([0, 2])
    where = f"logits={fmt(logits)}, targets={fmt(targets)}"
    got = c.call(where, logits, targets)
    want = c.ref(logits, targets)
    c.require("one log-prob per target", got.shape == want.shape,
              f"your log-probabilities are of shape {tuple(got.shape)}, expected "
              f"{tuple(want.shape)}", where,
              why="One log-prob per target (did you forget .squeeze(-1) after "
              "gather?).")  # fmt: skip
    c.require("never positive", bool(((got <= 1e-6) | got.isnan()).all()),
              "your log-probabilities include a positive value", where, got=fmt(got),
              why="A log-probability is never positive, because a probability is at "
              "most 1.")  # fmt: skip
    probs = torch.softmax(logits, -1).gather(-1, targets[:, None])[:, 0]
    c.expect(got, want, where, mistakes=(
        (lambda: logp_of(logits, targets, 0), H.DIM),
        (lambda: want / LN2, H.BITS),
        (lambda: probs, "Those are probabilities; return their log (log-probabilities)."),
    ))  # fmt: skip

    logits3, targets3 = randn(2, 4, 6, seed=1), randint(6, 2, 4, seed=2)  # (B, T, V), (B, T)
    where3 = "random logits of shape (2, 4, 6) and targets of shape (2, 4)"
    c.case(where3, (logits3, targets3),
           shape_hint="The result has the targets' shape: one log-prob per target token.",
           mistakes=((lambda: logp_of(logits3, targets3, 0), H.DIM),
                     (lambda: logp_of(logits3, targets3, 1), H.DIM)))  # fmt: skip

    big, big_t = torch.tensor([[1000.0, 0.0, -1000.0]] * 2), torch.tensor([0, 2])
    c.case(f"large logits={fmt(big)}, targets={fmt(big_t)}", (big, big_t), nan_hint=H.OVERFLOW,
           inf_hint=f"{_H_UNDERFLOW}. {H.OVERFLOW}")  # fmt: skip

    neg, neg_t = torch.tensor([[0.0, -math.inf, 1.0]] * 2), torch.tensor([0, 1])
    c.case(f"logits={fmt(neg)} with a -inf (banned token), targets={fmt(neg_t)}", (neg, neg_t),
           nan_hint="A -inf logit is a token with probability 0: its log-prob is -inf, "
           "and the other tokens are unaffected.")  # fmt: skip

    half = logits.half()
    where_h = f"float16 logits={fmt(half)}, targets={fmt(targets)}"
    got_h = c.call(where_h, half, targets)
    c.require(MUSTS["token_logprobs"]["float32"], got_h.dtype == torch.float32,
              f"your token_logprobs returned {got_h.dtype} for float16 logits", where_h,
              why="The exercise says the result must be float32 even for half-precision logits: "
              "call logits.float() before log_softmax (float16 keeps about 3 digits).")  # fmt: skip
    for low in (torch.float16, torch.bfloat16):  # the values too, not only the dtype
        lo, lt = (randn(3, 7, seed=42) * 3).to(low), randint(7, 3, seed=43)
        c.case(f"random {low} logits of shape (3, 7)", (lo, lt), hint=H.HALF, mistakes=(
            (lambda lo=lo, lt=lt: logp_of(lo, lt).float(), H.HALF),))  # fmt: skip

    rows, rt = scaled_rows(4, 5, seed=40), randint(5, 4, seed=41)
    c.case(f"logits of shape (4, 5) whose rows are at very different scales: {fmt(rows, 4)}, "
           f"targets={fmt(rt)}", (rows, rt), nan_hint=H.OVERFLOW, inf_hint=H.GLOBAL_MAX,
           mistakes=((lambda: one_max_log_softmax(rows).gather(-1, rt[:, None])[:, 0],
                      H.GLOBAL_MAX),))  # fmt: skip
    for shape in ((5,), (2, 1, 3, 5), (1, 1, 5)):
        lg_s, tg_s = randn(*shape, seed=44), randint(5, *shape[:-1], seed=45)
        c.shapes(f"random logits of shape {shape}, targets of shape {shape[:-1]}", (lg_s, tg_s))
    c.gradient(where3, (logits3, targets3), wrt=("logits",))
    lg, tg = randn(*MODERATE, seed=20), randint(MODERATE[1], MODERATE[0], seed=21)
    c.speed(f"logits of shape {MODERATE}", (lg, tg))


@checker("sequence log-probabilities")
def sequence_logprob(c: Check) -> None:
    r"""Check ``sequence_logprob(logits, targets, mask=None)``: the sum of the kept token log-probs.

    :math:`\log p(y_{1:T}) = \sum_{t=1}^{T} m_t \log p(y_t \mid y_{<t})`

    >>> import ptcourse
    >>> sequence_logprob(ptcourse.sequence_logprob).passed  # the reference passes
    ✓ sequence_logprob: correct -- all ... checks passed.
    True
    """
    logits, targets = randn(2, 3, 4, seed=3), randint(4, 2, 3, seed=4)  # (B, T, V), (B, T)
    lp = logp_of(logits, targets)  # (B, T)
    inputs = "random logits of shape (2, 3, 4), targets of shape (2, 3)"
    want = c.ref(logits, targets)
    c.case(f"{inputs}, mask=None", (logits, targets),
           shape_hint="One number per sequence: sum over the last (time) dimension only.",
           mistakes=((lambda: lp.mean(-1), "A sequence's log-probability is the SUM of its "
                      "token log-probs (the log of a product of probabilities), not their mean."),
                     (lambda: want / LN2, H.BITS)))  # fmt: skip

    mask = torch.tensor([[True, True, False], [True, False, False]])
    where_m = f"{inputs}, mask={fmt(mask.int())}"
    c.case(where_m, (logits, targets, mask), mistakes=(
        (lambda: lp.sum(-1), "You ignored the mask: leave out positions where it is False."),
        (lambda: torch.where(~mask, lp, 0).sum(-1),
         "The mask is the wrong way round: True (1) means keep the token."),
        (lambda: torch.where(mask, lp, 0).sum(-1) / mask.sum(-1),
         "A sequence's log-probability is the SUM of its kept token log-probs, not their mean."),
    ))  # fmt: skip

    ninf = logits.clone()
    ninf[0, 2, targets[0, 2]] = -math.inf  # the masked-out position has log-prob -inf
    c.case("the masked-out target at [0, 2] has logit -inf, mask=" + fmt(mask.int()),
           (ninf, targets, mask), nan_hint=H.MASK_MUL)  # fmt: skip
    mask01 = mask.to(torch.float32)
    c.case(f"{inputs}, a 0/1 float mask={fmt(mask01)}", (logits, targets, mask01),
           call_hint=H.FLOAT_MASK, hint=H.FLOAT_MASK)  # fmt: skip
    _seq_probes(c, "sequence log-probabilities", lambda lp, m: torch.where(m, lp, 0).sum(-1))
    c.gradient(where_m, (logits, targets, mask), wrt=("logits",))
    lg = randn(4, 2, MODERATE[1], seed=22)  # (B, T, V)
    c.speed(f"logits of shape {tuple(lg.shape)}", (lg, randint(MODERATE[1], 4, 2, seed=23)))


@checker("cross-entropy")
def cross_entropy(c: Check) -> None:
    r"""Check ``cross_entropy(logits, targets, mask=None)``: the mean NLL over the kept tokens.

    :math:`\mathrm{CE} = -\frac{1}{\sum_t m_t} \sum_t m_t \log p(y_t)`

    >>> import ptcourse
    >>> cross_entropy(ptcourse.cross_entropy).passed  # the reference passes
    ✓ cross_entropy: correct -- all ... checks passed.
    True
    """
    logits, targets = randn(2, 3, 5, seed=5), randint(5, 2, 3, seed=6)  # (B, T, V), (B, T)
    nll = -logp_of(logits, targets)  # (B, T)
    inputs = "random logits of shape (2, 3, 5), targets of shape (2, 3)"
    where = f"{inputs}, mask=None"
    got = c.call(where, logits, targets)
    c.scalar(got, where, "It is one number (a scalar): the mean over all tokens.")
    want = c.ref(logits, targets)
    c.never_negative(got, where, "Cross-entropy is never negative: it is the mean NEGATIVE "
                     "log-likelihood.", want)  # fmt: skip
    c.expect(got, want, where, mistakes=(
        (lambda: nll.sum(), "Average over the tokens (mean), don't sum."),
        (lambda: want / LN2, H.BITS),
        (lambda: -logp_of(logits, targets, 0).mean(), H.DIM),
        (lambda: -logp_of(logits, targets, 1).mean(), H.DIM),
    ))  # fmt: skip
    c.expect(got, F.cross_entropy(logits.reshape(-1, 5), targets.reshape(-1)), where)

    mask = torch.tensor([[True, True, True], [True, False, False]])
    where_m = f"{inputs}, mask={fmt(mask.int())}"
    c.case(where_m, (logits, targets, mask), mistakes=(
        (lambda: nll.mean(), "You ignored the mask: average only over the kept tokens."),
        (lambda: torch.where(mask, nll, 0).sum() / mask.numel(),
         "Divide by the number of KEPT tokens (mask.sum()), not by all positions."),
        (lambda: (torch.where(mask, nll, 0).sum(-1) / mask.sum(-1)).mean(),
         "You averaged per sequence, then over sequences; cross-entropy averages over all "
         "kept tokens at once (a short sequence must not weigh more per token)."),
    ))  # fmt: skip

    ninf = logits.clone()
    ninf[1, 2, targets[1, 2]] = -math.inf  # masked-out position with log-prob -inf
    c.case("the masked-out target at [1, 2] has logit -inf, mask=" + fmt(mask.int()),
           (ninf, targets, mask), what="cross-entropy", nan_hint=H.MASK_MUL,
           inf_hint=H.MASK_MUL.split(";")[0] + ".")  # fmt: skip
    mask01 = mask.float()
    c.case(f"{inputs}, a 0/1 float mask={fmt(mask01)}", (logits, targets, mask01),
           what="cross-entropy", call_hint=H.FLOAT_MASK, hint=H.FLOAT_MASK)  # fmt: skip
    _seq_probes(c, "cross-entropy", lambda lp, m: -torch.where(m, lp, 0).sum() / m.sum())
    c.gradient(where_m, (logits, targets, mask), wrt=("logits",))
    c.gradient(where, (logits, targets), wrt=("logits",))  # and mask=None
    lg = randn(4, 2, MODERATE[1], seed=24)  # (B, T, V)
    c.speed(f"logits of shape {tuple(lg.shape)}", (lg, randint(MODERATE[1], 4, 2, seed=25)))


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


@checker("SFT loss")
def sft_loss(c: Check) -> None:
    r"""Check ``sft_loss(logits, labels, *, ignore_index=-100, average="token")``: shifted, masked NLL.

    The causal shift, ``ignore_index`` and the two averages (over tokens, over sequences).

    :math:`\mathcal{L}_\mathrm{SFT} = -\frac{1}{|K|} \sum_{(b,t) \in K} \log p_\theta(y_{b,t+1} \mid y_{b,\le t})`

    >>> import ptcourse
    >>> sft_loss(ptcourse.sft_loss).passed  # the reference passes
    ✓ sft_loss: correct -- all ... checks passed.
    True
    """
    V = 6
    logits, ids = randn(2, 5, V, seed=7), randint(V, 2, 5, seed=8)  # (B=2, T=5, V), (B, T)
    keep = torch.tensor([[False, False, True, True, True], [False, True, True, False, False]])
    labels = torch.where(keep, ids, -100)  # prompt and padding -> -100
    lg, lb = logits[:, :-1], labels[:, 1:]

    where = f"random logits of shape (2, 5, {V}), labels={fmt(labels)}"
    hint_ign = "Positions whose label is ignore_index (-100) must be skipped, not looked up."
    got = c.call(where, logits, labels, hint=hint_ign)
    c.scalar(got, where, "It is one number: the mean over the kept tokens.")
    want = c.ref(logits, labels)
    c.never_negative(got, where, "It is a mean negative log-likelihood, so it is never negative.",
                     want)  # fmt: skip
    c.expect(got, want, where, mistakes=(
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
        (lambda: want / LN2, H.BITS),
    ))  # fmt: skip

    c.case(where + ", average='sequence'", (logits, labels), {"average": "sequence"},
           call_hint=hint_ign, mistakes=(
        (lambda: _loss_of(lg, lb, "token"), "With average='sequence' first take each "
         "sequence's mean over its kept tokens, then the mean over sequences (you used the "
         "token average)."),
    ))  # fmt: skip

    labels_m1 = torch.where(keep, ids, -1)
    hint_i = "Use the ignore_index argument rather than a hard-coded -100."
    c.case(f"ignore_index=-1, labels={fmt(labels_m1)}", (logits, labels_m1),
           {"ignore_index": -1}, call_hint=hint_i, hint=hint_i)  # fmt: skip

    empty = labels.clone()
    empty[1] = -100  # the second row keeps no label
    c.case(f"average='sequence', labels={fmt(empty)} (the second row keeps no label)",
           (logits, empty), {"average": "sequence"},
           nan_hint="A row that keeps no label has 0 / 0 as its mean: leave such rows out of "
           "the average over sequences (the exercise says the loss must not be NaN).")  # fmt: skip
    c.checks.append(MUSTS["sft_loss"]["no label"])

    # ignore_index a real token id (3), several answer spans, a first label that is kept
    lg8 = randn(2, 8, V, seed=53)
    real = torch.tensor([[2, 0, 3, 3, 1, 4, 3, 5], [1, 5, 4, 3, 3, 2, 0, 3]])
    flat = _loss_of(lg8.reshape(16, V)[:-1][None], real.reshape(16)[1:][None], "token", ign=3)
    c.case(f"ignore_index=3 (a real token id), labels={fmt(real)} (several answer spans; "
           "the second row's first label is kept)", (lg8, real), {"ignore_index": 3},
           call_hint=hint_i, mistakes=(
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
    c.gradient(where, (logits, labels), wrt=("logits",))
    c.gradient(where + ", average='sequence'", (logits, labels), {"average": "sequence"},
               wrt=("logits",))  # fmt: skip
    wide = torch.stack([scaled_rows(4, V, seed=65), scaled_rows(4, V, seed=66)])  # (2, 4, V)
    unlikely = torch.cat([torch.full((2, 1), -100), wide[:, :-1].argmin(-1)], 1)  # (2, 4)
    c.case(f"logits whose rows are at very different scales (up to +-900), labels="
           f"{fmt(unlikely)} (each the least likely token)", (wide, unlikely),
           nan_hint=H.OVERFLOW, inf_hint=H.OVERFLOW, hint=H.OVERFLOW)  # fmt: skip
    big = randn(4, 3, MODERATE[1], seed=26)  # (B, T, V)
    c.speed(f"logits of shape {tuple(big.shape)}", (big, randint(MODERATE[1], 4, 3, seed=27)))
