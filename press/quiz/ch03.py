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
        Numeric(
            r"Two answers, equally likely under $\pi_{\text{ref}}$, with rewards 1 and 0. With $\beta = 0.5$, "
            r"what probability does the KL-regularised optimal policy "
            r"$\pi^* \propto \pi_{\text{ref}}\, e^{r/\beta}$ give the "
            "first answer?",
            answer=round(float(_PI[0]), 4),
            tolerance=0.005,
            why=rf"$\pi^*(\text{{first}}) = e^2 / (e^2 + e^0) = {float(_PI[0]):.3f}$: the reward divided "
            r"by $\beta$ is the log-odds shift.",
            hint=r"Multiply each $\pi_{\text{ref}}$ by $e^{r/\beta}$ and normalise.",
            mistakes=(
                Mistake(
                    round(float(_PI_NO_BETA[0]), 4),
                    r"That uses $e^r$, i.e. $\beta = 1$; divide the reward by $\beta = 0.5$ first.",
                ),  # fmt: skip
                Mistake(0.5, r"That is $\pi_{\text{ref}}$, the limit of very large $\beta$."),
                Mistake(
                    1.0,
                    r"That is the limit $\beta \to 0$, where $\pi^*$ puts everything on the best answer.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "What does DPO use in place of a learned reward model?",
            (
                Option(
                    r"The implicit reward $\beta \log(\pi(y \mid x) / \pi_{\text{ref}}(y \mid x))$",
                    r"$\pi^*$ determines the "
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
                    r"The leash is folded into the loss through $\beta$ and $\pi_{\text{ref}}$, not removed.",
                ),  # fmt: skip
            ),
        ),
    ),
)
