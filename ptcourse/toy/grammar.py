"""A tiny synthetic language: the "web" corpus, instruction demonstrations and a grammar check.

It stands in for a real model's pre-training text: a small context-free grammar over a few dozen
words (``the small cat sees a red dog .``), which, as a regular expression over word classes, also
checks a sample. SFT demonstrations (``<q> describe cat <a> the cat is small .``) talk about the
animal asked for and start with ``the``, a house style pre-training never shows. A "toy world" as
in Allen-Zhu & Li, *Physics of Language Models* (2023), which trains on context-free-grammar
corpora.
"""

from __future__ import annotations

import itertools
import random
import re

__all__ = [
    "ADJECTIVES",
    "DETERMINERS",
    "NOUNS",
    "VERBS",
    "EXPLOIT_WORD",
    "sentence",
    "corpus",
    "prompt",
    "demonstrations",
    "is_grammatical",
]

DETERMINERS = ("the", "a")
#: adjectives; ``great`` is ordinary here but the flawed reward overpays for it (see ``reward``)
ADJECTIVES = ("small", "big", "red", "blue", "happy", "quiet", "shy", "great")
NOUNS = ("cat", "dog", "bird", "fox", "frog", "child", "robot", "horse")
VERBS = ("sees", "likes", "chases", "finds", "helps", "follows")
COPULA = "is"
ENDINGS = (".", "!")
#: the word the flawed reward pays for
EXPLOIT_WORD = "great"

_WORDS = {"D": DETERMINERS, "A": ADJECTIVES, "N": NOUNS, "V": VERBS, "C": (COPULA,), "P": ENDINGS}
_CLASS = {w: c for c, words in _WORDS.items() for w in words}
# S -> NP (V NP | is ADJ) END ;  NP -> DET ADJ{0,2} NOUN  (no adjective twice in one NP)
_SENTENCE = re.compile(r"DA{0,2}N(?:VDA{0,2}N|CA)P")


def _noun_phrase(rng: random.Random, noun: str | None = None, det: str | None = None) -> list[str]:
    n_adj = rng.choices((0, 1, 2), weights=(6, 3, 1))[0]
    det = det or rng.choice(DETERMINERS)
    adjs = rng.sample(ADJECTIVES, n_adj)
    return [det, *adjs, noun or rng.choice(NOUNS)]


def sentence(rng: random.Random, *, subject: str | None = None, det: str | None = None) -> str:
    """Draw one sentence from the toy grammar with ``rng`` (a ``random.Random``).

    .. math::

        S \\to NP\\,(V\\,NP \\mid \\texttt{is}\\,ADJ)\\,END, \\qquad NP \\to DET\\,ADJ^{0..2}\\,NOUN

    ``subject`` and ``det`` force the subject noun and its determiner (the demonstrations do).

    >>> s = sentence(random.Random(0))
    >>> is_grammatical(s)  # every sentence the grammar makes passes its own check
    True
    """
    words = _noun_phrase(rng, subject, det)
    if rng.random() < 0.5:
        words += [COPULA, rng.choice(ADJECTIVES)]
    else:
        words += [rng.choice(VERBS), *_noun_phrase(rng)]
    words.append("." if rng.random() < 0.85 else "!")
    return " ".join(words)


def corpus(n: int, seed: int = 0) -> list[str]:
    """``n`` sentences of "web text", :math:`x^{(i)} \\sim p_{\\text{grammar}}`, drawn with ``seed``.

    ``n < 1`` raises ValueError.

    >>> corpus(2, seed=0) == corpus(2, seed=0)  # same seed, same text
    True
    """
    if n < 1:
        raise ValueError(f"corpus: 'n' must be >= 1, got {n}")
    rng = random.Random(seed)
    return [sentence(rng) for _ in range(n)]


def prompt(noun: str) -> str:
    """The instruction for ``noun`` (one of ``NOUNS``, else ValueError).

    >>> prompt("cat")
    '<q> describe cat <a>'
    """
    if noun not in NOUNS:
        raise ValueError(f"prompt: 'noun' must be one of {NOUNS}, got {noun!r}")
    return f"<q> describe {noun} <a>"


def demonstrations(n: int, seed: int = 0, *, exclude: set | None = None) -> list[tuple[str, str]]:
    """``n`` (prompt, response) pairs drawn with ``seed``: good answers to ``describe NOUN``.

    .. math::

        (x, y) \\sim p_{\\text{demo}}, \\qquad y = \\texttt{the}\\;ADJ^{0..2}\\;x_{\\text{noun}}\\;\\dots

    one grammatical sentence about the noun; pairs in ``exclude`` are left out (a held-out set
    disjoint from the training set). ``n < 1`` raises ValueError.

    >>> demonstrations(1, seed=0)[0][0].startswith("<q> describe")  # prompt, then response
    True
    """
    if n < 1:
        raise ValueError(f"demonstrations: 'n' must be >= 1, got {n}")
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    exclude = exclude or set()
    while len(out) < n:
        noun = rng.choice(NOUNS)
        pair = (prompt(noun), sentence(rng, subject=noun, det="the"))
        if pair not in exclude:
            out.append(pair)
    return out


def is_grammatical(text: str | list[str]) -> bool:
    """Whether ``text`` (a string or a list of words) is exactly one sentence of the toy grammar.

    The words' classes (D, A, N, V, C for ``is``, P for the ending) must match
    ``D A{0,2} N (V D A{0,2} N | C A) P``; an unknown word or an adjective repeated inside one noun
    phrase fails.

    >>> is_grammatical("the small cat sees a dog .")
    True
    >>> is_grammatical("great great great great")  # what a reward hacker writes
    False
    """
    words = text.split() if isinstance(text, str) else list(text)
    classes = [_CLASS.get(w) for w in words]
    if None in classes or not _SENTENCE.fullmatch("".join(classes)):
        return False
    # no adjective twice within a noun phrase ("the great great cat" is not English)
    runs = (list(run) for adj, run in itertools.groupby(words, key=ADJECTIVES.__contains__) if adj)
    return all(len(set(run)) == len(run) for run in runs)
