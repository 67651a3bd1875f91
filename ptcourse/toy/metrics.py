"""The toy world's metrics: the one registry of their names and labels, and the sample-level ones.

``METRICS`` is the one home of every metric a history, an evaluation or a demo reports: its key,
a label with its unit, a table format, and whether it is a fraction on a fixed 0..1 scale
(``evaluate``, ``run_demo``, the ``ptcourse demo`` table and ``viz.METRIC_LABELS`` read it).
distinct-n, the distinct n-grams over all n-grams of a set of samples (Li et al., 2016, *A
diversity-promoting objective function for neural conversation models*), falls towards 0 when
every sample repeats the same phrase (mode collapse).
"""

from __future__ import annotations

from typing import NamedTuple

from .grammar import is_grammatical
from .proxy_reward import hack_pattern

__all__ = [
    "Metric",
    "METRICS",
    "TRAINING_METRICS",
    "DISTINCT_BLOCK",
    "distinct_n",
    "distinct_2",
    "grammatical_rate",
    "hack_rate",
]


class Metric(NamedTuple):
    """One metric: its human ``label`` (with the unit), a table ``fmt``, and ``fraction`` (0..1)."""

    label: str
    fmt: str = "{:.3f}"
    fraction: bool = False


#: key -> Metric, in the order tables list them
METRICS: dict[str, Metric] = {
    "reward": Metric("reward"),
    "kl": Metric("KL(π ‖ π_ref) [nats / answer]"),
    "entropy": Metric("entropy [nats / token]"),
    "distinct_2": Metric("distinct-2 (distinct word pairs)", fraction=True),
    "demo_loglik": Metric("demo log-lik [nats / token]"),
    "demo_perplexity": Metric("demo perplexity", "{:.2f}"),
    "grammatical": Metric("grammatical [fraction]", "{:.0%}", fraction=True),
    "hack_rate": Metric("hack rate ('great great great')", "{:.0%}", fraction=True),
    "length": Metric("answer length [words]", "{:.1f}"),
    "tv": Metric("total variation to π*", "{:.4f}"),
    "loss": Metric("loss"),
}
#: what every training loop logs at each logged step (besides ``step`` and ``loss``)
TRAINING_METRICS = (
    "reward",
    "kl",
    "entropy",
    "demo_loglik",
    "distinct_2",
    "grammatical",
    "hack_rate",
)
#: distinct-2 is measured on blocks of this many answers (one RL batch): it falls with the count
DISTINCT_BLOCK = 64


def distinct_n(texts: list[str], n: int = 2) -> float:
    """Return the fraction of distinct n-grams among all n-grams of ``texts``.

    .. math::

        \\text{distinct-}n = \\frac{|\\{\\text{distinct } n\\text{-grams}\\}|}{\\#\\,n\\text{-grams}}

    Texts shorter than ``n`` words contribute no n-gram; with no n-gram at all the result is 0.

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


def distinct_2(texts: list[str]) -> float:
    """distinct-2 averaged over blocks of ``DISTINCT_BLOCK`` answers: it depends on the count, and
    fixed blocks keep histories (one RL batch), evaluations (256 answers) and baselines comparable.

    >>> distinct_2(["the cat is small .", "the dog is small ."])  # one block: distinct_n(texts, 2)
    0.75
    """
    if not texts:
        raise ValueError("distinct_2: 'texts' is empty")
    blocks = [texts[i : i + DISTINCT_BLOCK] for i in range(0, len(texts), DISTINCT_BLOCK)]
    return sum(distinct_n(b, 2) for b in blocks) / len(blocks)


def grammatical_rate(texts: list[str]) -> float:
    """Return the fraction of ``texts`` that pass ``grammar.is_grammatical``.

    >>> grammatical_rate(["the cat is small .", "cat the"])
    0.5
    """
    if not texts:
        raise ValueError("grammatical_rate: 'texts' is empty")
    return sum(is_grammatical(t) for t in texts) / len(texts)


def hack_rate(texts: list[str], repeats: int = 3) -> float:
    """Return the fraction of ``texts`` with ``great`` repeated ``repeats`` times in a row.

    >>> hack_rate(["great great great", "the great cat is great ."])
    0.5
    """
    if not texts:
        raise ValueError("hack_rate: 'texts' is empty")
    return sum(hack_pattern(t, repeats) for t in texts) / len(texts)
