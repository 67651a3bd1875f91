r"""What entropy buys: pass@k on the toy task, with the unbiased estimator of Chen et al. (2021).

An answer to ``describe NOUN`` *succeeds* when it is one grammatical sentence whose subject is the
noun asked for (``grammar.is_grammatical``, ``topic.on_topic_rate``): a verifier's yes or no, which
the flawed reward does not see. pass@k, the chance that one of k sampled answers succeeds, is
estimated without bias from n >= k samples with c successes (Chen et al., 2021, "Evaluating Large
Language Models Trained on Code", eq. 1):

.. math::

    \widehat{\text{pass@}k} = 1 - \binom{n-c}{k} \Big/ \binom{n}{k}
"""

from __future__ import annotations

import math

from .grammar import NOUNS, is_grammatical
from .model import TinyLM
from .sampling import rollout
from .topic import on_topic_rate

__all__ = ["pass_at_k", "pass_at_k_curve", "successes"]


def pass_at_k(n: int, c: int, k: int) -> float:
    r"""Unbiased pass@k from ``n`` samples with ``c`` successes: :math:`1 - \binom{n-c}{k}/\binom{n}{k}`.

    The chance that k of the n answers, drawn without replacement, hold a success: exact (integer
    binomials), 1 when fewer than k fail; ``TypeError`` unless ints, ``ValueError`` out of range.

    >>> pass_at_k(10, 3, 1)  # pass@1 is the success rate c / n
    0.3
    >>> round(pass_at_k(10, 3, 2), 4)  # 1 - C(7,2)/C(10,2) = 1 - 21/45
    0.5333
    >>> pass_at_k(10, 0, 5), pass_at_k(10, 8, 5)  # no success; too few failures to fill 5 draws
    (0.0, 1.0)
    """
    for name, v in (("n", n), ("c", c), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"pass_at_k: '{name}' must be an int, got {v!r}")
    if not 1 <= k <= n:
        raise ValueError(f"pass_at_k: need 1 <= k <= n, got k={k}, n={n}")
    if not 0 <= c <= n:
        raise ValueError(f"pass_at_k: need 0 <= c <= n, got c={c}, n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def successes(answers: list[str], nouns: list[str]) -> list[bool]:
    """For each answer: grammatical and about the noun it was asked about.

    >>> successes(["the cat is red .", "the dog is red .", "great great"], ["cat", "cat", "cat"])
    [True, False, False]
    """
    return [
        bool(is_grammatical(a)) and on_topic_rate([a], [n]) == 1.0
        for a, n in zip(answers, nouns, strict=True)
    ]


def pass_at_k_curve(
    model: TinyLM, ks: tuple[int, ...] = (1, 2, 4, 8, 16), *, n: int = 32, seed: int = 7
) -> dict[int, float]:
    """pass@k for each k in ``ks``, averaged over the 8 prompts, from ``n`` answers per prompt.

    >>> from ptcourse.toy import sft_model
    >>> curve = pass_at_k_curve(sft_model(), (1, 4), n=8)
    >>> curve[1] <= curve[4]  # more tries never hurt
    True
    """
    if max(ks) > n:
        raise ValueError(f"pass_at_k_curve: every k must be <= n = {n}, got {max(ks)}")
    nouns = [noun for noun in NOUNS for _ in range(n)]
    _, answers = rollout(model, nouns, seed=seed)
    ok = successes(answers, nouns)
    counts = [sum(ok[i * n : (i + 1) * n]) for i in range(len(NOUNS))]  # successes per prompt
    return {k: sum(pass_at_k(n, c, k) for c in counts) / len(counts) for k in ks}
