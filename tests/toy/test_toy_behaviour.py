"""The behaviours issue 4 promises, with seed 0 and the default settings.

The runs are shared session fixtures (``conftest.py``); each test states one claim. Where the
thresholds come from: "issue 4" marks a bound the issue states; a rate measured by ``evaluate`` on
256 answers has a binomial standard error of at most sqrt(0.25 / 256) = 0.031, so a bound 0.1
below the measured rate is >= 3 standard errors away; the measured values quoted are those of
seed 0 at the time the bound was set (issue 4's closing note).
"""

from __future__ import annotations

import math

import pytest
import torch

import ptcourse as pc
from ptcourse import toy


def _heldout_perplexity(model) -> float:
    """Perplexity of the held-out answers via ``ptcourse.perplexity`` (an independent route)."""
    ids, labels = toy.demo_batch(toy.heldout_demos())
    with torch.no_grad():
        logits = model(ids)  # (B, T, V)
    return float(pc.perplexity(logits[:, :-1], ids[:, 1:], labels[:, 1:] != -100))


def test_sft_raises_demo_likelihood_and_lowers_perplexity(pretrained, sft):
    """SFT raises the held-out demonstrations' mean log-likelihood and lowers their perplexity."""
    ll_pre, ll_sft = toy.demo_loglik(pretrained), toy.demo_loglik(sft)
    ppl_pre, ppl_sft = _heldout_perplexity(pretrained), _heldout_perplexity(sft)
    assert ll_sft > ll_pre + 0.5  # issue 4: likelihood up; 0.5 nats/token is a clear margin
    assert (
        ppl_sft < 0.5 * ppl_pre
    )  # issue 4: perplexity down; 0.5x = the same 0.5 nats, exp(-0.5) ~ 0.6
    assert math.isclose(ppl_sft, math.exp(-ll_sft), rel_tol=1e-4)  # two routes, float32 sums


def test_sft_answers_are_grammatical_and_on_topic(sft, sft_eval):
    """The SFT model answers in grammatical sentences about the animal it was asked about."""
    assert sft_eval["grammatical"] >= 0.9  # measured 0.92 (issue 10); a tight bound, ~1 SE (0.017)
    answers = toy.sample(sft, 64, nouns=["robot"] * 64, seed=3)
    # on topic: chance is 1/8 (8 nouns); issue 4's note measured 60-90%; 0.6 is its low end
    assert sum("robot" in a.split()[1:4] for a in answers) / 64 >= 0.6


def test_rl_without_leash_hacks_the_reward(sft_eval, rl_runs):
    """beta=0: reward beats SFT's, entropy <= 25% and distinct-2 <= 50% of SFT's, 'great great great'."""
    final, _ = rl_runs[0.0]
    assert final["reward"] > sft_eval["reward"] + 1.0  # issue 4: rises; one extra "great" pays 1.0
    assert final["entropy"] <= 0.25 * sft_eval["entropy"]  # issue 4: at most 25% of SFT's
    assert final["distinct_2"] <= 0.5 * sft_eval["distinct_2"]  # issue 4: falls by >= 50%
    assert final["hack_rate"] >= 0.5  # measured 1.00: a collapsed policy hacks in most answers
    assert any(toy.hack_pattern(s) for s in final["samples"])  # issue 4: the exploited pattern
    assert final["grammatical"] < 0.1  # measured 0.00; 0.1 is 3 SE (0.031) above


def test_rl_with_default_beta_stays_near_the_reference(sft_eval, rl_runs):
    """Default beta: KL bounded and far below beta=0's, entropy >= 50% of SFT's, grammatical."""
    final, hist = rl_runs[toy.DEFAULT_BETA]
    free, _ = rl_runs[0.0]
    # issue 4: bounded along the whole run; measured 0.67 nats/answer at the end, and 5 nats is
    # the KL of putting all mass on an answer the reference gives probability e^-5 = 0.7%
    assert max(hist["kl"]) < 5.0 and final["kl"] < 5.0
    assert final["kl"] < 0.1 * free["kl"]  # issue 4: "much smaller" than beta=0's (tens of nats)
    assert final["entropy"] >= 0.5 * sft_eval["entropy"]  # issue 4: at least 50% of SFT's
    assert final["grammatical"] >= 0.85  # issue 4: grammatical; measured 0.96, 0.85 is > 3 SE below
    assert final["hack_rate"] <= 0.02  # measured 0; 0.02 = 5 of 256 answers
    assert final["reward"] > sft_eval["reward"]  # it still improves the reward, honestly


