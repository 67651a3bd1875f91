"""Tests for ptcourse.logprobs: token log-probs, sequence log-likelihood, cross-entropy, perplexity."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from strategies import cases, shifts

import ptcourse as pc


def naive_logprobs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


@pytest.mark.parametrize("shape", [(7,), (4, 11), (3, 5, 11), (2, 3, 4, 9)])
def test_token_logprobs_matches_f_cross_entropy(shape, gen):
    """token_logprobs equals -F.cross_entropy(reduction='none') for any leading shape."""
    x = torch.randn(*shape, generator=gen, dtype=torch.float64)
    t = torch.randint(0, shape[-1], shape[:-1], generator=gen)
    ref = -F.cross_entropy(x.reshape(-1, shape[-1]), t.reshape(-1), reduction="none")
    out = pc.token_logprobs(x, t)
    assert out.shape == shape[:-1]
    torch.testing.assert_close(out, ref.reshape(shape[:-1]), rtol=1e-12, atol=1e-12)


def test_token_logprobs_uniform_closed_form():
    """Uniform logits give log(1/V) for every target."""
    out = pc.token_logprobs(torch.zeros(3, 50), torch.tensor([0, 17, 49]))
    torch.testing.assert_close(out, torch.full((3,), -math.log(50)))


@given(cases())
def test_chunked_equals_unchunked(case):
    """Any chunk size gives the same values and gradients as one big chunk."""
    x1 = case.logits.clone().requires_grad_()
    x2 = case.logits.clone().requires_grad_()
    a = pc.token_logprobs(x1, case.targets, chunk_size=case.chunk)
    b = pc.token_logprobs(x2, case.targets, chunk_size=10**6)
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    w = torch.linspace(-1, 1, a.numel(), dtype=a.dtype)
    (a * w).sum().backward()
    (b * w).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-12, atol=1e-12)


@given(cases(), shifts)
def test_shift_invariance(case, c):
    """Adding a constant to every logit of a row leaves the log-probs unchanged."""
    a = pc.token_logprobs(case.logits, case.targets)
    b = pc.token_logprobs(case.logits + c, case.targets)
    torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


@given(cases(neg_inf=True))
def test_gradient_matches_autograd_of_naive(case):
    """The custom backward equals autograd through log_softmax + gather (also with -inf logits)."""
    x1 = case.logits.clone().requires_grad_()
    x2 = case.logits.clone().requires_grad_()
    w = torch.linspace(0.5, 2.0, case.targets.numel(), dtype=torch.float64)
    (pc.token_logprobs(x1, case.targets, chunk_size=case.chunk) * w).sum().backward()
    (naive_logprobs(x2, case.targets) * w).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-10, atol=1e-12)


def test_gradcheck_float64(gen):
    """Analytic gradients of the chunked function agree with finite differences (float64)."""
    x = torch.randn(5, 7, generator=gen, dtype=torch.float64, requires_grad=True)
    t = torch.randint(0, 7, (5,), generator=gen)
    assert torch.autograd.gradcheck(lambda a: pc.token_logprobs(a, t, chunk_size=2), (x,))


def test_neg_inf_logits():
    """-inf logits are zero-probability tokens: finite elsewhere, -inf only if targeted."""
    x = torch.tensor([[0.0, float("-inf"), 0.0], [0.0, float("-inf"), 0.0]])
    out = pc.token_logprobs(x, torch.tensor([0, 1]))
    assert out[0].item() == pytest.approx(-math.log(2))
    assert out[1].item() == float("-inf")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_computed_in_fp32(dtype, gen):
    """fp16/bf16 logits give fp32 results equal to the fp32 computation; the gradient keeps dtype."""
    x = (torch.randn(6, 40, generator=gen) * 4).to(dtype).requires_grad_()
    t = torch.randint(0, 40, (6,), generator=gen)
    out = pc.token_logprobs(x, t)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, naive_logprobs(x.detach().float(), t))
    out.sum().backward()
    assert x.grad.dtype == dtype


def test_sequence_logprob_masked_sum(gen):
    """sequence_logprob is the sum of kept token log-probs; bool and 0/1 masks agree."""
    x = torch.randn(3, 6, 10, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 10, (3, 6), generator=gen)
    m = torch.rand(3, 6, generator=gen) < 0.6
    ref = (naive_logprobs(x, t) * m).sum(-1)
    torch.testing.assert_close(pc.sequence_logprob(x, t, m), ref)
    torch.testing.assert_close(pc.sequence_logprob(x, t, m.long()), ref)
    torch.testing.assert_close(pc.sequence_logprob(x, t), naive_logprobs(x, t).sum(-1))


def test_sequence_logprob_ignores_padding_ids(gen):
    """Targets at masked positions may be padding ids such as -100; they are never looked up."""
    x = torch.randn(2, 4, 5, generator=gen, dtype=torch.float64)
    t = torch.tensor([[1, 2, -100, -100], [0, 4, 3, -100]])
    m = t != -100
    ref = torch.stack(
        [naive_logprobs(x[0, :2], t[0, :2]).sum(), naive_logprobs(x[1, :3], t[1, :3]).sum()]
    )
    torch.testing.assert_close(pc.sequence_logprob(x, t, m), ref)


def test_cross_entropy_matches_torch(gen):
    """cross_entropy equals F.cross_entropy on all tokens, and on the kept tokens with a mask."""
    x = torch.randn(4, 5, 12, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 12, (4, 5), generator=gen)
    m = torch.rand(4, 5, generator=gen) < 0.5
    torch.testing.assert_close(
        pc.cross_entropy(x, t), F.cross_entropy(x.reshape(-1, 12), t.flatten())
    )
    torch.testing.assert_close(pc.cross_entropy(x, t, m), F.cross_entropy(x[m], t[m]))


def test_cross_entropy_gradient_matches_torch(gen):
    """The gradient of the masked cross-entropy equals torch's (ignore_index formulation)."""
    x1 = torch.randn(3, 4, 9, generator=gen, dtype=torch.float64, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_()
    t = torch.randint(0, 9, (3, 4), generator=gen)
    m = torch.tensor([[1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]], dtype=torch.bool)
    pc.cross_entropy(x1, t, m).backward()
    F.cross_entropy(x2.reshape(-1, 9), t.masked_fill(~m, -100).flatten()).backward()
    torch.testing.assert_close(x1.grad, x2.grad)


def test_perplexity_is_exp_cross_entropy(gen):
    """perplexity = exp(cross_entropy); a uniform model over V tokens has perplexity V."""
    x = torch.randn(2, 3, 7, generator=gen)
    t = torch.randint(0, 7, (2, 3), generator=gen)
    torch.testing.assert_close(pc.perplexity(x, t), torch.exp(pc.cross_entropy(x, t)))
    assert pc.perplexity(torch.zeros(4, 13), torch.arange(4)).item() == pytest.approx(13.0)
