"""``on_topic_rate`` scores whether an answer's subject is the requested animal."""

from __future__ import annotations

import pytest

from ptcourse import toy
from ptcourse.toy.topic import on_topic_rate


def test_demonstrations_are_all_on_topic():
    """Every SFT demonstration is about the animal its prompt names (rate exactly 1)."""
    pairs = toy.train_demos()[:200]
    nouns = [p.split()[2] for p, _ in pairs]  # "<q> describe NOUN <a>"
    assert on_topic_rate([r for _, r in pairs], nouns) == 1.0


def test_answers_ignoring_the_prompt_score_chance():
    """Grammar sentences drawn without looking at the prompt are on topic about 1/8 of the time."""
    answers = toy.corpus(800, seed=5)
    rate = on_topic_rate(answers, ["cat"] * 800)
    assert abs(rate - 1 / 8) < 4 * (1 / 8 * 7 / 8 / 800) ** 0.5  # 4 binomial standard errors


def test_an_answer_without_a_noun_is_off_topic():
    """Word salad with no noun at all is never on topic."""
    assert on_topic_rate(["great great great"], ["cat"]) == 0.0


def test_bad_input_names_the_argument():
    """Mismatched lengths or unknown nouns are rejected, naming the argument."""
    with pytest.raises(ValueError, match="'answers' and 'nouns'"):
        on_topic_rate(["the cat ."], [])
    with pytest.raises(ValueError, match="'nouns' must be toy nouns"):
        on_topic_rate(["the cat ."], ["unicorn"])
