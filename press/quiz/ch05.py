"""The self-check quiz of chapter 05, entropy."""

from __future__ import annotations

import math

import torch

import ptcourse as pc

from . import Choice, Mistake, Numeric, Option, Quiz

_H8 = float(pc.entropy(torch.zeros(8)))  # log 8

QUIZ = Quiz(
    chapter="05",
    title="entropy",
    questions=(
        Numeric(
            "What is the entropy, in nats, of a next-token distribution that is uniform over 8 "
            "tokens?",
            answer=round(_H8, 4),
            tolerance=0.005,
            why=rf"$H = -\sum p \log p = \log 8 = {_H8:.3f}$ nats, the largest entropy over 8 tokens.",
            hint=r"Every token has $p = 1/8$; average the surprise $-\log p$.",
            mistakes=(
                Mistake(3.0, r"That is $\log_2 8$, in bits; the course uses nats (natural log)."),
                Mistake(8.0, r"That is $e^H$, the perplexity: the effective number of choices."),
                Mistake(0.125, "That is the probability of each token, not the entropy."),
            ),
        ),
        Choice(
            "During a policy-gradient step, when does the entropy of a token distribution fall?",
            (
                Option(
                    "When likely tokens get the positive advantages (log-probability and "
                    "advantage covary positively)",
                    "The update moves mass toward tokens "
                    "that were already likely, so the distribution sharpens.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "Only when the learning rate is too large",
                    "Entropy falls at any step "
                    "size when the covariance is positive; a large step only speeds it up.",
                ),  # fmt: skip
                Option(
                    "Whenever the advantages have mean zero",
                    "Zero-mean advantages are the "
                    "usual baseline; the sign of the change depends on the covariance.",
                ),  # fmt: skip
                Option(
                    "Never: entropy only falls during SFT",
                    "Chasing a reward is what "
                    "collapses entropy in RL; the chapter's toy run shows it.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            r"On the toy world, what signals that an unleashed RL run ($\beta = 0$) has collapsed?",
            (
                Option(
                    "distinct-2 falls and the hack rate ('great great great') rises",
                    "The answers become one repeated pattern that the flawed reward likes.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "The reward falls",
                    "The reward rises: the collapse is onto what the flawed reward scores highest.",
                ),  # fmt: skip
                Option(
                    "The KL to the reference falls to 0",
                    "Without a leash the KL grows; a KL of 0 means the policy did not move.",
                ),  # fmt: skip
                Option(
                    "The entropy rises",
                    "Collapse is a loss of entropy: fewer answers get the probability.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "Which of these is designed to leave low-probability tokens room to grow during "
            "RL, against entropy collapse?",
            (
                Option(
                    "A higher upper clip in PPO (clip-higher, as in DAPO)",
                    "A ratio cap of "
                    r"$1 + \varepsilon$ lets a rare token's probability grow only by about $\varepsilon\,\pi_{\text{old}}$ per "
                    "round; raising it leaves rare tokens more room. DAPO reports that this "
                    "holds entropy up on long reasoning traces; it acts only when a batch is "
                    "reused (ratios away from 1), and whether it helps depends on the task: "
                    "chapter 7 tries it on the toy world.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "Sampling the rollouts at a lower temperature",
                    "A lower temperature "
                    "sharpens the sampling distribution: less exploration, not more.",
                ),  # fmt: skip
                Option(
                    "Removing the KL penalty",
                    "The leash to the reference also holds the "
                    "reference's spread; removing it lets the policy collapse faster.",
                ),  # fmt: skip
                Option(
                    "A larger learning rate",
                    "Bigger steps follow the same covariance faster, so entropy falls faster.",
                ),  # fmt: skip
            ),
        ),
    ),
)

assert math.isclose(_H8, math.log(8), rel_tol=1e-6)  # the closed form
