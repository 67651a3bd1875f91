"""Tests for ptcourse.objectives: DPO loss, GRPO advantages, PPO clipped loss."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import ptcourse as pc

# ---------------------------------------------------------------- DPO


def test_dpo_matches_formula(gen):
    """dpo_loss = mean of -log sigmoid(beta [(pi_c - ref_c) - (pi_r - ref_r)])."""
    pc_, pr, rc, rr = (-torch.rand(6, generator=gen, dtype=torch.float64) * 10 for _ in range(4))
    ref = -F.logsigmoid(0.3 * ((pc_ - rc) - (pr - rr))).mean()
    torch.testing.assert_close(pc.dpo_loss(pc_, pr, rc, rr, beta=0.3), ref)


def test_dpo_log2_at_reference():
    """When the policy equals the reference the loss is log 2 for any beta."""
    lp = torch.tensor([-3.0, -8.0, -1.0])
    for beta in (0.01, 0.1, 5.0):
        assert pc.dpo_loss(lp, lp - 1, lp, lp - 1, beta).item() == pytest.approx(math.log(2))


def test_dpo_gradient_prefers_chosen(gen):
    """The gradient raises the chosen log-prob and lowers the rejected one."""
    c = torch.tensor([-4.0], requires_grad=True)
    r = torch.tensor([-4.0], requires_grad=True)
    pc.dpo_loss(c, r, torch.tensor([-4.0]), torch.tensor([-4.0])).backward()
    assert c.grad.item() < 0 < r.grad.item()


def test_dpo_fp16_returns_fp32():
    """Half-precision log-probs give an fp32 loss."""
    lp = torch.tensor([-2.0, -3.0], dtype=torch.float16)
    assert pc.dpo_loss(lp, lp, lp, lp).dtype == torch.float32


# ---------------------------------------------------------------- GRPO


def test_grpo_matches_formula(gen):
    """Advantages are (r - group mean) / (Bessel std + eps), row by row."""
    r = torch.randn(4, 6, generator=gen, dtype=torch.float64)
    ref = (r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True, unbiased=True) + 1e-4)
    torch.testing.assert_close(pc.grpo_advantages(r), ref)
    torch.testing.assert_close(pc.grpo_advantages(r, scale=False), r - r.mean(1, keepdim=True))


@pytest.mark.parametrize("value", [0.0, 0.1, 1.0, -7.3])
def test_grpo_constant_group_is_exactly_zero(value):
    """A constant group gets exactly zero advantage (also with eps = 0), never NaN."""
    r = torch.tensor([[value] * 5, [0.0, 1.0, 0.0, 1.0, 1.0]])
    for eps in (0.0, 1e-4):
        out = pc.grpo_advantages(r, eps=eps)
        assert bool((out[0] == 0).all()) and bool(torch.isfinite(out).all())


@given(
    st.integers(0, 2**31 - 1),
    st.floats(0.1, 100.0),
    st.floats(-100.0, 100.0),
)
def test_grpo_affine_invariance(seed, a, b):
    """Advantages (eps=0) are unchanged by r -> a r + b with a > 0, and each group sums to 0."""
    gen = torch.Generator().manual_seed(seed)
    r = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    out = pc.grpo_advantages(r, eps=0.0)
    torch.testing.assert_close(pc.grpo_advantages(a * r + b, eps=0.0), out, rtol=1e-8, atol=1e-8)
    torch.testing.assert_close(out.sum(1), torch.zeros(3, dtype=torch.float64), atol=1e-10, rtol=0)


# ---------------------------------------------------------------- PPO


def textbook_ppo(logp, old_logp, adv, mask, eps, eps_high):
    ratio = torch.exp(logp - old_logp)
    obj = torch.min(ratio * adv, torch.clamp(ratio, 1 - eps, 1 + eps_high) * adv)
    return -(obj * mask).sum() / mask.sum()


@pytest.mark.parametrize("eps_high", [None, 0.28])
def test_ppo_matches_textbook_value_and_gradient(eps_high, gen):
    """ppo_clip_loss equals -masked mean of min(rho A, clip(rho) A): value and gradient."""
    old = -torch.rand(4, 7, generator=gen, dtype=torch.float64) * 3
    lp1 = (old + torch.randn(4, 7, generator=gen, dtype=torch.float64) * 0.4).requires_grad_()
    lp2 = lp1.detach().clone().requires_grad_()
    adv = torch.randn(4, 7, generator=gen, dtype=torch.float64)
    mask = torch.rand(4, 7, generator=gen) < 0.7
    a = pc.ppo_clip_loss(lp1, old, adv, mask, clip_eps=0.2, clip_eps_high=eps_high)
    b = textbook_ppo(lp2, old, adv, mask.double(), 0.2, 0.2 if eps_high is None else eps_high)
    torch.testing.assert_close(a, b)
    a.backward()
    b.backward()
    torch.testing.assert_close(lp1.grad, lp2.grad)


def test_ppo_clip_higher():
    """With A > 0, a ratio of 1.25 is clipped at 1.2 by default but not with clip_eps_high=0.28."""
    logp = torch.log(torch.tensor([[1.25]]))
    args = (logp, torch.zeros(1, 1), torch.ones(1, 1), torch.ones(1, 1))
    assert pc.ppo_clip_loss(*args).item() == pytest.approx(-1.2)
    assert pc.ppo_clip_loss(*args, clip_eps_high=0.28).item() == pytest.approx(-1.25)


def test_ppo_sequence_advantages_broadcast(gen):
    """Per-sequence advantages (B, 1) broadcast over tokens like an expanded (B, T) tensor."""
    old = -torch.rand(3, 5, generator=gen)
    lp = old + 0.3 * torch.randn(3, 5, generator=gen)
    adv = torch.randn(3, 1, generator=gen)
    mask = torch.ones(3, 5)
    torch.testing.assert_close(
        pc.ppo_clip_loss(lp, old, adv, mask), pc.ppo_clip_loss(lp, old, adv.expand(3, 5), mask)
    )


def test_ppo_on_policy_gradient_is_policy_gradient(gen):
    """At logp = old_logp the gradient is -A * mask / n_kept (the vanilla policy gradient)."""
    old = -torch.rand(2, 4, generator=gen, dtype=torch.float64)
    lp = old.clone().requires_grad_()
    adv = torch.randn(2, 4, generator=gen, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=torch.float64)
    pc.ppo_clip_loss(lp, old, adv, mask).backward()
    torch.testing.assert_close(lp.grad, -adv * mask / mask.sum())
