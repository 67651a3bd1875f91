"""The self-check quiz of chapter 06, the post-training toolkit."""

from __future__ import annotations

import torch

import ptcourse as pc

from . import Choice, Mistake, Numeric, Option, Quiz

# grpo_advantages divides by the Bessel (n - 1) std, as TRL does: trl/trainer/grpo_trainer.py at
# f2cd577, `nanstd(rewards.view(-1, num_generations), dim=1)`, and trl/trainer/utils.py's nanstd
# multiplies the NaN-ignoring variance by count / (count - 1).
_REWARDS = torch.tensor([[1.0, 0.0, 0.0, 1.0]])  # one group of four answers, two right
_ADV = float(pc.grpo_advantages(_REWARDS)[0, 0])
_ADV_RAW = float(pc.grpo_advantages(_REWARDS, scale=False)[0, 0])
_ADV_POP = _ADV_RAW / 0.5  # the population std of these rewards is 0.5


def _clip_objective(ratio: float, advantage: float) -> float:
    """The PPO clipped objective of one token (minus ``ppo_clip_loss``)."""
    logp = torch.tensor([[float(torch.tensor(ratio).log())]])
    loss = pc.ppo_clip_loss(logp, torch.zeros(1, 1), torch.tensor([[advantage]]),
                            torch.ones(1, 1, dtype=torch.bool), clip_eps=0.2)  # fmt: skip
    return -float(loss)


_CLIPPED = _clip_objective(1.5, 2.0)

QUIZ = Quiz(
    chapter="06",
    title="the post-training toolkit",
    questions=(
        Numeric(
            "A GRPO group of four answers to one prompt gets rewards 1, 0, 0, 1. What is the "
            "advantage of the first answer (group mean and sample standard deviation)?",
            answer=round(_ADV, 4),
            tolerance=0.005,
            why=rf"Mean 0.5, sample standard deviation $\sqrt{{4 \cdot 0.25 / 3}} = 0.577$, so "
            rf"$A = 0.5 / 0.577 = {_ADV:.3f}$.",
            hint="Subtract the group's mean reward, then divide by the group's standard "
            r"deviation ($n - 1$ in the denominator).",
            mistakes=(
                Mistake(
                    round(_ADV_POP, 4),
                    "That divides by the population standard deviation "
                    r"($n$ in the denominator, 0.5); `grpo_advantages`, like TRL's `nanstd`, uses $n - 1$.",
                ),  # fmt: skip
                Mistake(
                    round(_ADV_RAW, 4),
                    "That is the reward minus the mean, without the "
                    "division by the spread (Dr. GRPO's choice, not GRPO's).",
                ),  # fmt: skip
            ),
        ),
        Numeric(
            r"One token has probability ratio $\rho = \pi/\pi_{\text{old}} = 1.5$ and advantage $A = 2$. "
            r"With $\varepsilon = 0.2$, what is its PPO clipped objective "
            r"$\min(\rho A, \operatorname{clip}(\rho, 1 - \varepsilon, 1 + \varepsilon) A)$?",
            answer=round(_CLIPPED, 4),
            tolerance=0.005,
            why=rf"$\rho A = 3.0$, but the clipped ratio is 1.2, so the minimum is $1.2 \cdot 2 = "
            rf"{_CLIPPED:.1f}$: no extra credit for moving the ratio past $1 + \varepsilon$.",
            hint="Clip the ratio to [0.8, 1.2], multiply both versions by A, take the smaller.",
            mistakes=(
                Mistake(
                    3.0, r"That is the unclipped $\rho A$; the minimum picks the clipped term."
                ),
                Mistake(
                    round(-_CLIPPED, 4),
                    "That is the loss (the minus sign); the question asks for the objective.",
                ),  # fmt: skip
                Mistake(
                    1.6,
                    r"That clips to the lower bound $1 - \varepsilon$; a ratio of 1.5 is clipped to $1 + \varepsilon$.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "What does GRPO use instead of PPO's learned value function (the critic)?",
            (
                Option(
                    "The other answers to the same prompt: the group's mean (and spread) of "
                    "rewards",
                    "The group is the baseline, so no critic is trained.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "The reward model's score alone",
                    "A score without a baseline gives "
                    "noisy, all-positive signals; the group mean is the baseline.",
                ),  # fmt: skip
                Option(
                    "The reference model's log-probabilities",
                    "Those enter through the KL term, not the advantage.",
                ),  # fmt: skip
                Option("A larger clip range", "The clip limits the step; it is no baseline."),
            ),
        ),
        Choice(
            "A DPO policy starts equal to its reference. What is the DPO loss of every "
            "preference pair at that point?",
            (
                Option(
                    r"$\log 2 \approx 0.693$",
                    r"Both log-ratios are 0, so the loss is $-\log \sigma(0) = \log 2$, whatever $\beta$.",
                    correct=True,
                ),  # fmt: skip
                Option("0", r"A loss of 0 would need $\sigma(\cdot) = 1$, an infinite margin."),
                Option(
                    r"It depends on $\beta$", r"$\beta$ multiplies a margin that is 0 at the start."
                ),
                Option("1", r"$-\log \sigma(0)$ is $\log 2$, not 1."),
            ),
        ),
    ),
)

assert abs(_CLIPPED - 2.4) < 1e-4  # the closed form 1.2 * 2
