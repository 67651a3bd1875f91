r"""Checkers of chapter 4's leashed optimum and DPO loss (Rafailov et al., 2023), and of chapter 6's
GRPO advantages (Shao et al., 2024) and PPO clipped loss (Schulman et al., 2017, with DAPO's
clip-higher, Yu et al., 2025).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._common import MODERATE, H, one_max_log_softmax, prefix_of, probs_logits, randn, scaled_rows
from ._report import fmt, num, pair_logps
from .harness import Check, checker, close

MUSTS = {
    "kl_regularized_policy": {"positive": "beta <= 0 raises a ValueError that names `beta`"},
    "dpo_loss": {"frozen": "no gradient into ref_chosen_logp"},
    "grpo_advantages": {"all equal": "a group whose rewards are all equal gives zeros"},
    "ppo_clip_loss": {"old_logp": "no gradient into old_logp"},
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
    sums_to_1 = abs(total) < 1e-4 or abs(float(got.double().sum()) - 1) < 1e-4
    c.require("normalised", math.isnan(total) or sums_to_1, "your policy is not normalised", where,
              got=fmt(got), why=f"Its probabilities sum to {num(math.exp(total))}. pi* is a "
              "distribution: subtract logsumexp (log_softmax).")  # fmt: skip
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


_H_SQRT = "Add eps to the std, not inside the square root: (r - mean) / (std + eps)."
_H_ADV = ("The advantages are per token, of logp's shape (B, T), or per sequence, (B, 1): they "
          "broadcast to logp as they are, without unsqueeze.")  # fmt: skip
_H_CONST = "A constant group has std 0: add eps to the std so that it gives zeros."


def _adv(r, eps=1e-4, std="group", how="add", dim=-1):
    """GRPO advantages and their slips: std over the group or the batch, eps added or clamped."""
    centred = r - r.mean(dim, keepdim=True)
    s = r.std() if std == "batch" else r.std(dim, keepdim=True, unbiased=std != "population")
    if how == "sqrt":
        return centred / torch.sqrt(r.var(dim, keepdim=True) + eps)
    if how == "clamp":
        return centred / s.clamp_min(eps)
    return centred / (s + eps) if how == "add" else centred / s


@checker("advantages")
def grpo_advantages(c: Check) -> None:
    r"""Check ``grpo_advantages(rewards, *, scale=True, eps=1e-4)``: group-normalised advantages.

    :math:`A_{g,i} = \frac{r_{g,i} - \bar r_g}{s_g + \epsilon},\quad s_g^2 = \frac{1}{n-1} \sum_i (r_{g,i} - \bar r_g)^2`

    >>> import ptcourse
    >>> grpo_advantages(ptcourse.grpo_advantages).passed  # the reference passes
    ✓ grpo_advantages: correct -- all ... checks passed.
    True
    """
    r = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.5, 0.2, 0.9, 0.6]])  # (G=2, n=4)
    where = f"rewards={fmt(r)} (2 groups of 4)"
    got = c.call(where, r)
    c.require("one advantage per reward", got.shape == r.shape,
              f"your advantages are of shape {tuple(got.shape)}", where,
              why=f"Expected one advantage per reward, shape {tuple(r.shape)}.")  # fmt: skip
    want = c.ref(r)
    whole = (lambda: (r - r.mean()) / (r.std() + 1e-4), "You normalised over the whole "
             "batch: GRPO subtracts each group's own mean and divides by its own std (over "
             "the last dimension, keepdim=True).")  # fmt: skip
    if not (bool(torch.isfinite(got).all()) and close(got.sum(-1), torch.zeros(2), atol=1e-4)):
        c.expect(got, want, where, mistakes=(whole,),
                 hint="Your advantages do not average to 0 within each group: subtract each "
                 "group's own mean (mean over the last dimension, keepdim=True).")  # fmt: skip
    c.checks.append("each group averages to 0")
    c.expect(got, want, where, mistakes=(
        (lambda: _adv(r, std="population"), "That is the population std (divide by n); the "
         "exercise asks for the Bessel-corrected std (divide by n - 1), torch.std's default "
         "and the convention of the GRPO paper's reference code."),
        (lambda: _adv(r, how="sqrt"), _H_SQRT),
        (lambda: _adv(r, std="batch"), "You divided by the std of the whole batch; GRPO "
         "divides each group by its own std (over the last dimension, keepdim=True)."),
        (lambda: _adv(r, how="none"), "Add eps to the std: (r - mean) / (std + eps), not the "
         "std alone, nor std.clamp_min(eps)."),
        (lambda: r - r.mean(-1, keepdim=True), "With scale=True, divide by (std + eps)."),
    ))  # fmt: skip

    const = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]])
    c.case(f"rewards={fmt(const)} (the first group is constant)", (const,), nan_hint=_H_CONST,
           inf_hint=_H_CONST)  # fmt: skip
    c.checks.append(MUSTS["grpo_advantages"]["all equal"])
    small = torch.tensor([[0.0, 0.0, 0.0, 1e-3]])
    c.case(f"rewards={fmt(small)}", (small,), mistakes=(
        (lambda: _adv(small, how="sqrt"), _H_SQRT),
        (lambda: _adv(small, how="clamp"), "You clamped the std at eps (std.clamp_min(eps)); "
         "the formula adds eps: (r - mean) / (std + eps)."),
    ))  # fmt: skip
    c.case(where + ", eps=0.5", (r,), {"eps": 0.5},
           mistakes=((lambda: want, "You ignored the eps argument."),))  # fmt: skip
    for g, n in ((2, 6), (4, 3)):  # group sizes other than 4
        rg = torch.rand(g, n, generator=torch.Generator().manual_seed(61 + n))
        c.case(f"rewards of shape ({g}, {n}) ({g} groups of {n}): {fmt(rg, 3)}", (rg,),
               call_hint="Groups may have any size n (the last "
               "dimension); don't assume 4.", hint="A group is one row, of any size n: "
               "normalise over the last dimension, whatever its group size.")  # fmt: skip
    unscaled = (lambda: want, "With scale=False only subtract the group mean.")
    c.case(where + ", scale=False", (r,), {"scale": False}, mistakes=(unscaled,))


def _ppo(rho, adv, m, reduce="min", sign=-1.0, per_seq=False, lo=0.8, hi=1.2):
    """The PPO loss from the ratio and its slips: max, the clipped or raw term alone, dual-clip PPO
    (a floor 3 * A on the terms of negative advantages), ..."""
    unclipped, clipped = rho * adv, rho.clamp(lo, hi) * adv
    least = torch.minimum(unclipped, clipped)
    pick = {
        "min": least,
        "dual": torch.where(adv < 0, torch.maximum(least, 3.0 * adv), least),
        "max": torch.maximum(unclipped, clipped),
        "clipped": clipped,
        "unclipped": unclipped,
        "clip rho*A": torch.minimum(unclipped, unclipped.clamp(lo, hi)),
    }[reduce]
    x = torch.where(m, sign * pick, 0)
    return (x.sum(-1) / m.sum(-1)).mean() if per_seq else x.sum() / m.sum()


_H_FAR = ("The ratio is exp(logp - old_logp) however far it is from 1; the clip bounds only the "
          "term it is taken against: min(rho * A, clip(rho, 1 - eps, 1 + eps_high) * A).")  # fmt: skip
_H_DUAL = ("This exercise has no dual clip: a negative advantage's term is min(rho * A, "
           "clip(rho) * A) however large rho is, with no lower bound like 3 * A.")  # fmt: skip


@checker("PPO loss")
def ppo_clip_loss(c: Check) -> None:
    r"""Check ``ppo_clip_loss(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None)``.

    :math:`\mathcal{L} = -\frac{1}{\sum m} \sum m \min\big(\rho A,\ \mathrm{clip}(\rho, 1-\epsilon, 1+\epsilon_\mathrm{high}) A\big),\quad \rho = e^{\log p - \log p_\mathrm{old}}`

    >>> def stub(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None):
    ...     raise NotImplementedError  # the student stub
    >>> ppo_clip_loss(stub).status
    … ppo_clip_loss: not done yet -- write the function `ppo_clip_loss` you define in this exercise, then run this cell again.
    'not done'
    """
    old = torch.tensor([[-1.0, -2.0, -0.5, -1.5], [-0.7, -1.2, -2.0, -1.0]])  # (B=2, T=4)
    log_ratio = torch.tensor([[0.5, -0.5, 0.1, 0.3], [-0.4, 0.05, 0.2, 0.0]])
    new = old + log_ratio
    adv = torch.tensor([[1.0, 1.0, -1.0, 2.0], [-1.0, 2.0, 1.0, 0.5]])  # per token
    mask = torch.tensor([[True, True, True, False], [True, True, False, False]])
    args = (new, old, adv, mask)
    where = (f"logp={fmt(new)}, old_logp={fmt(old)}, advantages={fmt(adv)} (per token), "
             f"mask={fmt(mask.int())}")  # fmt: skip
    rho = log_ratio.exp()
    got = c.call(where, *args, hint=_H_ADV)
    c.scalar(got, where, "It is one number: the mean over kept tokens.")
    want = c.ref(*args)
    c.expect(got, want, where, mistakes=(
        (lambda: _ppo(rho, adv, mask, "max"),
         "Take the MINIMUM of the clipped and unclipped terms (the pessimistic bound)."),
        (lambda: _ppo(rho, adv, mask, sign=1.0),
         "The loss is the NEGATIVE of the clipped objective (we minimise the loss)."),
        (lambda: _ppo(rho, adv, torch.ones_like(mask)),
         "You ignored the mask: average only over kept tokens."),
        (lambda: _ppo(rho, adv, mask, per_seq=True),
         "Average over all kept tokens at once (token mean), not per sequence first."),
        (lambda: _ppo(1 / rho, adv, mask), "The ratio is rho = exp(logp - old_logp) (new over old)."),
        (lambda: _ppo(new / old, adv, mask), "logp and old_logp are LOG-probabilities: the "
         "ratio is exp(logp - old_logp), not logp / old_logp."),
        (lambda: _ppo(rho, adv, mask, "clip rho*A"), "Clip the ratio rho, not the product "
         "rho * A: min(rho * A, clip(rho, 1 - eps, 1 + eps_high) * A)."),
        (lambda: _ppo(rho, adv, mask, "clipped"),
         "Take the minimum of the unclipped and the clipped term, not the clipped term alone."),
        (lambda: _ppo(rho, adv, mask, "unclipped"), "You forgot to clip the ratio."),
        (lambda: _ppo(rho[..., None], adv[..., None, :], mask[..., None]), _H_ADV),
    ))  # fmt: skip

    seq_adv = torch.tensor([[1.0], [-0.5]])  # (B, 1) one advantage per sequence
    c.case(f"the same logp, old_logp and mask, advantages={fmt(seq_adv)} (per sequence, "
           "shape (2, 1))", (new, old, seq_adv, mask),
           hint="advantages broadcast to logp's shape: (B, T) per token or (B, 1) per "
           "sequence.")  # fmt: skip
    c.case(where + ", clip_eps_high=0.28", args, {"clip_eps_high": 0.28},
           mistakes=((lambda: want, "You ignored clip_eps_high: the ratio is clipped to "
                      "[1 - clip_eps, 1 + clip_eps_high] (clip-higher)."),))  # fmt: skip
    c.case(where + ", clip_eps=0.1", args, {"clip_eps": 0.1}, mistakes=(
        (lambda: want, "You ignored the clip_eps argument."),
        (lambda: _ppo(rho, adv, mask, lo=0.9, hi=1.2),
         "clip_eps_high defaults to clip_eps when it is None."),
    ))  # fmt: skip
    mask01 = mask.float()
    c.case(where.replace(fmt(mask.int()), f"{fmt(mask01)} (0/1 floats)"),
           (new, old, adv, mask01), call_hint=H.FLOAT_MASK, hint=H.FLOAT_MASK)  # fmt: skip

    # log-probs near -300, ratios far outside the clip on both sides, a mask with holes
    far_old = torch.tensor([[-300.0, -301.0, -299.5, -302.0], [-298.0, -303.0, -300.5, -299.0]])
    far_lr = torch.tensor([[1.5, -2.5, 2.0, 0.2], [-1.8, 1.2, 3.0, -0.1]])  # ratios 0.08 .. 20
    far_new = far_old + far_lr
    far_adv = torch.tensor([[-1.0, 1.0, -2.0, 1.0], [1.0, -1.0, -0.5, 2.0]])
    holes = torch.tensor([[True, False, True, True], [False, True, True, True]])
    far_rho = far_lr.exp()
    where_far = (f"log-probs near -300: old_logp={fmt(far_old)}, log-ratios {fmt(far_lr)} "
                 f"(ratios up to 20), advantages={fmt(far_adv)}, mask with holes "
                 f"{fmt(holes.int())}")  # fmt: skip
    c.case(where_far, (far_new, far_old, far_adv, holes), hint=_H_FAR,
           nan_hint=H.LOG_RATIO, inf_hint=H.LOG_RATIO, mistakes=(
        (lambda: _ppo(far_rho, far_adv, prefix_of(holes)), H.PREFIX),
        (lambda: _ppo(far_rho, far_adv, holes, "dual"), _H_DUAL),
        (lambda: _ppo(far_rho, far_adv, holes, "unclipped"), "You forgot to clip the ratio."),
    ))  # fmt: skip
    c.gradient(where_far, (far_new, far_old, far_adv, holes), wrt=("logp",),
               frozen=("old_logp",), nan_hint=H.LOG_RATIO)  # fmt: skip
    c.gradient(where, args, wrt=("logp",), frozen=("old_logp",))
