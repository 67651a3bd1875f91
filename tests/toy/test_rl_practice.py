"""Chapter 7's hooks of toy.rl, the adaptive KL controller, the baselines and the toy reward model."""

from __future__ import annotations

import math

import pytest
import torch

import ptcourse as pc
from ptcourse import toy
from ptcourse.toy import baselines, reward_model
from ptcourse.toy.kl_control import AdaptiveKLController

TINY = dict(steps=2, batch_size=8, group_size=4)


def _length(texts, nouns):
    """A reward with signal even for an untrained model: the answer's length in words."""
    return torch.tensor([float(len(t.split())) for t in texts])


def _run(**kw):
    args = {**TINY, **kw}
    return toy.rl(toy.TinyLM(seed=0), ref=toy.TinyLM(seed=0), **args)[1]


def test_kl_in_default_is_the_old_placement():
    """kl_in=None is 'reward' for REINFORCE and 'loss' for GRPO: the same histories, bit for bit."""
    for adv, where in (("reinforce", "reward"), ("grpo", "loss")):
        a, b = _run(advantage=adv), _run(advantage=adv, kl_in=where)
        assert a == b, adv


def test_kl_in_moves_the_kl():
    """Moving the KL to the other place changes the run (the losses differ)."""
    a, b = _run(), _run(kl_in="loss")
    assert a["loss"] != b["loss"]


def test_diagnostics_log_one_row_per_update_and_leave_the_run_unchanged():
    """diagnostics=True adds per-update rows (epochs x minibatches per step) without changing the run;
    the first update of every rollout has ratio 1: clip fraction and approx KL exactly 0."""
    plain = _run(advantage="grpo", ppo_epochs=2, minibatches=2)
    h = _run(advantage="grpo", ppo_epochs=2, minibatches=2, diagnostics=True)
    assert all(h[k] == plain[k] for k in plain)
    u = h["updates"]
    assert len(u["clip_frac"]) == TINY["steps"] * 4
    for i in range(0, len(u["clip_frac"]), 4):
        assert u["clip_frac"][i] == 0.0 and u["approx_kl"][i] == 0.0
    assert h["beta"] == [pc.toy.DEFAULT_BETA] * TINY["steps"]


def test_the_clip_binds_when_a_batch_is_reused():
    """With several large-step updates per rollout, some tokens end up clipped."""
    h = _run(
        advantage="grpo", reward_fn=_length, ppo_epochs=4, minibatches=2, lr=1e-2, diagnostics=True
    )
    assert max(h["updates"]["clip_frac"]) > 0


def test_clip_cov_cuts_tokens_and_clip_higher_changes_the_run():
    """clip_cov cuts at least one token per update; clip_eps_high changes the loss once ratios move."""
    h = _run(advantage="grpo", clip_cov=(0.5, -100.0, 100.0), diagnostics=True)
    assert min(h["updates"]["cov_cut"]) >= 1
    a = _run(advantage="grpo", reward_fn=_length, ppo_epochs=4, lr=1e-2)
    b = _run(advantage="grpo", reward_fn=_length, ppo_epochs=4, lr=1e-2, clip_eps_high=0.01)
    assert a["loss"] != b["loss"]


def test_adaptive_controller_follows_its_rule_in_rl():
    """beta of step 2 is beta_1 * (1 + clip(KL_1 / target - 1, +-0.2) * B / H), KL_1 the logged KL."""
    h = _run(steps=3, kl_target=0.5, kl_horizon=40, diagnostics=True)
    b, kl = h["beta"], h["kl"]
    for t in range(2):
        e = min(max(kl[t] / 0.5 - 1, -0.2), 0.2)
        assert math.isclose(b[t + 1], b[t] * (1 + e * 8 / 40), rel_tol=1e-12)


def test_reward_fn_scores_the_rollouts():
    """reward_fn gets the decoded answers and their nouns; its mean score is the logged reward."""
    seen = []

    def fn(texts, nouns):
        seen.append((len(texts), len(nouns)))
        return torch.tensor([float(len(t.split())) for t in texts])

    h = _run(reward_fn=fn)
    assert seen == [(8, 8)] * 2
    assert all(r >= 0 for r in h["reward"])


def test_rloo_advantage_runs():
    """advantage='rloo' trains with groups (finite losses)."""
    h = _run(advantage="rloo")
    assert all(math.isfinite(x) for x in h["loss"])


