"""Sampling answers from a toy model: prompt nouns in, sampled ids and decoded answers out.

``sample`` (for a reader), ``evaluate`` and ``rl`` all go through ``rollout``, so a chapter, an
evaluation and a training step decode and score a rollout the same way.
"""

from __future__ import annotations

import torch

from .data import MAX_NEW_TOKENS, decode_answers, nouns_for, prompt_ids, torch_threads
from .model import TinyLM

__all__ = ["sample", "rollout"]


def rollout(
    model: TinyLM,
    nouns: list[str],
    *,
    temperature: float = 1.0,
    seed: int = 0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, list[str]]:
    """Sample one answer per noun: the ids ``(B, T)`` (prompt included) and the decoded answers.

    ``generator`` (if given) is drawn from instead of a fresh one seeded with ``seed``.

    >>> ids, answers = rollout(TinyLM(seed=0), ["cat", "dog"], seed=1)
    >>> ids.shape[0], len(answers)  # one row and one answer per prompt
    (2, 2)
    """
    with torch_threads():
        ids = model.generate(
            prompt_ids(nouns),
            MAX_NEW_TOKENS,
            temperature=temperature,
            seed=seed,
            generator=generator,
        )  # (B, T)
    return ids, decode_answers(ids)


def sample(
    model: TinyLM,
    n: int = 8,
    *,
    nouns: list[str] | None = None,
    temperature: float = 1.0,
    seed: int = 0,
) -> list[str]:
    """Decoded answers to ``describe NOUN``: ``n`` cycling through the nouns, or one per ``nouns``.

    >>> len(sample(TinyLM(seed=0), 3, seed=0))
    3
    """
    return rollout(model, nouns or nouns_for(n), temperature=temperature, seed=seed)[1]
