"""TinyLM: shapes, size, causality, deterministic and correct sampling."""

from __future__ import annotations

import pytest
import torch

from ptcourse import toy


def test_forward_shape_and_size():
    """Logits are (B, T, V) over the toy vocabulary and the model has at most 200k parameters."""
    model = toy.TinyLM(seed=0)
    ids = torch.randint(0, len(toy.TOKENIZER), (3, 16), generator=torch.Generator().manual_seed(0))
    assert model(ids).shape == (3, 16, len(toy.TOKENIZER))
    assert model.num_parameters() <= 200_000


def test_causal():
    """Changing a later token never changes the logits at earlier positions."""
    model = toy.TinyLM(seed=1)
    ids = torch.randint(0, len(toy.TOKENIZER), (2, 12), generator=torch.Generator().manual_seed(1))
    other = ids.clone()
    other[:, 7:] = (other[:, 7:] + 1) % len(toy.TOKENIZER)
    torch.testing.assert_close(model(ids)[:, :7], model(other)[:, :7])


def test_bad_input():
    """Non-integer or too-long inputs raise ValueError naming 'ids'."""
    model = toy.TinyLM(seed=0)
    with pytest.raises(ValueError, match="'ids'"):
        model(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 17, dtype=torch.long))


def test_generate_deterministic_per_seed():
    """Same seed -> identical samples; another seed -> different samples."""
    model = toy.sft_model()
    p = toy.prompt_ids(["cat"] * 32)
    a, b, c = (model.generate(p, 11, seed=s) for s in (5, 5, 6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_generate_with_cache_matches_full_forward_greedy():
    """Greedy decoding with the key/value cache equals argmax of the full forward at each step."""
    model = toy.sft_model()
    ids = model.generate(toy.prompt_ids(["dog", "fox"]), 11, temperature=0)
    logits = model(ids)  # (B, T, V)
    for b in range(2):
        for t in range(toy.PROMPT_LEN, ids.shape[1]):
            if ids[b, t - 1] in (toy.TOKENIZER.eos_id, toy.TOKENIZER.pad_id):
                assert ids[b, t] == toy.TOKENIZER.pad_id  # pads after <eos>
                continue
            assert ids[b, t] == logits[b, t - 1].argmax()


def test_generate_samples_follow_the_model_distribution():
    """First sampled tokens have the model's next-token frequencies (within 4 standard errors)."""
    model = toy.sft_model()
    n = 4000
    ids = model.generate(toy.prompt_ids(["cat"] * n), 1, seed=0)
    freq = torch.bincount(ids[:, -1], minlength=len(toy.TOKENIZER)).float() / n
    with torch.no_grad():
        p = torch.softmax(model(toy.prompt_ids(["cat"]))[0, -1], -1)  # (V,) after the prompt
    se = (p * (1 - p) / n).sqrt()
    assert bool(((freq - p).abs() <= 4 * se + 1e-3).all())  # 4 standard errors of n draws
