"""Exact values every library must reproduce, computed by ptcourse (no TRL needed).

These are the numbers the trainer tests (test_trl_trainers.py) meet in TRL's runs and the
golden tests (test_verl_golden.py) in verl's: they hold for any input, so they are checked here
on random batches, with the tolerance of one fp32 rounding.

* DPO at policy = reference: ln 2, whatever beta and the log-probabilities;
* IPO at policy = reference: 1/(4 tau^2); with TRL's per-token normalisation too;
* RLOO: the leave-one-out baseline equals n/(n-1) (r - mean);
* GRPO: each group's advantages sum to 0 (so the first-step loss of one pass is 0) and have
  Bessel std s/(s + eps); a constant group gives exactly 0;
* PPO at ratio 1: the clipped surrogate is -token-mean(A) and its gradient is -A / N;
* k3 at log r = 0 is 0, k1's mean under p is KL(p || q); entropy of a uniform is ln V.
"""

from __future__ import annotations

import math

import pytest
import torch

import ptcourse as pc

pytestmark = pytest.mark.oracle


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("beta", [0.01, 0.1, 1.0, 7.5])
def test_dpo_at_reference_is_ln2(beta):
    lp = -10 * torch.rand(16, generator=_gen(1)) - 0.1
    lr = -10 * torch.rand(16, generator=_gen(2)) - 0.1
    assert pc.dpo_loss(lp, lr, lp, lr, beta=beta).item() == pytest.approx(math.log(2), rel=1e-7)


@pytest.mark.parametrize("tau", [0.05, 0.1, 0.5, 2.0])
def test_ipo_at_reference_is_one_over_four_tau_squared(tau):
    lp = -10 * torch.rand(16, generator=_gen(3)) - 0.1
    lr = -10 * torch.rand(16, generator=_gen(4)) - 0.1
    n_c = torch.randint(1, 30, (16,), generator=_gen(5)).float()
    n_r = torch.randint(1, 30, (16,), generator=_gen(6)).float()
    want = 1 / (4 * tau**2)
    assert pc.ipo_loss(lp, lr, lp, lr, tau=tau).item() == pytest.approx(want, rel=1e-6)
    normalised = pc.ipo_loss(lp, lr, lp, lr, tau=tau, chosen_tokens=n_c, rejected_tokens=n_r)
    assert normalised.item() == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("n", [2, 3, 4, 8, 16])
def test_rloo_is_n_over_n_minus_1_times_centred_reward(n):
    r = torch.randn(5, n, generator=_gen(n), dtype=torch.float64)
    want = n / (n - 1) * (r - r.mean(-1, keepdim=True))
    torch.testing.assert_close(pc.rloo_advantages(r), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("eps", [1e-4, 1e-6, 0.0])
def test_grpo_groups_sum_to_zero_with_std_s_over_s_plus_eps(eps):
    r = torch.randn(6, 8, generator=_gen(9), dtype=torch.float64)
    r[0] = 3.0  # a constant group
    a = pc.grpo_advantages(r, eps=eps)
    assert (a[0] == 0).all()
    torch.testing.assert_close(a.sum(-1), torch.zeros(6, dtype=a.dtype), rtol=0, atol=1e-12)
    s = r[1:].std(-1)
    torch.testing.assert_close(a[1:].std(-1), s / (s + eps), rtol=1e-10, atol=1e-12)


def test_ppo_at_ratio_one_is_minus_mean_advantage():
    """ratio = 1 (old_logp = logp.detach()): loss -token-mean(A), gradient -A / N per kept token."""
    logp = -torch.rand(4, 7, generator=_gen(10)) - 0.1
    adv = torch.randn(4, 1, generator=_gen(11)).expand(4, 7)
    mask = torch.rand(4, 7, generator=_gen(12)) > 0.3
    lp = logp.clone().requires_grad_()
    loss = pc.ppo_clip_loss(lp, lp.detach(), adv, mask)
    n = mask.sum()
    assert loss.item() == pytest.approx(-(adv * mask).sum().item() / n.item(), rel=1e-6)
    (g,) = torch.autograd.grad(loss, lp)
    torch.testing.assert_close(g, torch.where(mask, -adv / n, torch.zeros(())))


def test_group_centred_advantages_give_zero_first_step_loss():
    """GRPO's first-step loss (one pass, loss_type "grpo"): -mean_i(A_i) over whole groups is 0."""
    r = torch.randn(3, 4, generator=_gen(13))
    a = pc.grpo_advantages(r).flatten()
    lengths = torch.tensor([1, 5, 3, 2, 6, 6, 1, 4, 2, 3, 5, 6])
    mask = torch.arange(6)[None, :] < lengths[:, None]
    per_token = -a[:, None].expand(12, 6)
    seq_mean = pc.aggregate_loss(per_token, mask, "seq-mean-token-mean")
    assert abs(seq_mean.item()) < 1e-6
    # the token mean weighs long answers more: not 0 for unequal lengths (TRL's "dapo", "bnpo")
    token_mean = pc.aggregate_loss(per_token, mask, "token-mean")
    want = -(a * lengths).sum() / lengths.sum()
    assert token_mean.item() == pytest.approx(want.item(), rel=1e-5)
    assert abs(token_mean.item()) > 1e-3


def test_kl_estimators_exact_values():
    """k1 = k2 = k3 = 0 at log r = 0; E_p[k1] = E_p[k3] = KL(p || q) exactly over the support."""
    logp = torch.log_softmax(torch.randn(9, generator=_gen(14), dtype=torch.float64), -1)
    logq = torch.log_softmax(torch.randn(9, generator=_gen(15), dtype=torch.float64), -1)
    for kind in ("k1", "k2", "k3"):
        assert (pc.kl_estimate(logp, logp, kind) == 0).all()
    p = logp.exp()
    exact = pc.kl_divergence(logp, logq)
    for kind in ("k1", "k3"):
        expectation = (p * pc.kl_estimate(logp, logq, kind)).sum()
        torch.testing.assert_close(expectation, exact, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("V", [2, 7, 50257])
def test_uniform_entropy_and_perplexity(V):
    x = torch.zeros(3, V)
    torch.testing.assert_close(pc.entropy(x), torch.full((3,), math.log(V)))
    assert pc.perplexity(x, torch.tensor([0, 1, V - 1])).item() == pytest.approx(V, rel=1e-5)
