r"""Checkers of chapter 3's KL divergence and Schulman's k1/k2/k3 estimators, and of chapter 5's
entropy (the sign, the dimension, 0 log 0 = 0 and its gradient).

The estimators follow J. Schulman, "Approximating KL divergence" (2020).
"""

from __future__ import annotations

import math

import torch

from ._common import LN2, MODERATE, H, one_max_log_softmax, probs_logits, randn, scaled_rows
from ._report import fmt
from .harness import Check, Mistake, checker, close

MUSTS = {"kl_estimate": {"ValueError": "an unknown kind raises a ValueError that names `kind`"}}


def _kl_over(p: torch.Tensor, q: torch.Tensor, dim: int) -> torch.Tensor:
    lp, lq = torch.log_softmax(p, dim), torch.log_softmax(q, dim)
    return (lp.exp() * (lp - lq)).sum(-1)


def _kl_of(lp: torch.Tensor, lq: torch.Tensor) -> torch.Tensor:
    p = lp.exp()
    return (p * torch.where(p > 0, lp - lq, 0)).sum(-1)


@checker("KL")
def kl_divergence(c: Check) -> None:
    r"""Check ``kl_divergence(p_logits, q_logits)``: the exact KL(p || q) over the last dimension.

    :math:`\mathrm{KL}(p \,\|\, q) = \sum_v p_v (\log p_v - \log q_v)`

    >>> import ptcourse
    >>> kl_divergence(ptcourse.kl_divergence).passed  # the reference passes
    ✓ kl_divergence: correct -- all ... checks passed.
    True
    """
    for p, q in [((0.7, 0.3), (0.2, 0.8)), ((0.1, 0.6, 0.3), (0.4, 0.4, 0.2))]:
        pl, ql = probs_logits(p), probs_logits(q)  # (V,)
        where = f"p={list(p)}, q={list(q)} (given as logits log p, log q)"
        got = c.call(where, pl, ql)
        want = c.ref(pl, ql)
        c.require("never negative", got.numel() != 1 or not float(got) < -1e-6,
                  "your KL is negative", f"p={list(p)}, q={list(q)}", got=fmt(got),
                  want=fmt(want), why="KL is never negative.")  # fmt: skip
        c.expect(got, want, where, shape_hint="KL reduces the vocabulary (last) dimension only.",
                 mistakes=(
            (lambda pl=pl, ql=ql: c.ref(ql, pl), "You computed KL(q||p): the arguments are "
             "swapped. KL(p||q) = sum over tokens of p * (log p - log q), weighted by p, the "
             "first argument."),
            (lambda want=want: want / LN2, H.BITS),
            (lambda want=want, pl=pl: want / pl.shape[-1],
             "Sum over the vocabulary; don't average."),
        ))  # fmt: skip
        got_s = c.call(f"p=q={list(p)}", pl, pl)
        c.require("KL(p||p) = 0", close(got_s.reshape(-1), torch.zeros(1), atol=1e-6),
                  "your KL(p||p) is not 0", f"p=q={list(p)}", got=fmt(got_s), want="0",
                  why="A distribution's KL from itself is 0.")  # fmt: skip

    pb, qb = randn(2, 3, 5, seed=9), randn(2, 3, 5, seed=10)  # (B, T, V)
    where_b = "random logits p, q of shape (2, 3, 5)"
    c.case(where_b, (pb, qb),
           shape_hint="One KL per position: reduce only the vocabulary (last) dimension.",
           mistakes=((lambda: _kl_over(pb, qb, 0), H.DIM), (lambda: _kl_over(pb, qb, 1), H.DIM),
                     (lambda: (pb.softmax(-1) * (pb - qb)).sum(-1), "Logits are not "
                      "log-probabilities: normalise them first with log_softmax.")))  # fmt: skip

    pz = probs_logits([(0.5, 0.0, 0.5), (1.0, 0.0, 0.0)])  # zeros in p (and in q, row 2)
    qz = probs_logits([(1 / 3, 1 / 3, 1 / 3), (0.5, 0.0, 0.5)])
    where_z = "p=[[0.5, 0, 0.5], [1, 0, 0]], q=[[1/3, 1/3, 1/3], [0.5, 0, 0.5]]"
    c.case(where_z, (pz, qz), nan_hint="Tokens with p = 0 contribute nothing (0 * log 0 = 0), "
           "even where q is 0 too; but 0 * (-inf) and (-inf) - (-inf) are NaN in floating point: "
           "zero those terms BEFORE multiplying, p * torch.where(p > 0, logp - logq, "
           "0).")  # fmt: skip
    pi, qi = probs_logits((0.5, 0.5)), probs_logits((1.0, 0.0))
    got_i = c.call("p=[0.5, 0.5], q=[1, 0]", pi, qi)
    c.require("+inf where q = 0 < p", bool(torch.isposinf(got_i).all()),
              "your KL is not +inf", "p=[0.5, 0.5], q=[1, 0]", got=fmt(got_i), want="inf",
              why="When q gives probability 0 to a token that p can produce, KL(p||q) is "
              "infinite.")  # fmt: skip
    rp, rq = scaled_rows(4, 5, seed=57, spread=8), scaled_rows(4, 5, seed=58, spread=8)
    c.case(f"logits p, q of shape (4, 5) whose rows are at very different scales: "
           f"p={fmt(rp, 4)}", (rp, rq), nan_hint=H.OVERFLOW,
           inf_hint="log(softmax(x)) underflows to log(0) = -inf for a token far below the "
           "top one. " + H.OVERFLOW, mistakes=(
        (lambda: _kl_of(one_max_log_softmax(rp), one_max_log_softmax(rq)),
         H.GLOBAL_MAX),))  # fmt: skip
    for shape in ((5,), (2, 1, 3, 5)):
        c.shapes(f"random logits p, q of shape {shape}",
                 (randn(*shape, seed=59), randn(*shape, seed=60)))  # fmt: skip

    # the gradient where p = 0: a single torch.where around the product, or nansum, is NaN
    c.gradient(where_z, (pz, qz), wrt=("p_logits", "q_logits"), nan_hint=H.KL_WHERE_GRAD)
    c.gradient(where_b, (pb, qb), wrt=("p_logits", "q_logits"))
    c.speed(f"logits of shape {MODERATE}", (randn(*MODERATE, seed=29), randn(*MODERATE, seed=30)))


