"""The self-check quiz of chapter 08, preferences, libraries and exploration in practice."""

from __future__ import annotations

import torch

import ptcourse as pc
from ptcourse.toy.exploration import pass_at_k

from . import Choice, Mistake, Numeric, Option, Quiz


def _ipo(margin: float, tau: float) -> float:
    """IPO's loss of one pair whose margin h (chosen minus rejected log-ratio) is ``margin``."""
    zero = torch.zeros(1)
    return float(pc.ipo_loss(torch.tensor([margin]), zero, zero, zero, tau=tau))


_IPO = _ipo(1.0, 0.25)  # (1 - 1/(2 * 0.25))^2 = (1 - 2)^2
_IPO_TARGET_2TAU = (1.0 - 2 * 0.25) ** 2  # a target of 2 tau instead of 1/(2 tau)
_IPO_TARGET_1_OVER_TAU = (1.0 - 1 / 0.25) ** 2  # a target of 1/tau

# Two microbatches of 15 and 3 kept tokens, as in the chapter: each token's gradient weight.
_MASK = torch.zeros(6, 5, dtype=torch.bool)
_MASK[:3, :] = True
_MASK[3:, :1] = True
_TOKENS = torch.zeros(6, 5, dtype=torch.float64, requires_grad=True)
for _sl in (slice(0, 3), slice(3, 6)):  # the per-microbatch mean, divided by M = 2 (the 2024 bug)
    (pc.aggregate_loss(_TOKENS[_sl], _MASK[_sl]) / 2).backward()
_NAIVE_W2 = float(_TOKENS.grad[3, 0])  # a token of the short microbatch: 1 / (2 * 3)
_NAIVE_W1 = float(_TOKENS.grad[0, 0])  # a token of the long one: 1 / (2 * 15)
_FULL_W = float(
    torch.autograd.grad(pc.aggregate_loss(_TOKENS, _MASK), _TOKENS)[0][3, 0]
)  # 1 / 18, every token alike

_PASS = pass_at_k(4, 1, 2)  # 1 - C(3, 2) / C(4, 2)
_PASS_BIASED = 1 - (1 - 1 / 4) ** 2  # sampling with replacement: biased low
_PASS_1 = pass_at_k(4, 1, 1)  # the success rate c / n