@pytest.mark.parametrize(
    "kw, name",
    [
        (dict(kl_in="middle"), "kl_in"),
        (dict(kl_target=-1.0), "kl_target"),
        (dict(kl_horizon=0), "kl_horizon"),
        (dict(minibatches=0), "minibatches"),
        (dict(minibatches=9), "minibatches"),
        (dict(clip_eps_high=0.0), "clip_eps_high"),
        (dict(clip_cov=(0.0, 0.0, 1.0)), "clip_cov"),
        (dict(clip_cov=(0.1, 2.0, 1.0)), "clip_cov"),
        (dict(reward_fn=3), "reward_fn"),
        (dict(advantage="ppo"), "advantage"),
    ],
)
def test_bad_practice_arguments_are_named(kw, name):
    """Each bad new argument raises a ValueError naming it, before any training."""
    with pytest.raises(ValueError, match=name):
        _run(**kw)


def test_reward_fn_of_the_wrong_shape_is_refused():
    """A reward_fn returning the wrong shape raises a ValueError naming reward_fn."""
    with pytest.raises(ValueError, match="reward_fn"):
        _run(reward_fn=lambda t, n: torch.zeros(3))


def test_adaptive_controller_closed_form_and_errors():
    """The update is beta * (1 + clip(KL/target - 1, -0.2, 0.2) * n / H), both clip sides; bad input named."""
    c = AdaptiveKLController(1.0, target=2.0, horizon=10)
    c.update(2.5, 1)  # error 0.25 -> 0.2
    assert math.isclose(c.value, 1.02)
    c.update(1.5, 5)  # error -0.25 -> -0.2
    assert math.isclose(c.value, 1.02 * 0.9)
    c.update(2.2, 10)  # error 0.1, unclipped
    assert math.isclose(c.value, 1.02 * 0.9 * 1.1)
    with pytest.raises(ValueError, match="target"):
        AdaptiveKLController(1.0, target=0.0, horizon=1)
    with pytest.raises(ValueError, match="current"):
        c.update(float("nan"), 1)
    with pytest.raises(ValueError, match="n_steps"):
        c.update(1.0, 0)


def test_sample_advantages_relations():
    """RLOO = n/(n-1) x batch-mean advantages; 'none' is the reward; unknown names are refused."""
    r = torch.randn(3, 5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(
        baselines.sample_advantages(r, "rloo"), 5 / 4 * baselines.sample_advantages(r, "batch_mean")
    )
    assert torch.equal(baselines.sample_advantages(r, "none"), r)
    with pytest.raises(ValueError, match="estimator"):
        baselines.sample_advantages(r, "mean")


def test_bandit_estimators_bias_and_variance():
    """Over 4000 batches: 'none' and 'rloo' are unbiased (within 4.5 s.e. on every arm), the batch
    mean is (n-1)/n of the exact gradient (within 0.03), and RLOO has less variance than none."""
    out = baselines.bandit_gradients(4, 4000, seed=1)
    ex = out["exact"]
    for est in ("none", "rloo"):
        assert ((out[est]["mean"] - ex) / out[est]["se"]).abs().max() < 4.5, est
    shrink = float(out["batch_mean"]["mean"] @ ex / (ex @ ex))
    assert abs(shrink - 3 / 4) < 0.03
    assert out["rloo"]["variance"] < out["none"]["variance"]


def test_true_quality_and_pairs():
    """true_quality scores grammar + topic; noise-free pairs always choose the better answer."""
    q = reward_model.true_quality(["the cat is red .", "the dog is red .", "dog dog"], ["cat"] * 3)
    assert q.tolist() == [2.0, 1.0, 0.0]
    pairs = reward_model.preference_pairs(toy.TinyLM(seed=0), 16, noise=0.0, seed=3)
    for noun, chosen, rejected in pairs:
        assert reward_model.true_quality([chosen], [noun]) > reward_model.true_quality(
            [rejected], [noun]
        )
    assert pairs == reward_model.preference_pairs(toy.TinyLM(seed=0), 16, noise=0.0, seed=3)


def test_fitted_reward_model_ranks_its_training_pairs():
    """Fitting on pairs where one answer is always better gives a model that ranks them all right."""
    pairs = [("cat", "the cat is red .", "red red red"), ("dog", "the dog is big .", "big big")] * 4
    rm, hist = reward_model.fit_reward_model(pairs, steps=100)
    assert reward_model.pair_accuracy(rm, pairs) == 1.0
    assert hist["loss"][-1] < hist["loss"][0]
    with pytest.raises(ValueError, match="pairs"):
        reward_model.fit_reward_model([])