@checker("KL estimates")
def kl_estimate(c: Check) -> None:
    r"""Check ``kl_estimate(logp, logq, kind="k3")``: Schulman's per-sample estimators of KL(p || q).

    :math:`k_1 = -\log r,\quad k_2 = \tfrac12 (\log r)^2,\quad k_3 = (r - 1) - \log r,\quad \log r = \log q - \log p`

    >>> import ptcourse
    >>> kl_estimate(ptcourse.kl_estimate).passed  # the reference passes
    ✓ kl_estimate: correct -- all ... checks passed.
    True
    """
    logp = torch.tensor([-1.0, -2.0, -0.5, -3.0])  # log p(x) of 4 samples x ~ p
    logq = torch.tensor([-1.5, -1.0, -0.5, -4.0])  # log q(x) of the same samples
    base = f"logp={fmt(logp)}, logq={fmt(logq)}"
    lr_sw = logp - logq  # the swapped log-ratio
    swapped = {"k1": -lr_sw, "k2": 0.5 * lr_sw**2, "k3": lr_sw.exp() - 1 - lr_sw}
    sw_msg = ("You swapped the log-ratio: with samples from p, log r = logq - logp (the "
              "reference over the policy).")  # fmt: skip
    slips = {"k2": (2, "k2 is HALF the squared log-ratio."), "k3": (-1, "k3 is (r - 1) - log r: "
             "the sign is wrong, and k3 is never negative.")}  # fmt: skip
    for kind in ("k1", "k2", "k3"):
        where = f"{base}, kind={kind!r}"
        got = c.call(where, logp, logq, kind=kind)
        want = c.ref(logp, logq, kind=kind)
        mistakes: tuple[Mistake, ...] = ((lambda s=swapped[kind]: s, sw_msg),)
        if kind in slips:
            mistakes += ((lambda w=want, k=slips[kind][0]: k * w, slips[kind][1]),)
        mistakes += ((lambda w=want: w / LN2, H.BITS),)
        c.expect(got, want, where, what=f"{kind} estimates", mistakes=mistakes,
                 shape_hint="The estimate is per sample: same shape as logp.")  # fmt: skip
    c.case(f"{base} and no kind", (logp, logq), what="default estimates",
           hint="The default kind is 'k3'.")  # fmt: skip
    lp2, lq2 = randn(2, 3, seed=11) - 2.0, randn(2, 3, seed=12) - 2.0  # (B, T)
    where2 = "random logp, logq of shape (2, 3), kind='k3'"
    c.case(where2, (lp2, lq2), {"kind": "k3"}, what="k3 estimates")
    far_p = torch.tensor([-300.0, -301.0, -299.5, -302.0])  # probabilities below 1e-130
    far_q = torch.tensor([-301.5, -299.0, -299.5, -300.2])
    for kind in ("k1", "k2", "k3"):
        c.case(f"log-probs near -300: logp={fmt(far_p)}, logq={fmt(far_q)}, kind={kind!r}",
               (far_p, far_q), {"kind": kind}, what=f"{kind} estimates",
               nan_hint=H.LOG_RATIO, inf_hint=H.LOG_RATIO, hint=H.LOG_RATIO)  # fmt: skip
    c.raises(MUSTS["kl_estimate"]["ValueError"], f"{base}, kind='k4'", (logp, logq),
             {"kind": "k4"}, ValueError, "kind", bad="kind='k4'")  # fmt: skip
    # logq is often the frozen reference's: its gradient is neither required nor forbidden
    for kind in ("k1", "k2", "k3"):
        c.gradient(where2.replace("'k3'", repr(kind)), (lp2, lq2), {"kind": kind},
                   wrt=("logp",), what=f"{kind} estimates")  # fmt: skip


