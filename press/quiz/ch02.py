"""The self-check quiz of chapter 02, likelihood and supervised fine-tuning."""

from __future__ import annotations

import math

import torch

import ptcourse as pc

from . import Choice, Mistake, Numeric, Option, Quiz
from ._compute import target_logits

# prompt tokens 0.1, 0.2 (masked out), response tokens 0.5, 0.8, 0.9
_logits, _targets = target_logits([0.1, 0.2, 0.5, 0.8, 0.9])
_mask = torch.tensor([[False, False, True, True, True]])
_LOGP = float(pc.sequence_logprob(_logits, _targets, _mask)[0])  # log 0.36

QUIZ = Quiz(
    chapter="02",
    title="likelihood and supervised fine-tuning",
    questions=(
        Numeric(
            "A prompt has two tokens, with probabilities 0.1 and 0.2 under the model, and the "
            "response three, with probabilities 0.5, 0.8 and 0.9. What is the response's "
            "log-likelihood given the prompt, as the SFT loss counts it (natural log)?",
            answer=round(_LOGP, 4),
            tolerance=0.005,
            why=rf"Only the response is scored: $\log 0.5 + \log 0.8 + \log 0.9 = \log 0.36 = "
            rf"{_LOGP:.3f}$ nats.",
            hint="Mask the prompt out and add the logs of the response tokens' probabilities.",
            mistakes=(
                Mistake(0.36, "That is the probability itself; take its log."),
                Mistake(
                    round(-_LOGP, 4),
                    "That is the negative log-likelihood (the loss); the "
                    "log-likelihood of a probability below 1 is negative.",
                ),  # fmt: skip
                Mistake(
                    round(_LOGP + math.log(0.1 * 0.2), 4),
                    "That includes the prompt's tokens; the mask leaves them out of the SFT loss.",
                ),  # fmt: skip
                Mistake(
                    round(_LOGP / 3, 4),
                    "That is the mean per response token; the "
                    "log-likelihood of the sequence is the sum.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "Why does the SFT loss mask out the prompt tokens?",
            (
                Option(
                    "We want the model to learn to answer, not to write prompts",
                    "The prompt is given at use time; only the response is the model's to produce.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "The prompt tokens have no logits",
                    "The model computes logits at every "
                    "position; the mask only decides which ones enter the loss.",
                ),  # fmt: skip
                Option(
                    "To make the loss number smaller",
                    "Removing terms changes what is "
                    "learned, not just the number; the reason is what the model should learn.",
                ),  # fmt: skip
                Option(
                    "Because the prompt is always in the training data anyway",
                    "Being in the data is why it could be learned; masking is a choice not to.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "Which objective is supervised fine-tuning on demonstrations?",
            (
                Option(
                    "Maximum likelihood: minimise the cross-entropy of the demonstrations' "
                    "responses",
                    r"Equivalently the forward $\mathrm{KL}(\text{data}\,\|\,\text{model})$, up to the data's entropy.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "Maximise a reward model's score",
                    "That is RL; SFT has no reward, only demonstrations.",
                ),  # fmt: skip
                Option(
                    r"Minimise the reverse $\mathrm{KL}(\text{model}\,\|\,\text{data})$",
                    "That would need the data's "
                    "probabilities; SFT only has samples of it, which give the forward KL.",
                ),  # fmt: skip
                Option(
                    "Maximise the entropy of the answers",
                    "SFT lowers the surprise of the demonstrations; entropy is not its target.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "A batch mixes 2-token and 40-token answers. Which average of the token losses is "
            "maximum likelihood on the data?",
            (
                Option(
                    "The mean over all response tokens of the batch",
                    "Every token counts "
                    "once, so the loss is the data's negative log-likelihood divided by a "
                    "constant.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    "Each answer's own mean, then the mean over answers",
                    "That divides "
                    "each answer's terms by its length, so a short answer's tokens weigh "
                    "20 times more: the model drifts to terse answers.",
                ),  # fmt: skip
                Option(
                    "Both are the same", "They agree only when every answer has the same length."
                ),  # fmt: skip
                Option(
                    "The largest token loss of each answer",
                    "A maximum is not a likelihood; it ignores every other token.",
                ),  # fmt: skip
            ),
        ),
    ),
)
