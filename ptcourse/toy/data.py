"""The toy world's data: prompts, demonstrations, SFT labels, answer masks and answer decoding.

A prompt is ``<bos> <q> describe NOUN <a>`` (``PROMPT_LEN`` tokens); an answer follows it up to
its first ``<eos>``. SFT labels mask the prompt out (``-100``, PyTorch's ``ignore_index``), as in
InstructGPT's SFT step (Ouyang et al., 2022).
"""

from __future__ import annotations

import contextlib
import functools

import torch

from . import grammar
from .tokenizer import TOKENIZER

__all__ = [
    "PROMPT_LEN",
    "MAX_NEW_TOKENS",
    "prompt_ids",
    "demo_batch",
    "response_mask",
    "decode_answers",
    "train_demos",
    "heldout_demos",
]

PROMPT_LEN = 5  # <bos> <q> describe NOUN <a>
MAX_NEW_TOKENS = 11  # longest sentence (10 words) + <eos>


@contextlib.contextmanager
def torch_threads(n: int = 1):
    """Run tiny-model work on ``n`` threads (faster than many for d=64, and reproducible)."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def prompt_ids(nouns: list[str]) -> torch.Tensor:
    """The prompt ids ``(B, PROMPT_LEN)`` of ``describe NOUN`` instructions.

    >>> prompt_ids(["cat", "dog"]).shape  # (B, P)
    torch.Size([2, 5])
    """
    return TOKENIZER.batch([grammar.prompt(n) for n in nouns], eos=False)


def nouns_for(n: int, gen: torch.Generator | None = None) -> list[str]:
    """``n`` prompt nouns: balanced (every noun equally often) or, with ``gen``, drawn at random."""
    if gen is None:
        return [grammar.NOUNS[i % len(grammar.NOUNS)] for i in range(n)]
    idx = torch.randint(len(grammar.NOUNS), (n,), generator=gen)
    return [grammar.NOUNS[i] for i in idx.tolist()]


def demo_batch(pairs: list[tuple[str, str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode (prompt, response) pairs as ``ids`` and SFT ``labels`` (prompt, padding -> -100).

    .. math::

        \\text{labels}_t = \\begin{cases} \\text{ids}_t & t \\text{ in the response (and its <eos>)} \\\\
        -100 & \\text{otherwise} \\end{cases}

    >>> ids, labels = demo_batch([("<q> describe cat <a>", "the cat is small .")])
    >>> ids.shape, int((labels != -100).sum())  # (B, T); 5 response tokens + <eos>
    (torch.Size([1, 11]), 6)
    """
    ids = TOKENIZER.batch([f"{p} {r}" for p, r in pairs])  # (B, T)
    labels = ids.clone()
    labels[:, :PROMPT_LEN] = -100
    labels[ids == TOKENIZER.pad_id] = -100
    return ids, labels


def response_mask(ids: torch.Tensor) -> torch.Tensor:
    """Mask ``(B, T-1)`` of the shifted targets ``ids[:, 1:]`` that belong to the response.

    It keeps response tokens up to and including the first ``<eos>`` (a sampled ``<pad>`` before it
    counts), not the prompt or what follows ``<eos>``.

    >>> ids, _ = demo_batch([("<q> describe cat <a>", "the cat is small .")])
    >>> response_mask(ids).sum().item()  # 5 words + <eos>
    6
    """
    pos = torch.arange(1, ids.shape[1], device=ids.device)  # position of each target
    is_eos = (ids[:, 1:] == TOKENIZER.eos_id) & (pos >= PROMPT_LEN)  # (B, T-1)
    after_eos = (is_eos.cumsum(1) - is_eos.long()) > 0  # strictly after the first <eos>
    return (pos >= PROMPT_LEN) & ~after_eos


def decode_answers(ids: torch.Tensor) -> list[str]:
    """Decode each row of ``ids`` ``(B, T)`` (else ValueError): after the prompt, up to ``<eos>``.

    Special tokens before the ``<eos>`` (a sampled ``<pad>`` or ``<q>``) stay, so ``reward`` and
    the metrics score what the model really wrote; ``rl`` and ``evaluate`` decode rollouts so.

    >>> ids = TOKENIZER.batch(["<q> describe cat <a> the cat <a> is small ."])
    >>> decode_answers(ids)  # the stray <a> is kept, <eos> and what follows are not
    ['the cat <a> is small .']
    """
    if ids.dim() != 2:
        raise ValueError(f"decode_answers: 'ids' must be (B, T), got shape {tuple(ids.shape)}")
    eos, rows = TOKENIZER.eos_id, ids[:, PROMPT_LEN:].tolist()
    return [
        TOKENIZER.decode(r[: r.index(eos)] if eos in r else r, skip_special=False) for r in rows
    ]


@functools.lru_cache(maxsize=1)
def _demo_sets() -> tuple[tuple, tuple]:
    train = grammar.demonstrations(2000, seed=1)
    held = grammar.demonstrations(64, seed=2, exclude=set(train))
    return tuple(train), tuple(held)


@functools.lru_cache(maxsize=1)
def heldout_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """``demo_batch(heldout_demos())``, encoded once."""
    return demo_batch(heldout_demos())


def train_demos() -> list[tuple[str, str]]:
    """The 2000 SFT training demonstrations (fixed)."""
    return list(_demo_sets()[0])


def heldout_demos() -> list[tuple[str, str]]:
    """64 held-out demonstrations, disjoint from ``train_demos()`` (fixed)."""
    return list(_demo_sets()[1])
