"""Sample-level metrics of the toy world: diversity (distinct-n), grammaticality, hack rate.

distinct-n is the number of distinct n-grams divided by the number of n-grams over a set of samples
(Li et al., 2016, *A diversity-promoting objective function for neural conversation models*); it
falls towards 0 when every sample repeats the same phrase (mode collapse).
"""

from __future__ import annotations

from .grammar import is_grammatical
from .reward import hack_pattern

__all__ = ["distinct_n", "grammatical_rate", "hack_rate"]


def distinct_n(texts: list[str], n: int = 2) -> float:
    """Return the fraction of distinct n-grams among all n-grams of ``texts``.

    .. math::

        \\text{distinct-}n = \\frac{|\\{\\text{distinct } n\\text{-grams}\\}|}{\\#\\,n\\text{-grams}}

    Texts shorter than ``n`` words contribute no n-gram; with no n-gram at all the result is 0.

    Examples
    --------
    >>> distinct_n(["the cat is small .", "the dog is small ."])  # 6 distinct of 8 bigrams
    0.75
    >>> distinct_n(["great great great great"] * 2)  # one bigram, repeated 6 times
    0.16666666666666666
    """
    if n < 1:
        raise ValueError(f"distinct_n: 'n' must be >= 1, got {n}")
    grams = []
    for t in texts:
        w = t.split()
        grams.extend(tuple(w[i : i + n]) for i in range(len(w) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0


def grammatical_rate(texts: list[str]) -> float:
    """Return the fraction of ``texts`` that pass ``grammar.is_grammatical``.

    Examples
    --------
    >>> grammatical_rate(["the cat is small .", "cat the"])
    0.5
    """
    if not texts:
        raise ValueError("grammatical_rate: 'texts' is empty")
    return sum(is_grammatical(t) for t in texts) / len(texts)


def hack_rate(texts: list[str], repeats: int = 3) -> float:
    """Return the fraction of ``texts`` with ``great`` repeated ``repeats`` times in a row.

    Examples
    --------
    >>> hack_rate(["great great great", "the great cat is great ."])
    0.5
    """
    if not texts:
        raise ValueError("hack_rate: 'texts' is empty")
    return sum(hack_pattern(t, repeats) for t in texts) / len(texts)
