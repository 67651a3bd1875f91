"""The self-check quiz of chapter 03, KL divergence and its estimators."""

from __future__ import annotations

import math

import torch

import ptcourse as pc

from . import Choice, Mistake, Numeric, Option, Quiz

_p, _q = torch.tensor([0.5, 0.5]).log(), torch.tensor([0.9, 0.1]).log()
_KL_PQ = float(pc.kl_divergence(_p, _q))
_KL_QP = float(pc.kl_divergence(_q, _p))

QUIZ = Quiz(
    chapter="03",
    title="KL divergence and its estimators",
    questions=(
        Numeric(
            r"$p = (0.5, 0.5)$ and $q = (0.9, 0.1)$ over two tokens. What is $\mathrm{KL}(p\,\|\,q)$ in nats?",
            answer=round(_KL_PQ, 4),
            tolerance=0.005,
            why=rf"$\mathrm{{KL}}(p\,\|\,q) = \sum p \log(p/q) = 0.5 \log(0.5/0.9) + 0.5 \log(0.5/0.1) "
            rf"= {_KL_PQ:.3f}$.",
            hint=r"Average $\log(p/q)$ under $p$, in natural logs.",
            mistakes=(
                Mistake(
                    round(_KL_QP, 4),
                    r"That is $\mathrm{KL}(q\,\|\,p)$: the divergence is not symmetric, "
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
            r"$\mathrm{KL}(\text{model}\,\|\,\text{target})$. Where does the model end up?",
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
            r"With $r = q(x)/p(x)$ for samples $x$ from $p$, which estimator of $\mathrm{KL}(p\,\|\,q)$ is unbiased "
            "and never negative on a single sample?",
            (
                Option(
                    r"$k_3 = (r - 1) - \log r$",
                    r"Its mean under $p$ is $\mathrm{KL}(p\,\|\,q)$ because $\mathbb{E}[r] = 1$, "
                    r"and $x - 1 - \log x \ge 0$ for every $x$.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    r"$k_1 = -\log r$",
                    "Unbiased, but a single sample can be negative and its spread is large.",
                ),  # fmt: skip
                Option(
                    r"$k_2 = \tfrac12 (\log r)^2$",
                    "Never negative and low-variance, but biased: its "
                    r"mean is close to KL only when $p$ and $q$ are close.",
                ),  # fmt: skip
                Option("None of them", r"$k_3$ has both properties."),
            ),
        ),
    ),
)
