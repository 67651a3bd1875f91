"""A learned reward model for the toy world: Bradley-Terry on preference pairs, and where it is wrong.

The hidden "true" preference (what the labellers want) is ``true_quality``: a point for a
grammatical sentence, one for talking about the animal asked for. It labels pairs of the SFT
model's answers with Bradley-Terry noise (Bradley & Terry, 1952); a reward model is fitted to them
with ``ptcourse.bradley_terry_loss`` (Ouyang et al., 2022, eq. 1). It is deliberately small: a
linear score of the answer's word counts plus how often the asked noun occurs,

.. math::

    r_\\phi(x, y) = b + \\sum_{w} \\phi_w\\, \\#_w(y) + \\phi_{\\text{noun}}\\, \\#_{\\text{noun}(x)}(y),

so it ranks the SFT model's answers well but cannot see word order: a policy optimised against it
finds inputs it never saw, where its scores stop meaning quality (Gao, Schulman & Hilton, 2023,
*Scaling laws for reward model over-optimization*).
"""

from __future__ import annotations

import torch

from ..reward_model import bradley_terry_loss
from . import grammar, seeding
from .data import nouns_for
from .model import TinyLM
from .sampling import rollout
from .tokenizer import TOKENIZER
from .topic import on_topic_rate

__all__ = [
    "PAIR_TEMPERATURE",
    "BowRewardModel",
    "true_quality",
    "preference_pairs",
    "fit_reward_model",
    "pair_accuracy",
]

#: Sampling temperature of the pair pool: hot enough that about half the answers are flawed.
PAIR_TEMPERATURE = 1.6


def true_quality(texts: list[str], nouns: list[str]) -> torch.Tensor:
    """The hidden preference: 1 for a grammatical answer plus 1 for an on-topic one, ``(B,)``.

    .. math::

        q(x, y) = \\mathbb 1[y \\text{ grammatical}] + \\mathbb 1[\\text{first noun of } y = \\text{noun}(x)]

    >>> true_quality(["the cat is red .", "the dog is red .", "great great"], ["cat", "cat", "cat"])
    tensor([2., 1., 0.])
    """
    if len(texts) != len(nouns):
        raise ValueError(
            f"true_quality: 'texts' and 'nouns' must have equal lengths, got {len(texts)} and "
            f"{len(nouns)}"
        )
    return torch.tensor(
        [
            float(grammar.is_grammatical(t)) + on_topic_rate([t], [n])
            for t, n in zip(texts, nouns, strict=True)
        ]
    )


class BowRewardModel(torch.nn.Module):
    """Linear reward model on word counts (plus the count of the asked noun); ``forward(texts, nouns)``.

    >>> BowRewardModel()(["the cat is red ."], ["cat"])  # untrained: every score 0
    tensor([0.], grad_fn=<SqueezeBackward1>)
    """

    def __init__(self) -> None:
        super().__init__()
        self.n_words = len(TOKENIZER)
        self.linear = torch.nn.Linear(self.n_words + 1, 1)
        torch.nn.init.zeros_(self.linear.weight)
        torch.nn.init.zeros_(self.linear.bias)

    def features(self, texts: list[str], nouns: list[str]) -> torch.Tensor:
        """Counts ``(B, V + 1)``: each vocabulary word in the answer, then the asked noun."""
        if len(texts) != len(nouns):
            raise ValueError(
                f"BowRewardModel: 'texts' and 'nouns' must have equal lengths, got {len(texts)} "
                f"and {len(nouns)}"
            )
        out = torch.zeros(len(texts), self.n_words + 1)
        for i, (t, n) in enumerate(zip(texts, nouns, strict=True)):
            ids = TOKENIZER.encode(t)
            if ids:
                out[i, : self.n_words] = torch.bincount(
                    torch.tensor(ids), minlength=self.n_words
                ).float()
            out[i, -1] = t.split().count(n)
        return out

    def forward(self, texts: list[str], nouns: list[str]) -> torch.Tensor:
        return self.linear(self.features(texts, nouns)).squeeze(-1)  # (B,)

    def weight_of(self, word: str) -> float:
        """The learned score of one occurrence of ``word``."""
        return float(self.linear.weight[0, TOKENIZER.encode(word)[0]])


