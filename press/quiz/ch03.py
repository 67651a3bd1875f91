"""The self-check quiz of chapter 03, KL divergence as the leash."""

from __future__ import annotations

import math

import torch

import ptcourse as pc

from . import Choice, Mistake, Numeric, Option, Quiz

_p, _q = torch.tensor([0.5, 0.5]).log(), torch.tensor([0.9, 0.1]).log()
_KL_PQ = float(pc.kl_divergence(_p, _q))
_KL_QP = float(pc.kl_divergence(_q, _p))
_PI = pc.kl_regularized_policy(torch.zeros(2), torch.tensor([1.0, 0.0]), 0.5).exp()
_PI_NO_BETA = pc.kl_regularized_policy(torch.zeros(2), torch.tensor([1.0, 0.0]), 1.0).exp()

QUIZ = Quiz(
    chapter="03",
    title="KL divergence, the leash",
    questions=(
        Numeric(
            "p = (0.5, 0.5) and q = (0.9, 0.1) over two tokens. What is KL(p ‖ q) in nats?",
            answer=round(_KL_PQ, 4),
            tolerance=0.005,
            why=f"KL(p ‖ q) = Σ p log(p/q) = 0.5 log(0.5/0.9) + 0.5 log(0.5/0.1) = {_KL_PQ:.3f}.",
            hint="Average log(p/q) under p, in natural logs.",
            mistakes=(
                Mistake(
                    round(_KL_QP, 4),
                    "That is KL(q ‖ p): the divergence is not symmetric, "
                    "and the first argument is the one you average under.",
                ),  # fmt: skip
                Mistake(
                    round(_KL_PQ / math.log(2), 4),
                    "That is the answer in bits; the course measures KL in nats (natural log).",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "You fit a one-bump model to a two-bump target by minimising the reverse KL, "
            "KL(model ‖ target). Where does the model end up?",
            (
                Option(
                    "On one of the two bumps",
                    "The reverse KL punishes mass where the "
                    "target has none, so the model hides in one mode (mode seeking).",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "Spread over both bumps",
                    "That is the forward KL, which punishes "
                    "missing any of the target's mass (mass covering).",
                ),  # fmt: skip
                Option(
                    "Exactly between the two bumps",
                    "The middle has little target mass, which the reverse KL punishes hardest.",
                ),  # fmt: skip
                Option(
                    "Anywhere: both directions give the same fit",
                    "KL is not symmetric; the two directions give different fits here.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "With r = q(x)/p(x) for samples x from p, which estimator of KL(p ‖ q) is unbiased "
            "and never negative on a single sample?",
            (
                Option(
                    "k3 = (r − 1) − log r",
                    "Its mean under p is KL(p ‖ q) because E[r] = 1, "
                    "and x − 1 − log x ≥ 0 for every x.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "k1 = −log r",
                    "Unbiased, but a single sample can be negative and its spread is large.",
                ),  # fmt: skip
                Option(
                    "k2 = ½ (log r)²",
                    "Never negative and low-variance, but biased: its "
                    "mean is close to KL only when p and q are close.",
                ),  # fmt: skip
                Option("None of them", "k3 has both properties."),
            ),
        ),
        Numeric(
            "Two answers, equally likely under π_ref, with rewards 1 and 0. With β = 0.5, what "
            "probability does the KL-regularised optimal policy π* ∝ π_ref e^(r/β) give the "
            "first answer?",
            answer=round(float(_PI[0]), 4),
            tolerance=0.005,
            why=f"π*(first) = e^2 / (e^2 + e^0) = {float(_PI[0]):.3f}: the reward divided by β "
            "is the log-odds shift.",
            hint="Multiply each π_ref by e^(r/β) and normalise.",
            mistakes=(
                Mistake(
                    round(float(_PI_NO_BETA[0]), 4),
                    "That uses e^r, i.e. β = 1; divide the reward by β = 0.5 first.",
                ),  # fmt: skip
                Mistake(0.5, "That is π_ref, the limit of very large β."),
                Mistake(
                    1.0, "That is the limit β → 0, where π* puts everything on the best answer."
                ),  # fmt: skip
            ),
        ),
        Choice(
            "What does DPO use in place of a learned reward model?",
            (
                Option(
                    "The implicit reward β log(π(y|x) / π_ref(y|x))",
                    "π* determines the "
                    "reward up to a per-prompt constant, which cancels in a preference pair.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "The reference model's log-probability alone",
                    "The reference enters only through the ratio with the policy.",
                ),  # fmt: skip
                Option(
                    "The number of preference pairs",
                    "The data is the pairs; the reward is the scaled log-ratio.",
                ),  # fmt: skip
                Option(
                    "Nothing: DPO needs no KL leash",
                    "The leash is folded into the loss through β and π_ref, not removed.",
                ),  # fmt: skip
            ),
        ),
    ),
)