def _entropy_over(logits: torch.Tensor, dim: int) -> torch.Tensor:
    """The slip of normalising over ``dim`` and summing over the last one."""
    lp = torch.log_softmax(logits, dim)
    return -(lp.exp() * lp).sum(-1)


def _entropy_of(lp: torch.Tensor) -> torch.Tensor:
    p = lp.exp()
    return -(p * torch.where(p > 0, lp, 0)).sum(-1)


@checker("entropy")
def entropy(c: Check) -> None:
    r"""Check ``entropy(logits)``: the entropy over the last dimension, in nats, with 0 log 0 = 0.

    :math:`H(p) = -\sum_{v} p_v \log p_v`

    >>> import ptcourse
    >>> entropy(ptcourse.entropy).passed  # the reference passes
    ✓ entropy: correct -- all ... checks passed.
    True
    """
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.3, 0.2, 0.1]])  # (N=2, V=3)
    where = f"logits={fmt(logits)}"
    got = c.call(where, logits)
    want = c.ref(logits)
    mistakes = (
        (lambda: _entropy_over(logits, 0), H.DIM),
        (lambda: -want, "Entropy is -sum p log p: you forgot the minus sign."),
        (lambda: want / LN2, H.BITS),
    )
    in_range = ((got >= -1e-6) & (got <= math.log(3) + 1e-5)) | got.isnan()
    if got.shape == want.shape and not bool(in_range.all()):
        c.expect(got, want, where, mistakes=mistakes, hint="The entropy of a distribution over V "
                 "tokens lies between 0 and log V (here log 3 = 1.099).")  # fmt: skip
    c.checks.append("0 <= H <= log V")
    c.expect(got, want, where, mistakes=mistakes,
             shape_hint="One entropy per row: sum over the last dimension only.")  # fmt: skip

    c.case("uniform logits=[[0, 0, 0, 0]] (p = 1/4 each)", (torch.zeros(1, 4),),
           shape_hint="One entropy per distribution: sum over the last dimension only.",
           mistakes=((lambda: torch.tensor([2.0]), H.BITS),),
           hint="A uniform distribution over V tokens has entropy log V.")  # fmt: skip

    x3 = randn(2, 3, 4, seed=15)  # (B, T, V)
    c.case("random logits of shape (2, 3, 4)", (x3,),
           mistakes=((lambda: _entropy_over(x3, 0), H.DIM),
                     (lambda: _entropy_over(x3, 1), H.DIM)))  # fmt: skip

    neg = torch.tensor([[0.0, -math.inf, 0.0], [-math.inf, 5.0, -math.inf]])
    c.case(f"logits={fmt(neg)} (p = [0.5, 0, 0.5] and [0, 1, 0])", (neg,),
           nan_hint="A zero-probability token contributes 0 (0 * log 0 = 0), "
           "but 0 * (-inf) is NaN in floating point: zero those terms out.")  # fmt: skip
    big = torch.tensor([[1000.0, 0.0, -1000.0]])
    c.case(f"large logits={fmt(big)}", (big,), nan_hint=H.OVERFLOW, inf_hint=H.OVERFLOW)

    rows = scaled_rows(4, 5, seed=54)
    c.case(f"logits of shape (4, 5) whose rows are at very different scales: {fmt(rows, 4)}",
           (rows,), nan_hint=H.OVERFLOW, inf_hint=H.GLOBAL_MAX, mistakes=(
        (lambda: _entropy_of(one_max_log_softmax(rows)), H.GLOBAL_MAX),))  # fmt: skip
    for shape in ((5,), (2, 1, 3, 5)):
        c.shapes(f"random logits of shape {shape}", (randn(*shape, seed=55),))
    x = torch.tensor([[0.0, -math.inf, 1.0]])
    c.gradient("logits=[[0, -inf, 1]]", (x,), wrt=("logits",), nan_hint=H.WHERE_GRAD)
    c.gradient("random logits of shape (2, 3, 4)", (x3,), wrt=("logits",))
    c.speed(f"logits of shape {MODERATE}", (randn(*MODERATE, seed=28),))