def preference_pairs(
    model: TinyLM,
    n_prompts: int,
    *,
    temperature: float = PAIR_TEMPERATURE,
    noise: float = 0.5,
    seed: int = 0,
) -> list[tuple[str, str, str]]:
    """Label pairs of sampled answers with the hidden preference: ``(noun, chosen, rejected)``.

    Two answers per prompt, kept if their ``true_quality`` differs; the better one is *chosen*
    with the Bradley-Terry probability

    .. math::

        P(y_1 \\succ y_2) = \\sigma\\big((q(x, y_1) - q(x, y_2)) / \\tau\\big), \\qquad \\tau = \\text{noise}

    (``noise=0``: always the better one).

    >>> all(len(p) == 3 for p in preference_pairs(TinyLM(seed=0), 8))
    True
    """
    if not (isinstance(n_prompts, int) and n_prompts >= 1):
        raise ValueError(f"preference_pairs: 'n_prompts' must be an int >= 1, got {n_prompts!r}")
    if not noise >= 0:
        raise ValueError(f"preference_pairs: 'noise' must be >= 0, got {noise!r}")
    gen = seeding.generator(seed)
    nouns = nouns_for(n_prompts, gen)
    twice = [n for n in nouns for _ in range(2)]
    _, texts = rollout(model, twice, temperature=temperature, generator=gen)
    q = true_quality(texts, twice).view(-1, 2)  # (P, 2)
    gap = q[:, 0] - q[:, 1]  # (P,)
    if noise > 0:
        first = torch.rand(len(nouns), generator=gen) < torch.sigmoid(gap / noise)
    else:
        first = gap > 0
    a, b = texts[0::2], texts[1::2]  # the first and the second answer of each prompt
    return [
        (n, a[i], b[i]) if bool(first[i]) else (n, b[i], a[i])
        for i, n in enumerate(nouns)
        if gap[i] != 0
    ]


def pair_accuracy(rm: BowRewardModel, pairs: list[tuple[str, str, str]]) -> float:
    """Fraction of pairs whose chosen answer the reward model scores strictly higher."""
    if not pairs:
        raise ValueError("pair_accuracy: 'pairs' is empty")
    nouns, chosen, rejected = ([p[k] for p in pairs] for k in range(3))
    with torch.no_grad():
        rc, rr = rm(chosen, nouns), rm(rejected, nouns)
    return float((rc > rr).float().mean())


def fit_reward_model(
    pairs: list[tuple[str, str, str]],
    *,
    steps: int = 300,
    lr: float = 0.05,
    weight_decay: float = 1e-3,
) -> tuple[BowRewardModel, dict]:
    """Fit a ``BowRewardModel`` to ``(noun, chosen, rejected)`` pairs by full-batch Adam on the BT loss.

    Returns the model (frozen) and its history: ``loss`` and training ``accuracy`` per step.

    >>> rm, hist = fit_reward_model([("cat", "the cat is red .", "great great")], steps=20)
    >>> hist["loss"][0] > hist["loss"][-1], rm(["the cat is red ."], ["cat"]) > rm(["great great"], ["cat"])
    (True, tensor([True]))
    """
    if not pairs:
        raise ValueError("fit_reward_model: 'pairs' is empty")
    rm = BowRewardModel()
    nouns, chosen, rejected = ([p[k] for p in pairs] for k in range(3))
    fc, fr = rm.features(chosen, nouns), rm.features(rejected, nouns)  # (P, V+1) each
    opt = torch.optim.Adam(rm.parameters(), lr=lr)
    hist: dict[str, list[float]] = {"loss": [], "accuracy": []}
    for _ in range(steps):
        rc, rr = rm.linear(fc).squeeze(-1), rm.linear(fr).squeeze(-1)  # (P,)
        loss = bradley_terry_loss(rc, rr) + weight_decay * rm.linear.weight.square().sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        hist["loss"].append(float(loss.detach()))
        hist["accuracy"].append(float((rc > rr).float().mean()))
    rm.requires_grad_(False)
    return rm, hist
