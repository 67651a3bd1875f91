"""ipo_loss, grpo_advantages' scale variants and aggregate_loss against closed forms and references."""

from __future__ import annotations

import pytest
import torch

import ptcourse as pc

GEN = torch.Generator().manual_seed(1)


def _lp(n=8):
    return -torch.rand(n, generator=GEN, dtype=torch.float64) * 10


def test_ipo_matches_the_paper_formula():
    """ipo_loss is the mean of (h - 1/(2 tau))^2, h the DPO log-ratio difference (Azar et al., eq. 17)."""
    a, b, c, d = _lp(), _lp(), _lp(), _lp()
    h = (a - c) - (b - d)
    for tau in (0.05, 0.5, 3.0):
        torch.testing.assert_close(pc.ipo_loss(a, b, c, d, tau), ((h - 1 / (2 * tau)) ** 2).mean())


def test_ipo_minimum_is_at_the_target_margin():
    """The gradient in the margin vanishes at h = 1/(2 tau), and is negative below it (push up)."""
    tau = 0.25
    for h0, sign in ((2.0, 0), (0.5, -1), (3.0, 1)):
        pol_c = torch.tensor([h0], dtype=torch.float64, requires_grad=True)
        zero = torch.zeros(1, dtype=torch.float64)
        pc.ipo_loss(pol_c, zero, zero, zero, tau).backward()
        g = pol_c.grad.item()
        assert (g == 0) if sign == 0 else (g * sign > 0), (h0, g)


def test_ipo_dpo_share_the_reference_detach_and_checks():
    """The reference inputs get no gradient, and a both -inf log-ratio is refused as in dpo_loss."""
    a, b = _lp().requires_grad_(), _lp()
    c = _lp().requires_grad_()
    pc.ipo_loss(a, b, c, _lp()).backward()
    assert c.grad is None and a.grad is not None
    inf = torch.tensor([-float("inf")])
    with pytest.raises(ValueError, match="both -inf"):
        pc.ipo_loss(inf, torch.zeros(1) - 1, inf, torch.zeros(1) - 1)


def test_ipo_refuses_bad_arguments_by_name():
    """tau <= 0, an infinite margin, one token count alone, or a zero count name the argument."""
    lp = _lp(2)
    with pytest.raises(ValueError, match="'tau'"):
        pc.ipo_loss(lp, lp, lp, lp, 0.0)
    with pytest.raises(ValueError, match="IPO margin"):
        pc.ipo_loss(torch.tensor([-float("inf"), -1.0]), lp, lp, lp)
    with pytest.raises(ValueError, match="together"):
        pc.ipo_loss(lp, lp, lp, lp, chosen_tokens=torch.ones(2))
    with pytest.raises(ValueError, match="'rejected_tokens'"):
        pc.ipo_loss(lp, lp, lp, lp, chosen_tokens=torch.ones(2), rejected_tokens=torch.zeros(2))


def test_grpo_bool_scale_is_the_named_scale():
    """True is "group" and False is "none": the old API gives the same advantages."""
    r = torch.rand(3, 5, generator=GEN)
    torch.testing.assert_close(
        pc.grpo_advantages(r, scale=True), pc.grpo_advantages(r, scale="group")
    )
    torch.testing.assert_close(
        pc.grpo_advantages(r, scale=False), pc.grpo_advantages(r, scale="none")
    )
    torch.testing.assert_close(pc.grpo_advantages(r), pc.grpo_advantages(r, scale="group"))


def test_grpo_batch_scale_is_group_centring_over_the_batch_std():
    """scale="batch": (r - group mean) / (std of all rewards + eps), with torch.std as reference."""
    r = torch.rand(4, 6, generator=GEN, dtype=torch.float64) * 5
    want = (r - r.mean(1, keepdim=True)) / (r.std() + 1e-4)
    torch.testing.assert_close(pc.grpo_advantages(r, scale="batch"), want)
    assert pc.grpo_advantages(torch.full((2, 3), 7.0), scale="batch", eps=0.0).abs().max() == 0


def test_grpo_batch_scale_is_invariant_to_reward_scale_but_not_group_scale():
    """Batch scaling keeps the ratio between groups' spreads; group scaling erases it."""
    r = torch.tensor([[0.0, 1.0], [0.0, 10.0]])
    g, b = pc.grpo_advantages(r, scale="group", eps=0), pc.grpo_advantages(r, scale="batch", eps=0)
    assert torch.allclose(g[0], g[1])  # both groups +-0.707 after their own std
    assert torch.allclose(b[1], 10 * b[0])  # the wider group keeps 10x larger advantages


def test_aggregate_loss_closed_forms():
    """The three modes against hand sums on random inputs; masked entries (even inf) do not count."""
    x = torch.randn(4, 6, generator=GEN, dtype=torch.float64)
    m = torch.rand(4, 6, generator=GEN) < 0.5
    m[:, 0] = True
    xi = torch.where(m, x, torch.full_like(x, float("inf")))
    n = m.sum(1)
    torch.testing.assert_close(pc.aggregate_loss(xi, m), (x * m).sum() / n.sum())
    torch.testing.assert_close(
        pc.aggregate_loss(xi, m, "seq-mean-token-sum"), (x * m).sum(1).mean()
    )
    torch.testing.assert_close(
        pc.aggregate_loss(xi, m, "seq-mean-token-mean"), ((x * m).sum(1) / n).mean()
    )


def test_gradient_accumulation_with_num_tokens_equals_the_full_batch():
    """Summing microbatch token means (each / its own count) is wrong; / the total count is exact."""
    x = torch.randn(6, 5, generator=GEN, dtype=torch.float64)
    m = torch.zeros(6, 5, dtype=torch.bool)
    m[:3, :5] = True  # microbatch 1: 15 tokens
    m[3:, :1] = True  # microbatch 2: 3 tokens
    full = pc.aggregate_loss(x, m)
    micro = [(x[:3], m[:3]), (x[3:], m[3:])]
    naive = sum(pc.aggregate_loss(a, b) for a, b in micro) / 2
    fixed = sum(pc.aggregate_loss(a, b, num_tokens=int(m.sum())) for a, b in micro)
    torch.testing.assert_close(fixed, full)
    assert abs(naive - full) > 1e-3


def test_aggregate_loss_refuses_bad_arguments():
    """Unknown mode, wrong shape, an all-false mask, mismatched count arguments: named errors."""
    x, m = torch.ones(2, 3), torch.ones(2, 3)
    with pytest.raises(ValueError, match="'mode'"):
        pc.aggregate_loss(x, m, "sum")
    with pytest.raises(ValueError, match="'per_token'"):
        pc.aggregate_loss(torch.ones(6), torch.ones(6))
    with pytest.raises(ValueError, match="'mask'"):
        pc.aggregate_loss(x, torch.zeros(2, 3))
    with pytest.raises(ValueError, match="'num_tokens'"):
        pc.aggregate_loss(x, m, "seq-mean-token-sum", num_tokens=3)
    with pytest.raises(ValueError, match="'num_tokens'"):
        pc.aggregate_loss(x, m, num_tokens=0)
