r"""Checkers of chapter 4's leashed optimum and DPO loss (Rafailov et al., 2023)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._common import MODERATE, H, one_max_log_softmax, probs_logits, randn, scaled_rows
from ._report import fmt, num, pair_logps
from .harness import Check, checker

MUSTS = {
    "kl_regularized_policy": {"positive": "beta <= 0 raises a ValueError that names `beta`"},
    "dpo_loss": {"frozen": "no gradient into ref_chosen_logp"},
}

_H_LOGSPACE = (
    "exp(r / beta) overflows for large rewards (exp(1000) is inf in float32): stay in log space "
    "until the end, as the section 'The best policy on a leash' writes log pi* (no exp before "
    "the normalisation)."
)


@checker("log pi*")
def kl_regularized_policy(c: Check) -> None:
    r"""Check ``kl_regularized_policy(ref_logits, rewards, beta)``: log-probs of the leashed optimum.

    :math:`\pi^*(y) = \frac{\pi_\mathrm{ref}(y)\, e^{r(y)/\beta}}{\sum_{y'} \pi_\mathrm{ref}(y')\, e^{r(y')/\beta}}`

    >>> import ptcourse
    >>> kl_regularized_policy(ptcourse.kl_regularized_policy).passed  # the reference passes
    ✓ kl_regularized_policy: correct -- all ... checks passed.
    True
    """
    ref, r, beta = probs_logits((0.5, 0.3, 0.2)), torch.tensor([1.0, 0.0, 2.0]), 0.5  # (V,)
    inputs = f"pi_ref=[0.5, 0.3, 0.2] (as log-probs), rewards={fmt(r)}"
    where = f"{inputs}, beta={beta}"
    got = c.call(where, ref, r, beta)
    c.require("the reference's shape", got.shape == ref.shape,
              f"your policy is of shape {tuple(got.shape)}", where,
              why=f"Expected log-probs of the reference's shape {tuple(ref.shape)}.")  # fmt: skip
    total = float(torch.logsumexp(got.double(), -1))
    c.require("normalised", math.isnan(total) or abs(total) < 1e-4 or abs(float(got.double().sum()) - 1) < 1e-4,
              "your policy is not normalised", where, got=fmt(got),
              why=f"Its probabilities sum to {num(math.exp(total))}. pi* is a distribution: "
              "subtract logsumexp (log_softmax).")  # fmt: skip
    want = c.ref(ref, r, beta)
    c.expect(got, want, where, mistakes=(
        (lambda: want.exp(), "Those are probabilities; the function returns log-probabilities."),
        (lambda: torch.log_softmax(ref + r * beta, -1),
         "Divide the reward by beta (r / beta), don't multiply."),
        (lambda: torch.log_softmax(r / beta, -1),
         "You left out the reference: pi* = pi_ref * exp(r / beta), normalised."),
    ))  # fmt: skip

    c.case(f"pi_ref=[0.5, 0.3, 0.2], rewards={fmt(r)}, beta=1000", (ref, r, 1000.0),
           hint="A very loose leash (large beta) keeps pi* close to pi_ref.")  # fmt: skip
    ref_z, r_z = torch.tensor([0.0, -math.inf, 0.0]), torch.tensor([0.0, 5.0, 1.0])
    c.case(f"ref_logits={fmt(ref_z)} (a token pi_ref never says), rewards={fmt(r_z)}, beta=1",
           (ref_z, r_z, 1.0),
           nan_hint="A token with pi_ref = 0 keeps probability 0 whatever its reward.")  # fmt: skip
    r_big = torch.tensor([1000.0, 0.0, 500.0])
    c.case(f"pi_ref=[0.5, 0.3, 0.2], rewards={fmt(r_big)}, beta=0.5", (ref, r_big, 0.5),
           nan_hint=_H_LOGSPACE, inf_hint=_H_LOGSPACE)  # fmt: skip

    ref3, r3 = randn(2, 3, 4, seed=13), randn(2, 3, 4, seed=14)  # (B, T, V)
    where3 = "random ref_logits and rewards of shape (2, 3, 4), beta=0.3"
    c.case(where3, (ref3, r3, 0.3), mistakes=(
        (lambda: torch.log_softmax(ref3 + r3 / 0.3, 0), H.DIM),
        (lambda: torch.log_softmax(ref3 + r3 / 0.3, 1), H.DIM),
        (lambda: torch.log_softmax(ref3 + r3 / 0.3, -1) - torch.log_softmax(ref3, -1),
         "Return log pi*, not the log-ratio log pi* - log pi_ref."),
    ))  # fmt: skip
    rows, rr_ = randn(4, 5, seed=62), scaled_rows(4, 5, seed=63)
    c.case("random ref_logits of shape (4, 5), rewards whose rows are at very different "
           "scales (up to +-900), beta=5", (rows, rr_, 5.0),
           nan_hint=_H_LOGSPACE, inf_hint=_H_LOGSPACE, mistakes=(
        (lambda: one_max_log_softmax(torch.log_softmax(rows, -1) + rr_ / 5.0),
         H.GLOBAL_MAX),))  # fmt: skip
    wide = scaled_rows(4, 5, seed=64)  # pi_ref itself far from uniform: log(softmax) underflows
    c.case("ref_logits whose rows are at very different scales (up to +-900), random rewards "
           "of shape (4, 5), beta=5", (wide, rows, 5.0),
           nan_hint=_H_LOGSPACE, inf_hint=_H_LOGSPACE, hint=_H_LOGSPACE)  # fmt: skip
    for bad in (0.0, -1.0):
        c.raises(MUSTS["kl_regularized_policy"]["positive"], f"{inputs}, beta={bad:g}",
                 (ref, r, bad), {}, ValueError, "beta", bad=f"beta={bad:g}")  # fmt: skip
    # ref_logits come from the frozen reference (ptcourse detaches them): only rewards are compared
    c.gradient(where3, (ref3, r3, 0.3), wrt=("rewards",))
    big = randn(*MODERATE, seed=31)
    c.speed(f"ref_logits of shape {MODERATE}", (big, randn(*MODERATE, seed=32), 0.5))


def _dpo(pc, pr, rc, rr, beta=0.1, reduce="mean", beta_on="both"):
    """The DPO loss and its slips: beta on one side of the margin only, a sum over pairs."""
    chosen, rejected = pc - rc, pr - rr
    margin = {"chosen": beta * chosen - rejected, "rejected": chosen - beta * rejected,
              "both": beta * (chosen - rejected)}[beta_on]  # fmt: skip
    ls = -F.logsigmoid(margin)
    return ls.mean() if reduce == "mean" else ls.sum()


@checker("DPO loss")
def dpo_loss(c: Check) -> None:
    r"""Check ``dpo_loss(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp, beta=0.1)``.

    :math:`\mathcal{L}_\mathrm{DPO} = -\operatorname{mean} \log \sigma\big(\beta [(\pi_c - \mathrm{ref}_c) - (\pi_r - \mathrm{ref}_r)]\big)`

    >>> import ptcourse
    >>> dpo_loss(ptcourse.dpo_loss).passed  # the reference passes
    ✓ dpo_loss: correct -- all ... checks passed.
    True
    """
    pc, pr = torch.tensor([-5.0, -3.0, -4.0]), torch.tensor([-6.0, -2.0, -4.5])
    rc, rr = torch.tensor([-5.5, -3.2, -3.0]), torch.tensor([-5.8, -2.5, -4.0])
    args = (pc, pr, rc, rr)
    where = pair_logps(*args)
    got = c.call(where, *args)
    c.scalar(got, where, "It is one number: the mean over pairs.")
    want = c.ref(*args)
    c.never_negative(got, where, "-log sigmoid(...) is never negative.", want)
    one_side = ("Multiply the whole margin by beta: beta * [(chosen log-ratio) - (rejected "
                "log-ratio)], not one side of it.")  # fmt: skip
    c.expect(got, want, where + ", beta=0.1 (default)", mistakes=(
        (lambda: _dpo(pr, pc, rr, rc), "Chosen and rejected are swapped: the margin is "
         "(chosen) - (rejected)."),
        (lambda: _dpo(pc, pr, torch.zeros(3), torch.zeros(3)),
         "You left out the reference: each side is a log-ratio policy - reference."),
        (lambda: _dpo(*args, beta=1.0), "Multiply the margin by beta."),
        (lambda: _dpo(*args, beta_on="chosen"), one_side),
        (lambda: _dpo(*args, beta_on="rejected"), one_side),
        (lambda: _dpo(*args, reduce="sum"), "Average over pairs (mean), don't sum."),
    ))  # fmt: skip
    c.case(where + ", beta=0.5", args, {"beta": 0.5},
           mistakes=((lambda: want, "You ignored the beta argument."),))  # fmt: skip
    same = torch.tensor([-2.0, -7.0])
    c.case("the policy equal to the reference (all four log-probs = [-2, -7])", (same,) * 4,
           want=torch.tensor(math.log(2.0)),
           hint="With no margin, the loss is -log sigmoid(0) = log 2.")  # fmt: skip
    far4 = (torch.tensor([-300.0, -310.0]), torch.tensor([-305.0, -302.0]),
            torch.tensor([-301.0, -309.0]), torch.tensor([-304.0, -303.0]))  # fmt: skip
    c.case("log-probs near -300: " + pair_logps(*far4), far4, nan_hint=H.LOG_RATIO,
           inf_hint=H.LOG_RATIO, hint=H.LOG_RATIO)  # fmt: skip
    z, far = torch.tensor([0.0]), torch.tensor([-5000.0])
    c.case("policy_chosen_logp=[-5000], the other three [0] (beta * margin = -500)",
           (far, z, z, z), inf_hint="log(sigmoid(x)) underflows to log(0) for very negative x: use "
           "F.logsigmoid, which is stable.",
           nan_hint="Use F.logsigmoid, which is stable for large margins.")  # fmt: skip
    # the reference's log-probs come from a frozen model: the loss sends them no gradient
    c.gradient(where, args, wrt=("policy_chosen_logp", "policy_rejected_logp"),
               frozen=("ref_chosen_logp", "ref_rejected_logp"))  # fmt: skip
