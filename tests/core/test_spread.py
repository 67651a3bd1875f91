"""Tests for ptcourse.entropy: reference equality, bounds, identities, -inf logits, gradients."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from strategies import cases, shifts

import ptcourse as pc
from ptcourse.stats import vocab_stats


def categorical_entropy(x: torch.Tensor) -> torch.Tensor:
    return torch.distributions.Categorical(logits=x).entropy()


@pytest.mark.parametrize("shape", [(9,), (4, 9), (2, 3, 17)])
def test_matches_categorical_entropy(shape, gen):
    """entropy equals torch.distributions.Categorical(logits).entropy()."""
    x = torch.randn(*shape, generator=gen, dtype=torch.float64) * 3
    torch.testing.assert_close(pc.entropy(x), categorical_entropy(x), rtol=1e-12, atol=1e-12)


def test_closed_forms():
    """Uniform over V has entropy log V; a one-hot distribution has entropy 0."""
    assert pc.entropy(torch.zeros(1000)).item() == pytest.approx(math.log(1000), rel=1e-6)
    one_hot = torch.full((5,), float("-inf"))
    one_hot[2] = 0.0
    assert pc.entropy(one_hot).item() == 0.0


def test_two_point_closed_form():
    """A Bernoulli(p) distribution has entropy -p log p - (1-p) log(1-p)."""
    p = 0.2
    x = torch.log(torch.tensor([p, 1 - p], dtype=torch.float64))
    ref = -p * math.log(p) - (1 - p) * math.log(1 - p)
    assert pc.entropy(x).item() == pytest.approx(ref, rel=1e-12)


@given(cases(neg_inf=True))
def test_bounds(case):
    """0 <= H <= log V, also with -inf logits."""
    h = pc.entropy(case.logits)
    v = case.logits.shape[-1]
    assert bool((h >= -1e-12).all()) and bool((h <= math.log(v) + 1e-9).all())


@given(cases(), shifts)
def test_shift_invariance(case, c):
    """Adding a constant to the logits leaves the entropy unchanged."""
    torch.testing.assert_close(
        pc.entropy(case.logits + c), pc.entropy(case.logits), rtol=1e-9, atol=1e-9
    )


@given(cases(neg_inf=True))
def test_cross_entropy_is_entropy_plus_kl(case):
    """-sum p log q = H(p) + KL(p || q) for any p (q has full support)."""
    p = torch.softmax(case.logits, -1)
    logq = torch.log_softmax(case.other, -1)
    ce = -(p * logq).sum(-1)
    torch.testing.assert_close(
        pc.entropy(case.logits) + pc.kl_divergence(case.logits, case.other),
        ce,
        rtol=1e-9,
        atol=1e-9,
    )


@given(cases())
def test_chunked_equals_unchunked(case):
    """Any chunk size gives the same entropies and gradients."""
    x1 = case.logits.clone().requires_grad_()
    x2 = case.logits.clone().requires_grad_()
    kw = dict(want_logp=False, want_ent=True, want_kl=False)
    a = vocab_stats(x1, None, None, chunk_size=case.chunk, **kw)[1]
    b = vocab_stats(x2, None, None, chunk_size=10**6, **kw)[1]
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    a.sum().backward()
    b.sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-12, atol=1e-12)


def test_gradient_matches_categorical(gen):
    """The custom backward equals autograd through Categorical.entropy()."""
    x1 = torch.randn(4, 10, generator=gen, dtype=torch.float64, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_()
    w = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
    (pc.entropy(x1) * w).sum().backward()
    (categorical_entropy(x2) * w).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad)


def test_gradcheck_float64(gen):
    """Analytic entropy gradients agree with finite differences (float64), -inf logits included."""
    x = torch.randn(3, 6, generator=gen, dtype=torch.float64)
    x[0, 2] = float("-inf")
    x.requires_grad_()
    assert torch.autograd.gradcheck(pc.entropy, (x,))


def test_neg_inf_logits_finite_value_and_gradient():
    """With -inf logits, H and its gradient are finite and equal those of the finite sub-vector."""
    x = torch.tensor([[0.3, float("-inf"), -1.2, float("-inf"), 2.0]], requires_grad=True)
    sub = torch.tensor([[0.3, -1.2, 2.0]], requires_grad=True)
    h = pc.entropy(x)
    h.sum().backward()
    categorical_entropy(sub).sum().backward()
    assert torch.isfinite(h).all() and torch.isfinite(x.grad).all()
    torch.testing.assert_close(h, categorical_entropy(sub).detach())
    torch.testing.assert_close(x.grad[:, [0, 2, 4]], sub.grad)
    assert x.grad[0, 1].item() == 0.0 and x.grad[0, 3].item() == 0.0


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision(dtype, gen):
    """fp16/bf16 input gives the fp32 entropy of the upcast logits; gradients keep the dtype."""
    x = torch.randn(5, 30, generator=gen).to(dtype).requires_grad_()
    h = pc.entropy(x)
    assert h.dtype == torch.float32
    torch.testing.assert_close(h, categorical_entropy(x.detach().float()))
    h.sum().backward()
    assert x.grad.dtype == dtype and torch.isfinite(x.grad.float()).all()
