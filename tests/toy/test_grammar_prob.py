"""The exact sentence probabilities of ``grammar_prob`` agree with the sampler ``grammar.sentence``."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from ptcourse.toy import grammar
from ptcourse.toy.grammar_prob import grammar_entropy, sentence_logprob

N = 40_000  # samples; every tolerance below is 4 standard errors of this many draws


@pytest.fixture(scope="module")
def sample():
    rng = random.Random(0)
    return [grammar.sentence(rng) for _ in range(N)]


def test_mean_surprise_matches_the_exact_entropy(sample):
    """The sample mean of -log p(S) is the grammar's exact entropy, within 4 standard errors."""
    lp = [sentence_logprob(s) for s in sample]
    mean = -sum(lp) / N
    se = math.sqrt(sum((x + mean) ** 2 for x in lp) / (N - 1) / N)
    assert abs(mean - grammar_entropy()["per_sentence"]) < 4 * se


def test_every_sampled_sentence_has_positive_probability(sample):
    """Every sentence the grammar writes has a finite log-probability (the parser covers it all)."""
    assert all(math.isfinite(sentence_logprob(s)) for s in sample)


def test_frequent_sentences_occur_as_often_as_their_probability_says(sample):
    """The most frequent sentences' counts match N * p(S) within 4 binomial standard deviations."""
    for text, count in Counter(sample).most_common(5):
        p = math.exp(sentence_logprob(text))
        assert abs(count - N * p) < 4 * math.sqrt(N * p * (1 - p)), text


def test_mean_length_matches(sample):
    """The mean number of predicted tokens (words + <eos>) matches the exact expectation."""
    lengths = [len(s.split()) + 1 for s in sample]
    mean = sum(lengths) / N
    sd = math.sqrt(sum((n - mean) ** 2 for n in lengths) / (N - 1))
    assert abs(mean - grammar_entropy()["tokens"]) < 4 * sd / math.sqrt(N)


@pytest.mark.parametrize(
    "text",
    [
        "great great great",
        "the cat",
        "the cat is .",
        "the red red cat is big .",
        "the cat sees .",
        "",
    ],
)
def test_text_outside_the_grammar_has_probability_zero(text):
    """A non-sentence gets log-probability -inf, exactly like is_grammatical rejects it."""
    assert sentence_logprob(text) == -math.inf
    assert not grammar.is_grammatical(text)


def test_bad_input_names_the_argument():
    """A non-string is rejected with a TypeError naming 'text'."""
    with pytest.raises(TypeError, match="'text'"):
        sentence_logprob(["the", "cat"])
