"""A word-level tokenizer for the toy language, with ``<pad>``, ``<bos>`` and ``<eos>``.

Real models use sub-word tokenizers (BPE; Sennrich et al., 2016) with 32k-256k tokens; here one
token per word, a few dozen in all, so every next-token distribution fits in one bar chart.
"""

from __future__ import annotations

import torch

from .grammar import ADJECTIVES, COPULA, DETERMINERS, ENDINGS, NOUNS, VERBS

__all__ = ["Tokenizer", "TOKENIZER", "PAD", "BOS", "EOS", "Q", "A"]

PAD, BOS, EOS, Q, A = "<pad>", "<bos>", "<eos>", "<q>", "<a>"
_SPECIAL = (PAD, BOS, EOS, Q, A)


class Tokenizer:
    """Map words to ids and back.

    :math:`\\text{encode}(w_1 \\dots w_n) = (\\text{id}(w_1), \\dots, \\text{id}(w_n))`

    >>> tok = Tokenizer()
    >>> tok.decode(tok.encode("the cat is small ."))  # round trip
    'the cat is small .'
    >>> tok.encode("<bos>") == [tok.bos_id]
    True
    """

    def __init__(self) -> None:
        words = [*_SPECIAL, "describe", *DETERMINERS, *ADJECTIVES, *NOUNS, *VERBS, COPULA, *ENDINGS]
        self.vocab: list[str] = words
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(words)}
        self.pad_id, self.bos_id, self.eos_id = self.stoi[PAD], self.stoi[BOS], self.stoi[EOS]

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        """The ids of the words of ``text`` (split on spaces); an unknown word raises ValueError."""
        for w in text.split():
            if w not in self.stoi:
                raise ValueError(f"Tokenizer.encode: unknown word {w!r} in text={text!r}")
        return [self.stoi[w] for w in text.split()]

    def decode(self, ids, *, skip_special: bool = True) -> str:
        """The words of ``ids`` (a list or 1-D tensor; an id out of range raises ValueError).

        With ``skip_special`` (the default) ``<bos>``/``<pad>`` are dropped and decoding stops at
        the first ``<eos>``.
        """
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        words = []
        for i in ids:
            if not 0 <= i < len(self.vocab):
                raise ValueError(f"Tokenizer.decode: id {i} outside [0, {len(self.vocab)})")
            w = self.vocab[i]
            if skip_special:
                if w == EOS:
                    break
                if w in (PAD, BOS):
                    continue
            words.append(w)
        return " ".join(words)

    def batch(
        self, texts: list[str], *, length: int | None = None, bos: bool = True, eos: bool = True
    ) -> torch.Tensor:
        """Encode ``texts`` into one right-padded long tensor ``(B, T)``, ``T = length`` or the longest.

        ``bos``/``eos`` add those tokens; a text longer than ``length`` raises ValueError.

        >>> Tokenizer().batch(["the cat is small .", "a dog is red !"]).shape  # (B, T)
        torch.Size([2, 7])
        """
        rows = [
            ([self.bos_id] if bos else []) + self.encode(t) + ([self.eos_id] if eos else [])
            for t in texts
        ]
        T = length or max(len(r) for r in rows)
        if max(len(r) for r in rows) > T:
            raise ValueError(f"Tokenizer.batch: a text has more than length={T} tokens")
        return torch.tensor([r + [self.pad_id] * (T - len(r)) for r in rows], dtype=torch.long)


#: the one tokenizer of the toy world
TOKENIZER = Tokenizer()