def test_beta_frontier_reward_and_kl_fall_as_beta_rises(rl_runs):
    """Across 5 values of beta, reward and KL to the reference fall as beta rises (or tie where the
    leash is too weak to matter: a fully hacked policy sits at the reward's ceiling whatever beta)."""
    betas = sorted(rl_runs)
    rewards = [rl_runs[b][0]["reward"] for b in betas]
    kls = [rl_runs[b][0]["kl"] for b in betas]
    hacked = [rl_runs[b][0]["hack_rate"] for b in betas]
    assert len(betas) >= 4  # issue 4: at least 4 values of beta
    # A tie is allowed only between two fully hacked runs (hack rate >= 0.95), whose reward is the
    # ceiling (11 words x 1.0 + grammar pay) up to 0.1: the 64-answer evaluation's spread there.
    for i in range(len(betas) - 1):
        tie = hacked[i] >= 0.95 and hacked[i + 1] >= 0.95
        assert rewards[i] > rewards[i + 1] or (tie and rewards[i + 1] - rewards[i] < 0.1), rewards
        assert kls[i] > kls[i + 1] or tie, kls
    assert rewards[0] > rewards[-1] + 5 and kls[0] > 10 * kls[-1], (rewards, kls)


def test_entropy_bonus_slows_the_collapse(rl_runs, bonus_run):
    """With beta=0, an entropy bonus keeps the run's mean entropy >= 1.5x and its end >= 3x higher."""
    _, plain = rl_runs[0.0]
    _, bonus = bonus_run
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    # issue 4: "slows the collapse by a measurable amount"; 1.5x over the run and 3x at its end
    # (last 10 steps) are far outside the step-to-step noise of a 64-answer batch's entropy
    assert mean(bonus["entropy"]) >= 1.5 * mean(plain["entropy"])
    assert mean(bonus["entropy"][-10:]) >= 3 * mean(plain["entropy"][-10:])


def test_histories_have_one_entry_per_step(rl_runs):
    """An RL history logs every metric once per step."""
    _, hist = rl_runs[toy.DEFAULT_BETA]
    assert hist["step"] == list(range(1, toy.RL_STEPS + 1))
    for key in (*toy.metrics.TRAINING_METRICS, "loss"):
        assert len(hist[key]) == toy.RL_STEPS and all(math.isfinite(v) for v in hist[key])


@pytest.mark.parametrize("beta", [0.2, 0.5, 1.0])
def test_bandit_matches_kl_regularized_policy(beta):
    """Sampled KL-penalised policy gradient lands on pi* = kl_regularized_policy (sampling error)."""
    out = toy.bandit(beta=beta)
    ref = torch.tensor(toy.BANDIT_REF_LOGITS)
    target = pc.kl_regularized_policy(ref, torch.tensor(toy.BANDIT_REWARDS), beta).exp()
    learned = torch.tensor(out["learned_probs"])
    torch.testing.assert_close(torch.tensor(out["optimal_probs"]), target)
    # the optimiser's residual (the bandit doctest: below 0.03 after 300 steps); the 4-standard-error
    # frequency check below is the sampling-error test issue 4 asks for
    assert out["tv"] < 0.02
    # draws from the learned policy look like draws from pi*: within 4 standard errors per arm
    n = 20_000
    g = torch.Generator().manual_seed(1)
    freq = torch.bincount(torch.multinomial(learned, n, True, generator=g), minlength=8) / n
    se = (target * (1 - target) / n).sqrt()
    assert bool(((freq - target).abs() <= 4 * se + 1e-3).all()), (freq, target)


def test_bandit_moves_away_from_the_reference_when_beta_is_small():
    """The bandit is not trivially at pi_ref: small beta puts most mass on the overpaid arm."""
    out = toy.bandit(beta=0.15)
    great = toy.BANDIT_ARMS.index("great")
    # pi_ref(great) = 0.032 (BANDIT_REF_LOGITS); closed-form pi*(great) = 0.836 at beta = 0.15
    assert out["ref_probs"][great] < 0.1 and out["learned_probs"][great] > 0.75
