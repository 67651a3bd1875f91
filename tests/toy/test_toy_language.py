"""The toy language: grammar, tokenizer, demonstrations, reward and sample metrics."""

from __future__ import annotations

import random

import pytest
import torch

from ptcourse import toy
from ptcourse.toy import grammar


def test_corpus_sentences_are_grammatical_and_reproducible():
    """Every sentence the grammar generates passes its own check; same seed, same corpus."""
    text = toy.corpus(500, seed=3)
    assert all(toy.is_grammatical(s) for s in text)
    assert text == toy.corpus(500, seed=3)
    assert text != toy.corpus(500, seed=4)


@pytest.mark.parametrize(
    "text",
    [
        "great great great great",
        "the cat",
        "the cat is small",  # no ending
        "the great great cat is small .",  # same adjective twice in one noun phrase
        "cat the is small .",
        "the cat is small . .",
        "the unicorn is small .",  # unknown word
    ],
)
def test_is_grammatical_rejects_non_sentences(text):
    """Word salad, truncated or repeated-adjective text fails the grammar check."""
    assert not toy.is_grammatical(text)


def test_demonstrations_talk_about_the_asked_noun_and_heldout_is_disjoint():
    """A demonstration answers about the prompt's noun with 'the'; held-out demos are unseen."""
    for p, r in toy.train_demos()[:200]:
        noun = p.split()[2]
        words = r.split()
        assert words[0] == "the" and noun in words[1:4] and toy.is_grammatical(r)
    assert not set(toy.heldout_demos()) & set(toy.train_demos())


def test_tokenizer_round_trip_and_errors():
    """encode/decode round-trip every word; unknown words and ids raise ValueError."""
    tok = toy.TOKENIZER
    words = " ".join(w for w in tok.vocab if not w.startswith("<"))
    assert tok.decode(tok.encode(words)) == words
    assert len(tok) == len(set(tok.vocab))
    with pytest.raises(ValueError, match="unknown word 'zebra'"):
        tok.encode("the zebra")
    with pytest.raises(ValueError, match="outside"):
        tok.decode([len(tok)])


def test_demo_batch_masks_prompt_and_padding():
    """SFT labels keep exactly the answer tokens and <eos>; prompt and padding are -100."""
    pairs = [
        ("<q> describe cat <a>", "the cat is small ."),
        ("<q> describe dog <a>", "the dog sees a red fox ."),
    ]
    ids, labels = toy.demo_batch(pairs)
    kept = (labels != -100).sum(1).tolist()
    assert kept == [6, 8]  # words + <eos>
    assert torch.equal(toy.response_mask(ids), labels[:, 1:] != -100)


def test_response_mask_stops_after_first_eos():
    """The answer mask keeps tokens up to and including the first <eos>, nothing after it."""
    tok = toy.TOKENIZER
    row = tok.encode("<bos> <q> describe cat <a> the cat <eos> great great")
    mask = toy.response_mask(torch.tensor([row]))[0].tolist()
    # targets are row[1:]: 4 prompt targets off, 'the', 'cat', '<eos>' on, the rest off
    assert mask == [False] * 4 + [True] * 3 + [False] * 2


def test_reward_overpays_for_great():
    """The flawed reward pays 1 per 'great' and 0.5 for grammar, so gibberish beats sentences."""
    r = toy.reward(["the cat is small .", "the great cat is great .", "great " * 11])
    assert r.tolist() == [0.5, 2.5, 11.0]
    best_sentence = max(toy.reward(toy.corpus(2000, seed=0)).tolist())
    assert toy.reward(["great " * 11]).item() > best_sentence


def test_distinct_n_against_a_direct_count():
    """distinct-2 equals the number of distinct bigrams over the number of bigrams."""
    rng = random.Random(0)
    texts = [grammar.sentence(rng) for _ in range(50)]
    bigrams = [(a, b) for t in texts for a, b in zip(t.split(), t.split()[1:], strict=False)]
    assert toy.distinct_n(texts) == len(set(bigrams)) / len(bigrams)
    assert toy.distinct_n(["great great great"] * 10) == 1 / 20
    assert toy.distinct_n(["cat"]) == 0.0


def test_rates():
    """grammatical_rate and hack_rate count the fraction of texts with the property."""
    texts = ["the cat is small .", "great great great", "cat cat", "the dog is great !"]
    assert toy.grammatical_rate(texts) == 0.5
    assert toy.hack_rate(texts) == 0.25
    with pytest.raises(ValueError, match="'texts' is empty"):
        toy.grammatical_rate([])
