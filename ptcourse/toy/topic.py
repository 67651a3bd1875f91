r"""Does an answer talk about what it was asked about? The on-topic rate of ``describe NOUN`` answers.

A model can learn the SFT format (start with ``the``, write one sentence) long before the task
(the subject must be the animal asked for, *the cat* for ``describe cat``), which this measures:

.. math::

    \text{on-topic} = \frac{1}{n} \sum_{i=1}^{n} \mathbb 1\big[\text{first noun of } y_i = \text{noun}_i\big]

With 8 nouns, a model that ignores the prompt scores about 1/8 (chance).
"""

from __future__ import annotations

from . import grammar

__all__ = ["on_topic_rate"]


def on_topic_rate(answers: list[str], nouns: list[str]) -> float:
    """Fraction of answers whose first noun (the subject) is the noun they were asked about.

    ValueError unless ``answers`` and ``nouns`` are non-empty, of one length, and toy nouns.

    Examples
    --------
    >>> on_topic_rate(["the cat is red .", "a dog sees the cat ."], ["cat", "cat"])  # the 2nd: a dog
    0.5
    """
    if len(answers) != len(nouns) or not answers:
        raise ValueError(
            f"on_topic_rate: 'answers' and 'nouns' must be non-empty and of equal length, "
            f"got {len(answers)} and {len(nouns)}"
        )
    bad = sorted(set(nouns) - set(grammar.NOUNS))
    if bad:
        raise ValueError(f"on_topic_rate: 'nouns' must be toy nouns {grammar.NOUNS}, got {bad}")
    firsts = (next((w for w in a.split() if w in grammar.NOUNS), None) for a in answers)
    return sum(first == noun for first, noun in zip(firsts, nouns, strict=True)) / len(answers)
