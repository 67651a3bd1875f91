"""The public helpers chapters call: decoding, REINFORCE advantages, policy summaries, the metric registry."""

from __future__ import annotations

import pytest
import torch

from ptcourse import toy


def test_decode_answers_stops_at_the_first_eos_and_keeps_stray_specials():
    """An answer is what follows the prompt up to its first <eos>; stray special tokens stay visible."""
    tok = toy.TOKENIZER
    row = tok.encode("<bos> <q> describe cat <a> the cat <pad> is small . <eos> great great")
    assert toy.decode_answers(torch.tensor([row])) == ["the cat <pad> is small ."]
    with pytest.raises(ValueError, match="'ids'"):
        toy.decode_answers(torch.tensor(row))


def test_sample_and_rl_score_the_same_decoding():
    """`sample` returns exactly `decode_answers` of the ids the model generates with that seed."""
    model = toy.TinyLM(seed=0)
    nouns = ["cat", "dog", "robot"]
    ids = model.generate(toy.prompt_ids(nouns), toy.MAX_NEW_TOKENS, seed=4)
    assert toy.sample(model, nouns=nouns, seed=4) == toy.decode_answers(ids)


def test_reinforce_advantages_against_a_loop():
    """Reward-to-go minus the masked batch mean at each position, checked against a plain loop."""
    g = torch.Generator().manual_seed(0)
    rewards = torch.randn(5, 7, generator=g)  # (B, T)
    mask = torch.rand(5, 7, generator=g) > 0.3  # (B, T)
    out = toy.reinforce_advantages(rewards, mask)
    expect = torch.zeros(5, 7)
    for t in range(7):
        togo = [float(rewards[b, t:].sum()) for b in range(5)]  # reward-to-go
        kept = [togo[b] for b in range(5) if mask[b, t]]
        base = sum(kept) / max(1, len(kept))
        for b in range(5):
            expect[b, t] = (togo[b] - base) if mask[b, t] else 0.0
    torch.testing.assert_close(out, expect)
    with pytest.raises(ValueError, match="'rewards'"):
        toy.reinforce_advantages(rewards, mask[:, :3])


def test_policy_summary_against_torch_distributions():
    """policy_summary's reward, KL and entropy equal the direct sums of torch.distributions."""
    g = torch.Generator().manual_seed(1)
    logits, ref, r = (
        torch.randn(6, generator=g),
        torch.randn(6, generator=g),
        torch.rand(6, generator=g),
    )
    p, q = (
        torch.distributions.Categorical(logits=logits),
        torch.distributions.Categorical(logits=ref),
    )
    s = toy.policy_summary(logits, r, ref)
    assert s.reward == pytest.approx(float((p.probs * r).sum()), rel=1e-6)
    assert s.kl == pytest.approx(float(torch.distributions.kl_divergence(p, q)), rel=1e-5)
    assert s.entropy == pytest.approx(float(p.entropy()), rel=1e-6)
    er, kl, h = s  # unpacks like the chapter's tuple
    assert (er, kl, h) == (s.reward, s.kl, s.entropy)


def test_bandit_history_uses_policy_summary():
    """The bandit's logged reward/KL/entropy are policy_summary of its final logits at the end."""
    out = toy.bandit(steps=20)
    learned = torch.tensor(out["learned_probs"]).log()
    s = toy.policy_summary(
        learned, torch.tensor(toy.BANDIT_REWARDS), torch.tensor(toy.BANDIT_REF_LOGITS)
    )
    assert out["final"]["reward"] == pytest.approx(s.reward, abs=1e-5)
    assert out["final"]["kl"] == pytest.approx(s.kl, abs=1e-5)


def test_every_reported_metric_is_in_the_registry():
    """Histories, evaluations and demo results use only metric names defined in toy.METRICS."""
    model = toy.TinyLM(seed=0)
    _, hist = toy.rl(model, steps=1, batch_size=8)
    ev = toy.evaluate(model, model, n=8)
    out = toy.run_demo("bandit", steps=3)
    keys = (set(hist) - {"step"}) | (set(ev) - {"samples"}) | set(out["final"])
    assert keys <= set(toy.METRICS), keys - set(toy.METRICS)
    assert toy.METRICS["hack_rate"].label.startswith("hack rate")
    assert toy.METRICS["distinct_2"].label.startswith("distinct-2")


def test_rl_history_row_is_measured_before_the_update():
    """An RL history row's demo_loglik is that of the policy that sampled the rollout (pre-update)."""
    policy = toy.sft_model()
    before = toy.demo_loglik(policy)
    _, hist = toy.rl(policy, steps=1, batch_size=8, lr=1e-2)
    assert hist["demo_loglik"][0] == before
    assert toy.demo_loglik(policy) != before  # the update did change the policy


def test_tinylm_init_leaves_the_global_rng_alone():
    """Building a TinyLM neither reads nor advances torch's global RNG (fork_rng)."""
    torch.manual_seed(123)
    a = torch.rand(3)
    torch.manual_seed(123)
    toy.TinyLM(seed=5)
    assert torch.equal(torch.rand(3), a)
    torch.testing.assert_close(toy.TinyLM(seed=5).tok_emb.weight, toy.TinyLM(seed=5).tok_emb.weight)
