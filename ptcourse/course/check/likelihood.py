r"""Checkers of chapter 1 and the first exercise of chapter 2: token log-probs, sequence log-probs, CE.

Each takes the learner's function (the signature of the ptcourse function of that name), prints one
line and returns a :class:`~ptcourse.course.check.CheckResult`; a wrong answer raises
:class:`~ptcourse.course.check.CheckFailed` naming the mistake.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ._common import (
    H_BITS,
    H_DIM,
    H_FLOAT_MASK,
    H_GLOBAL_MAX,
    H_HALF,
    H_MASK_MUL,
    H_OVERFLOW,
    H_PREFIX,
    H_SHAPES,
    LN2,
    MODERATE,
    global_max_log_softmax,
    logp_of,
    prefix_of,
    scaled_rows,
)
from ._common import randint as _randint
from ._common import randn as _randn
from ._report import fmt
from .harness import Check, CheckResult, run

MUSTS = {"token_logprobs": {"float32": "the result is float32 even for half-precision logits"}}


def _seq_probes(c: Check, what: str, reduce: Callable) -> None:
    """Probes shared by sequence_logprob and cross_entropy: a mask with holes and left padding,
    a kept token of log-prob -inf, rows at very different scales, four dimensions."""
    lg, tg = _randn(2, 4, 5, seed=46), _randint(5, 2, 4, seed=47)
    holes = torch.tensor([[False, True, True, False], [True, False, True, True]])
    c.case(f"random logits of shape (2, 4, 5), a mask with holes and left padding "
           f"{fmt(holes.int())}", (lg, tg, holes), what=what, hint=H_PREFIX, mistakes=(
        (lambda: reduce(logp_of(lg, tg), prefix_of(holes)), H_PREFIX),))  # fmt: skip
    kept = lg.clone()
    kept[0, 1, tg[0, 1]] = -math.inf  # a KEPT target the model gives probability 0
    c.case(f"the kept target at [0, 1] has logit -inf, mask={fmt(holes.int())}",
           (kept, tg, holes), what=what,
           hint="A kept token of probability 0 makes the result infinite: the data is "
           "impossible under the model. Don't clamp or nan_to_num it away.")  # fmt: skip
    big = torch.stack([scaled_rows(3, 5, seed=48), scaled_rows(3, 5, seed=49)])  # (2, 3, 5)
    tb = _randint(5, 2, 3, seed=50)
    c.case(f"logits of shape (2, 3, 5) at very different scales per position (up to +-900, "
           f"spread 100): {fmt(big[0], 4)}", (big, tb), what=what,
           nan_hint=H_OVERFLOW, inf_hint="log(softmax(x)) underflows to log(0) = -inf for a "
           "token far below the top one. " + H_OVERFLOW)  # fmt: skip
    l4, t4 = _randn(2, 1, 3, 5, seed=51), _randint(5, 2, 1, 3, seed=52)
    c.case(
        "random logits of shape (2, 1, 3, 5), targets of shape (2, 1, 3)",
        (l4, t4),
        what=what,
        call_hint=H_SHAPES,
        shape_hint=H_SHAPES,
        hint=H_SHAPES,
    )


def token_logprobs(fn: Callable, *, seed: int | None = None) -> CheckResult:
    r"""Check ``token_logprobs(logits, targets, *, chunk_size=None)``: log softmax(logits)[targets].

    .. math::

        \log p(y) = z_y - \log \sum_{v=1}^{V} e^{z_v}

    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.token_logprobs(ptcourse.token_logprobs).passed  # the reference passes
    ✓ token_logprobs: correct -- all ... checks passed.
    True
    """

    def body(c: Check) -> None:
        logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]])  # (N=2, V=3)
        targets = torch.tensor([0, 2])
        where = f"logits={fmt(logits)}, targets={fmt(targets)}"
        got = c.call(where, logits, targets)
        want = c.ref(logits, targets)
        c.require(
            "one log-prob per target",
            got.shape == want.shape,
            f"your log-probabilities are of shape {tuple(got.shape)}, expected {tuple(want.shape)}",
            where,
            why="One log-prob per target (did you forget .squeeze(-1) after gather?).",
        )
        c.require(
            "never positive",
            bool(((got <= 1e-6) | got.isnan()).all()),
            "your log-probabilities include a positive value",
            where,
            got=fmt(got),
            why="A log-probability is never positive, because a probability is at most 1.",
        )
        probs = torch.softmax(logits, -1).gather(-1, targets[:, None])[:, 0]
        c.expect(got, want, where, mistakes=(
            (lambda: logp_of(logits, targets, 0), H_DIM),
            (lambda: want / LN2, H_BITS),
            (lambda: probs, "Those are probabilities; return their log (log-probabilities)."),
        ))  # fmt: skip

        logits3, targets3 = _randn(2, 4, 6, seed=1), _randint(6, 2, 4, seed=2)  # (B, T, V), (B, T)
        where3 = "random logits of shape (2, 4, 6) and targets of shape (2, 4)"
        c.case(where3, (logits3, targets3),
               shape_hint="The result has the targets' shape: one log-prob per target token.",
               mistakes=((lambda: logp_of(logits3, targets3, 0), H_DIM),
                         (lambda: logp_of(logits3, targets3, 1), H_DIM)))  # fmt: skip

        big, big_t = torch.tensor([[1000.0, 0.0, -1000.0]] * 2), torch.tensor([0, 2])
        c.case(f"large logits={fmt(big)}, targets={fmt(big_t)}", (big, big_t), nan_hint=H_OVERFLOW,
               inf_hint="log(softmax(x)) underflows to log(0) = -inf. " + H_OVERFLOW)  # fmt: skip

        neg, neg_t = torch.tensor([[0.0, -math.inf, 1.0]] * 2), torch.tensor([0, 1])
        c.case(f"logits={fmt(neg)} with a -inf (banned token), targets={fmt(neg_t)}", (neg, neg_t),
               nan_hint="A -inf logit is a token with probability 0: its log-prob is -inf, "
               "and the other tokens are unaffected.")  # fmt: skip

        half = logits.half()
        where_h = f"float16 logits={fmt(half)}, targets={fmt(targets)}"
        got_h = c.call(where_h, half, targets)
        c.require(
            MUSTS["token_logprobs"]["float32"],
            got_h.dtype == torch.float32,
            f"your token_logprobs returned {got_h.dtype} for float16 logits",
            where_h,
            why="The exercise says the result must be float32 even for half-precision logits: "
            "call logits.float() before log_softmax (float16 keeps about 3 digits).",
        )
        for low in (torch.float16, torch.bfloat16):  # the values too, not only the dtype
            lo, lt = (_randn(3, 7, seed=42) * 3).to(low), _randint(7, 3, seed=43)
            c.case(f"random {low} logits of shape (3, 7)", (lo, lt), hint=H_HALF, mistakes=(
                (lambda lo=lo, lt=lt: logp_of(lo, lt).float(), H_HALF),))  # fmt: skip

        rows, rt = scaled_rows(4, 5, seed=40), _randint(5, 4, seed=41)
        c.case(f"logits of shape (4, 5) whose rows are at very different scales: {fmt(rows, 4)}, "
               f"targets={fmt(rt)}", (rows, rt), nan_hint=H_OVERFLOW, inf_hint=H_GLOBAL_MAX,
               mistakes=((lambda: global_max_log_softmax(rows).gather(-1, rt[:, None])[:, 0],
                          H_GLOBAL_MAX),))  # fmt: skip
        for shape in ((5,), (2, 1, 3, 5), (1, 1, 5)):
            lg_s, tg_s = _randn(*shape, seed=44), _randint(5, *shape[:-1], seed=45)
            c.case(f"random logits of shape {shape}, targets of shape {shape[:-1]}", (lg_s, tg_s),
                   call_hint=H_SHAPES, shape_hint=H_SHAPES, hint=H_SHAPES)  # fmt: skip
        c.gradient(where3, (logits3, targets3), wrt=("logits",))
        lg, tg = _randn(*MODERATE, seed=20), _randint(MODERATE[1], MODERATE[0], seed=21)
        c.speed(f"logits of shape {MODERATE}", (lg, tg))

    return run("token_logprobs", fn, "log-probabilities", body, seed)


def sequence_logprob(fn: Callable, *, seed: int | None = None) -> CheckResult:
    r"""Check ``sequence_logprob(logits, targets, mask=None)``: the sum of the kept token log-probs.

    .. math::

        \log p(y_{1:T}) = \sum_{t=1}^{T} m_t \log p(y_t \mid y_{<t})

    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.sequence_logprob(ptcourse.sequence_logprob).passed  # the reference passes
    ✓ sequence_logprob: correct -- all ... checks passed.
    True
    """

    def body(c: Check) -> None:
        logits, targets = _randn(2, 3, 4, seed=3), _randint(4, 2, 3, seed=4)  # (B, T, V), (B, T)
        lp = logp_of(logits, targets)  # (B, T)
        inputs = "random logits of shape (2, 3, 4), targets of shape (2, 3)"
        want = c.ref(logits, targets)
        c.case(f"{inputs}, mask=None", (logits, targets),
               shape_hint="One number per sequence: sum over the last (time) dimension only.",
               mistakes=((lambda: lp.mean(-1), "A sequence's log-probability is the SUM of its "
                          "token log-probs (the log of a product of probabilities), not their mean."),
                         (lambda: want / LN2, H_BITS)))  # fmt: skip

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
               (ninf, targets, mask), nan_hint=H_MASK_MUL)  # fmt: skip
        mask01 = mask.to(torch.float32)
        c.case(f"{inputs}, a 0/1 float mask={fmt(mask01)}", (logits, targets, mask01),
               call_hint=H_FLOAT_MASK, hint=H_FLOAT_MASK)  # fmt: skip
        _seq_probes(c, "sequence log-probabilities", lambda lp, m: torch.where(m, lp, 0).sum(-1))
        c.gradient(where_m, (logits, targets, mask), wrt=("logits",))
        lg = _randn(4, 2, MODERATE[1], seed=22)  # (B, T, V)
        c.speed(f"logits of shape {tuple(lg.shape)}", (lg, _randint(MODERATE[1], 4, 2, seed=23)))

    return run("sequence_logprob", fn, "sequence log-probabilities", body, seed)


def cross_entropy(fn: Callable, *, seed: int | None = None) -> CheckResult:
    r"""Check ``cross_entropy(logits, targets, mask=None)``: the mean NLL over the kept tokens.

    .. math::

        \mathrm{CE} = -\frac{1}{\sum_t m_t} \sum_t m_t \log p(y_t)

    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.cross_entropy(ptcourse.cross_entropy).passed  # the reference passes
    ✓ cross_entropy: correct -- all ... checks passed.
    True
    """

    def body(c: Check) -> None:
        logits, targets = _randn(2, 3, 5, seed=5), _randint(5, 2, 3, seed=6)  # (B, T, V), (B, T)
        nll = -logp_of(logits, targets)  # (B, T)
        inputs = "random logits of shape (2, 3, 5), targets of shape (2, 3)"
        where = f"{inputs}, mask=None"
        got = c.call(where, logits, targets)
        c.require("a scalar", got.dim() == 0, f"your cross-entropy is of shape {tuple(got.shape)}",
                  where, why="It is one number (a scalar): the mean over all tokens.")  # fmt: skip
        want = c.ref(logits, targets)
        c.require(
            "never negative",
            not float(got) < 0,
            "your cross-entropy is negative",
            where,
            got=fmt(got),
            want=fmt(want),
            why="Cross-entropy is never negative: it is the mean NEGATIVE log-likelihood.",
        )
        c.expect(got, want, where, what="cross-entropy", mistakes=(
            (lambda: nll.sum(), "Average over the tokens (mean), don't sum."),
            (lambda: want / LN2, H_BITS),
            (lambda: -logp_of(logits, targets, 0).mean(), H_DIM),
            (lambda: -logp_of(logits, targets, 1).mean(), H_DIM),
        ))  # fmt: skip
        c.expect(got, F.cross_entropy(logits.reshape(-1, 5), targets.reshape(-1)), where)

        mask = torch.tensor([[True, True, True], [True, False, False]])
        where_m = f"{inputs}, mask={fmt(mask.int())}"
        c.case(where_m, (logits, targets, mask), what="cross-entropy", mistakes=(
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
               (ninf, targets, mask), what="cross-entropy", nan_hint=H_MASK_MUL,
               inf_hint=H_MASK_MUL.split(";")[0] + ".")  # fmt: skip
        mask01 = mask.float()
        c.case(f"{inputs}, a 0/1 float mask={fmt(mask01)}", (logits, targets, mask01),
               what="cross-entropy", call_hint=H_FLOAT_MASK, hint=H_FLOAT_MASK)  # fmt: skip
        _seq_probes(c, "cross-entropy", lambda lp, m: -torch.where(m, lp, 0).sum() / m.sum())
        c.gradient(where_m, (logits, targets, mask), wrt=("logits",), what="cross-entropy")
        c.gradient(where, (logits, targets), wrt=("logits",), what="cross-entropy")  # and mask=None
        lg = _randn(4, 2, MODERATE[1], seed=24)  # (B, T, V)
        c.speed(f"logits of shape {tuple(lg.shape)}", (lg, _randint(MODERATE[1], 4, 2, seed=25)))

    return run("cross_entropy", fn, "cross-entropy", body, seed)
