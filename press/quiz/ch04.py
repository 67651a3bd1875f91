"""The self-check quiz of chapter 04, the KL leash."""

from __future__ import annotations

import torch

import ptcourse as pc

from . import Choice, Mistake, Numeric, Option, Quiz

_PI = pc.kl_regularized_policy(torch.zeros(2), torch.tensor([1.0, 0.0]), 0.5).exp()
_PI_NO_BETA = pc.kl_regularized_policy(torch.zeros(2), torch.tensor([1.0, 0.0]), 1.0).exp()

QUIZ = Quiz(
    chapter="04",
    title="the KL leash",
    questions=(
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
            r"A policy-gradient step weights each sampled answer's $\nabla_\theta \log \pi_\theta(y)$ "
            r"by its reward $r(y)$. You subtract the same constant $b = 0.3$ from every reward. "
            "What happens to the expected gradient?",
            (
                Option(
                    "Nothing: it is unchanged",
                    r"$\mathbb{E}_{y \sim \pi_\theta}[\nabla_\theta \log \pi_\theta(y)] = "
                    r"\sum_y \nabla_\theta \pi_\theta(y) = \nabla_\theta 1 = 0$, so $b$ drops out of "
                    "the average; what it changes is how much a batch's estimate scatters.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "It shrinks by a factor 0.3",
                    r"Subtracting a constant is not scaling, and the term that $b$ adds averages to zero.",
                ),  # fmt: skip
                Option(
                    "It becomes biased toward the answers with low reward",
                    r"A baseline that does not depend on the sampled answer adds no bias: its term "
                    r"averages to zero under $\pi_\theta$.",
                ),  # fmt: skip
                Option(
                    "It points the other way for answers whose reward is below 0.3",
                    "That is true of one sample's term, not of the expected gradient, which is the "
                    "same as without $b$.",
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