QUIZ = Quiz(
    chapter="08",
    title="preferences, libraries and exploration",
    questions=(
        Numeric(
            r"IPO with $\tau = 0.25$, on a pair whose margin $h$ (chosen log-ratio minus rejected "
            r"log-ratio to the reference) is 1 nat. What is its loss $(h - 1/(2\tau))^2$?",
            answer=round(_IPO, 4),
            tolerance=0.005,
            why=rf"The target is $1/(2\tau) = 2$, so the loss is $(1 - 2)^2 = {_IPO:.1f}$: below the "
            "target IPO pushes the margin up, above it pushes it back down.",
            hint=r"Compute the target margin $1/(2\tau)$ first, then square the distance to it.",
            mistakes=(
                Mistake(
                    round(_IPO_TARGET_2TAU, 4),
                    r"That uses a target of $2\tau = 0.5$; IPO's target is $1/(2\tau) = 2$.",
                ),  # fmt: skip
                Mistake(
                    round(_IPO_TARGET_1_OVER_TAU, 4),
                    r"That uses a target of $1/\tau = 4$; IPO's target is half of that.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "DPO trained for a while on deterministic labels (the better answer always wins). "
            "What happened to the chosen answers' log-ratio to the reference in the chapter?",
            (
                Option(
                    "It rose briefly, then fell below zero while the rejected one fell faster",
                    "The loss sees only the difference of the two log-ratios; lowering both, "
                    "the rejected one more, widens the margin too: likelihood displacement.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "It rose steadily, since DPO raises the chosen answers",
                    "DPO raises the margin, not the chosen answers; nothing in its loss keeps "
                    "their likelihood from falling.",
                ),  # fmt: skip
                Option(
                    r"It settled at $1/(2\beta)$",
                    r"A fixed target margin is IPO's $1/(2\tau)$; DPO's margin keeps growing.",
                ),  # fmt: skip
                Option(
                    "It stayed at 0, since the reference is fixed",
                    "The reference is fixed, but the policy's log-probability of the chosen "
                    "answers moves.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "With TRL's default GRPOConfig, what keeps the policy near where it started?",
            (
                Option(
                    "Nothing in the loss: only the optimiser's step size",
                    r"The default `beta` is 0.0 (no reference model, no KL term), and with "
                    r"`num_iterations=1`, no vLLM and `steps_per_generation` equal to the "
                    r"gradient accumulation steps, TRL takes $\pi_{\text{old}}$ to be the detached current "
                    "log-probability: every ratio is exactly 1 and the clip never binds.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    r"The clip of the ratio to $\pi_{\text{old}}$",
                    r"Under the defaults the ratio is `exp(logp - logp.detach())` = 1, so the "
                    "clip never acts. And when it does act (several iterations per batch), it "
                    r"bounds each step against $\pi_{\text{old}}$, not the distance from the start.",
                ),  # fmt: skip
                Option(
                    r"A $k_3$ KL term to the reference in the loss",
                    "TRL computes one only when `beta > 0`, and its default is 0.0.",
                ),  # fmt: skip
                Option(
                    "A per-token KL penalty in the reward",
                    "That is the PPO tradition (InstructGPT); TRL's GRPO has no KL by default.",
                ),  # fmt: skip
                Option(
                    "An adaptive KL controller",
                    "That is Ziegler et al.'s controller for a KL in the reward, not a GRPO "
                    "default.",
                ),  # fmt: skip
            ),
        ),
        Numeric(
            "A step accumulates two microbatches, one of 15 kept tokens and one of 3. Each "
            "microbatch's loss is its own token mean, divided by the 2 accumulation steps. What "
            "gradient weight does a token of the 3-token microbatch get?",
            answer=round(_NAIVE_W2, 4),
            tolerance=0.002,
            why=rf"$1 / (2 \cdot 3) = {_NAIVE_W2:.4f}$, five times a token of the long microbatch "
            rf"({_NAIVE_W1:.4f}); the full batch gives every token $1/18 = {_FULL_W:.4f}$. "
            "Dividing each microbatch's sum by the step's 18 tokens fixes it.",
            hint="A token's weight is 1 / (number of microbatches × its own microbatch's tokens).",
            mistakes=(
                Mistake(
                    round(_FULL_W, 4),
                    "That is the full batch's weight 1/18, what the fix (divide by the whole "
                    "step's token count) gives, not the per-microbatch mean.",
                ),  # fmt: skip
                Mistake(
                    round(_NAIVE_W1, 4),
                    r"That is the weight of a token of the 15-token microbatch, $1/(2 \cdot 15)$.",
                ),  # fmt: skip
                Mistake(
                    round(1 / 3, 4),
                    "That forgets the division by the 2 accumulation steps.",
                ),  # fmt: skip
            ),
        ),
        Numeric(
            r"Of $n = 4$ samples for a prompt, $c = 1$ solves it. What is the unbiased estimate of "
            r"pass@2, $1 - \binom{n - c}{k} \big/ \binom{n}{k}$?",
            answer=round(_PASS, 4),
            tolerance=0.005,
            why=rf"$\binom32 \big/ \binom42 = 3/6$, so pass@2 = {_PASS:.2f}: half of the pairs of "
            "samples drawn without replacement include the success.",
            hint="Count the ways to pick 2 of the 3 failures, over the ways to pick 2 of all 4.",
            mistakes=(
                Mistake(
                    round(_PASS_BIASED, 4),
                    r"That is $1 - (1 - c/n)^k$, which draws with replacement and is biased low.",
                ),  # fmt: skip
                Mistake(
                    round(_PASS_1, 4),
                    r"That is pass@1, the success rate $c/n$; a second try adds to it.",
                ),  # fmt: skip
            ),
        ),
    ),
)

assert abs(_IPO - 1.0) < 1e-6 and abs(_PASS - 0.5) < 1e-12  # the closed forms
assert abs(_NAIVE_W2 - 1 / 6) < 1e-12 and abs(_FULL_W - 1 / 18) < 1e-12
