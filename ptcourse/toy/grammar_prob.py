r"""The exact probability of a toy sentence under the grammar that wrote it, and the grammar's entropy.

Every sentence of ``grammar.sentence`` has one derivation (the words say each choice made), so its
probability is the product of those choices' probabilities:

.. math::

    p(S) = p(NP_1)\, p(\text{branch})\, p(\text{rest} \mid \text{branch})\, p(\text{ending}), \qquad
    p(NP) = p(n_{\text{adj}})\,\tfrac12\,\tfrac{(8 - n_{\text{adj}})!}{8!}\,\tfrac18 .

The data's entropy is then computable, and with it the floor under any model's cross-entropy
(Shannon, 1948; Cover & Thomas, *Elements of Information Theory*, ch. 2 and 5):

.. math::

    \mathrm{CE}(p_{\text{data}}, \pi_\theta) = H(p_{\text{data}}) + \mathrm{KL}(p_{\text{data}} \,\|\, \pi_\theta)
    \;\ge\; H(p_{\text{data}}).

The choice probabilities below restate ``grammar.sentence``'s; ``tests/toy/test_grammar_prob.py``
fails if the two ever disagree.

>>> round(grammar_entropy()["per_token"], 4)  # nats per predicted token (words and <eos>)
1.3927
"""

from __future__ import annotations

import math

from . import grammar

__all__ = ["sentence_logprob", "grammar_entropy"]

_N_ADJ = {0: 0.6, 1: 0.3, 2: 0.1}  # grammar._noun_phrase: weights (6, 3, 1)
_COPULA = 0.5  # grammar.sentence: "is ADJ" with probability 0.5, else "VERB NP"
_ENDING = {".": 0.85, "!": 0.15}
_A, _N, _V, _D = map(len, (grammar.ADJECTIVES, grammar.NOUNS, grammar.VERBS, grammar.DETERMINERS))


def _adjectives_logprob(k: int) -> float:
    """log of drawing k given adjectives in this order without replacement: (A-k)!/A!."""
    return -sum(math.log(_A - i) for i in range(k))


def _noun_phrase(words: list[str], i: int) -> tuple[float, int]:
    """(log p, next index) of the noun phrase starting at ``words[i]``; raises on a non-phrase."""
    if words[i] not in grammar.DETERMINERS:
        raise ValueError
    j = i + 1
    while j < len(words) and words[j] in grammar.ADJECTIVES:
        j += 1
    k = j - i - 1
    if k not in _N_ADJ or j >= len(words) or words[j] not in grammar.NOUNS:
        raise ValueError
    if len(set(words[i + 1 : j])) != k:
        raise ValueError
    return math.log(_N_ADJ[k]) - math.log(_D) + _adjectives_logprob(k) - math.log(_N), j + 1


def sentence_logprob(text: str) -> float:
    r"""Exact :math:`\log p(S) = \sum_{c \in \text{derivation}(S)} \log p(c)` of one sentence.

    :math:`-\infty` outside the grammar; a non-str ``text`` raises TypeError.

    >>> round(math.exp(sentence_logprob("the cat is red .")), 6)  # 0.6*1/2*1/8 * 1/2*1/8 * 0.85
    0.001992
    >>> sentence_logprob("great great great")  # not a sentence of the grammar
    -inf
    """
    if not isinstance(text, str):
        raise TypeError(f"sentence_logprob: 'text' must be a str, got {type(text).__name__}")
    words = text.split()
    try:
        logp, i = _noun_phrase(words, 0)
        if words[i] == grammar.COPULA:
            if words[i + 1] not in grammar.ADJECTIVES:
                return -math.inf
            logp += math.log(_COPULA) - math.log(_A)
            i += 2
        elif words[i] in grammar.VERBS:
            np2, i = _noun_phrase(words, i + 1)
            logp += math.log(1 - _COPULA) - math.log(_V) + np2
        else:
            return -math.inf
        if i != len(words) - 1 or words[i] not in _ENDING:
            return -math.inf
        return logp + math.log(_ENDING[words[i]])
    except (ValueError, IndexError):
        return -math.inf


def _h(probs) -> float:
    return -sum(p * math.log(p) for p in probs if p > 0)


def grammar_entropy() -> dict[str, float]:
    r"""Exact entropy of the grammar's sentences, their mean length, and the per-token floor.

    .. math::

        H_{\text{token}} = \frac{\mathbb{E}[-\log p(S)]}{\mathbb{E}[|S| + 1]}

    the pooled cross-entropy per predicted token (words and ``<eos>``) of the grammar itself on a
    large corpus: no model does better on average. Returns ``per_sentence`` (nats), ``tokens``
    (mean predicted tokens per sentence), ``per_token`` (nats) and ``perplexity``
    :math:`= e^{H_{\text{token}}}`.

    >>> g = grammar_entropy()
    >>> g["tokens"]  # 2.5 + 0.5 * 2 + 0.5 * (1 + 2.5) + ending + <eos>
    7.25
    """
    n_adj_mean = sum(k * p for k, p in _N_ADJ.items())
    h_adjs = sum(-p * _adjectives_logprob(k) for k, p in _N_ADJ.items())
    h_np = _h(_N_ADJ.values()) + math.log(_D) + h_adjs + math.log(_N)
    len_np = 2 + n_adj_mean
    h_s = (
        h_np
        + _h((_COPULA, 1 - _COPULA))
        + _COPULA * math.log(_A)
        + (1 - _COPULA) * (math.log(_V) + h_np)
        + _h(_ENDING.values())
    )
    tokens = len_np + _COPULA * 2 + (1 - _COPULA) * (1 + len_np) + 1 + 1
    per_token = h_s / tokens
    return dict(
        per_sentence=h_s, tokens=tokens, per_token=per_token, perplexity=math.exp(per_token)
    )
