"""The self-check quiz of chapter 01, next-token prediction."""

from __future__ import annotations

import torch

import ptcourse as pc

from . import Choice, Mistake, Numeric, Option, Quiz
from ._compute import target_logits

_PROBS = [0.5, 0.5, 0.25, 0.25]
_logits, _targets = target_logits(_PROBS)
_CE = float(pc.cross_entropy(_logits, _targets))  # 1.5 log 2 nats
_PPL = float(pc.perplexity(_logits, _targets))  # 2 ** 1.5

QUIZ = Quiz(
    chapter="01",
    title="next-token prediction",
    questions=(
        Numeric(
            "A model gives the four tokens of a sentence the probabilities 0.5, 0.5, 0.25 and "
            "0.25. What is its perplexity on this sentence?",
            answer=round(_PPL, 4),
            tolerance=0.01,
            why=rf"The cross-entropy is the mean surprise, $(2 \log 2 + 2 \log 4) / 4 = {_CE:.3f}$ "
            rf"nats, and the perplexity is its exponential, $2^{{1.5}} = {_PPL:.3f}$: the model is as "
            "unsure as a choice among about three equally likely tokens.",
            hint=r"Average the surprises $-\log p$ of the four tokens (in nats), then exponentiate.",
            mistakes=(
                Mistake(
                    round(_CE, 4),
                    "That is the cross-entropy in nats; perplexity is its exponential.",
                ),  # fmt: skip
                Mistake(
                    1.5,
                    "That is the cross-entropy in bits (log base 2); perplexity is "
                    "2 to that power, or e to the cross-entropy in nats.",
                ),  # fmt: skip
                Mistake(
                    round(1 / (sum(_PROBS) / 4), 4),
                    "That is one over the average "
                    "probability; perplexity averages the log-probabilities (a geometric "
                    "mean), not the probabilities.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "You add the same constant c to every logit before the softmax. What happens to the "
            "next-token probabilities?",
            (
                Option(
                    "Nothing: they stay exactly the same",
                    r"$e^{z+c} = e^c e^z$, and the $e^c$ "
                    "cancels between the numerator and the normalising sum.",
                    correct=True,
                ),  # fmt: skip
                Option("They all grow", "They still sum to 1, so they cannot all grow."),
                Option(
                    "The largest one grows, the others shrink",
                    "That is what multiplying "
                    "the logits by a number above 1 (a temperature below 1) does, not adding.",
                ),  # fmt: skip
                Option(
                    "Only the tokens with positive logits change",
                    "The softmax depends only "
                    "on differences of logits, and adding c changes no difference.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "What does sampling at temperature T = 2 (logits divided by 2) do to the "
            "next-token distribution?",
            (
                Option(
                    "Flattens it: its entropy rises",
                    "Dividing the logits shrinks their "
                    "differences, so the probabilities move toward uniform.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "Sharpens it: its entropy falls",
                    "That is T below 1, which stretches the differences between logits.",
                ),  # fmt: skip
                Option(
                    "Changes which token is most likely",
                    "Dividing by a positive number "
                    "keeps the order of the logits, so the ranking is unchanged.",
                ),  # fmt: skip
                Option(
                    "Nothing, since the softmax normalises",
                    "Normalising removes a common shift of the logits, not a common scale.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "Why can a model's cross-entropy on data never go below the entropy of the data?",
            (
                Option(
                    r"Cross-entropy = entropy + $\mathrm{KL}(\text{data}\,\|\,\text{model})$, and a KL is never negative",
                    "The gap is exactly the KL, zero only when the model equals the data "
                    "distribution.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "Because perplexity is at least 1",
                    "True, but that bounds the "
                    "cross-entropy below by 0, not by the data's entropy.",
                ),  # fmt: skip
                Option(
                    "Because training stops before it gets there",
                    "It is a bound on every "
                    "model, trained or not, not a property of the optimiser.",
                ),  # fmt: skip
                Option(
                    "It can, with a large enough model",
                    "No model beats the data's own randomness: the KL term cannot be negative.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "Why do we add log-probabilities instead of multiplying probabilities?",
            (
                Option(
                    "A product of hundreds of probabilities underflows to 0 in float32",
                    "Each factor is below 1; the log-sum stays an ordinary number.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "Logarithms are faster to compute than products",
                    "A log costs more than "
                    "a multiplication; the reason is numerical range, not speed.",
                ),  # fmt: skip
                Option("Probabilities can be negative", "They cannot; their logs are negative."),
                Option(
                    "It changes which sequence is most likely",
                    "The log is increasing, so it keeps the order of the likelihoods.",
                ),  # fmt: skip
            ),
        ),
    ),
)

assert torch.isclose(torch.tensor(_PPL), torch.tensor(2.0**1.5), atol=1e-4)  # the closed form
