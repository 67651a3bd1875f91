"""Tests for ptcourse.kl: exact KL, Schulman's estimators, penalised rewards, the optimal policy."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from strategies import cases, log_ratios, shifts

import ptcourse as pc
from ptcourse.stats import vocab_stats

Cat = torch.distributions.Categorical
INF = float("inf")


def torch_kl(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    return torch.distributions.kl_divergence(Cat(logits=p_logits), Cat(logits=q_logits))


# ---------------------------------------------------------------- exact KL


@pytest.mark.parametrize("shape", [(6,), (5, 6), (2, 3, 20)])
def test_matches_torch_distributions(shape, gen):
    """kl_divergence equals torch.distributions.kl_divergence between Categoricals."""
    p = torch.randn(*shape, generator=gen, dtype=torch.float64) * 2
    q = torch.randn(*shape, generator=gen, dtype=torch.float64) * 2
    torch.testing.assert_close(pc.kl_divergence(p, q), torch_kl(p, q), rtol=1e-12, atol=1e-12)


def test_bernoulli_closed_form():
    """KL(Bern(a) || Bern(b)) = a log(a/b) + (1-a) log((1-a)/(1-b))."""
    a, b = 0.3, 0.8
    p = torch.log(torch.tensor([a, 1 - a], dtype=torch.float64))
    q = torch.log(torch.tensor([b, 1 - b], dtype=torch.float64))
    ref = a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))
    assert pc.kl_divergence(p, q).item() == pytest.approx(ref, rel=1e-12)


@given(cases(neg_inf=True))
def test_nonnegative(case):
    """KL(p || q) >= 0 (Gibbs' inequality), also when p has zero-probability tokens."""
    assert bool((pc.kl_divergence(case.logits, case.other) >= -1e-12).all())


@given(cases(neg_inf=True))
def test_kl_of_p_with_itself_is_zero(case):
    """KL(p || p) = 0, even where p has -inf logits (0 log 0/0 = 0, never NaN)."""
    kl = pc.kl_divergence(case.logits, case.logits)
    torch.testing.assert_close(kl, torch.zeros_like(kl), atol=1e-12, rtol=0)


@given(cases(), shifts, shifts)
def test_shift_invariance(case, c1, c2):
    """Adding constants to either set of logits leaves KL unchanged."""
    torch.testing.assert_close(
        pc.kl_divergence(case.logits + c1, case.other + c2),
        pc.kl_divergence(case.logits, case.other),
        rtol=1e-8,
        atol=1e-8,
    )


@given(cases(neg_inf=True))
def test_chunked_equals_unchunked(case):
    """Any chunk size gives the same KL and the same gradients for both arguments."""
    grads = []
    for chunk in (case.chunk, 10**6):
        x = case.logits.clone().requires_grad_()
        y = case.other.clone().requires_grad_()
        kl = vocab_stats(
            x, None, y, want_logp=False, want_ent=False, want_kl=True, chunk_size=chunk
        )[2]
        kl.sum().backward()
        grads.append((kl.detach(), x.grad, y.grad))
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@given(cases())
def test_gradients_match_torch_distributions(case):
    """The custom backward equals autograd through torch.distributions.kl_divergence."""
    x1, y1 = case.logits.clone().requires_grad_(), case.other.clone().requires_grad_()
    x2, y2 = case.logits.clone().requires_grad_(), case.other.clone().requires_grad_()
    pc.kl_divergence(x1, y1).sum().backward()
    torch_kl(x2, y2).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(y1.grad, y2.grad, rtol=1e-9, atol=1e-12)


def safe_kl(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    """A NaN-free autograd reference for p with -inf logits (the double-where trick)."""
    logp = torch.log_softmax(p_logits, -1)
    p = logp.exp()
    support = p > 0
    logp = torch.where(support, logp, 0.0)
    logq = torch.where(support, torch.log_softmax(q_logits, -1), 0.0)
    return torch.where(support, p * (logp - logq), 0.0).sum(-1)


@given(cases(neg_inf=True))
def test_gradients_finite_with_neg_inf_logits(case):
    """With -inf logits in p, gradients are finite, 0 off the support, and match a safe reference."""
    x1, y1 = case.logits.clone().requires_grad_(), case.other.clone().requires_grad_()
    x2, y2 = case.logits.clone().requires_grad_(), case.other.clone().requires_grad_()
    pc.kl_divergence(x1, y1).sum().backward()
    safe_kl(x2, y2).sum().backward()
    assert bool(torch.isfinite(x1.grad).all()) and bool(torch.isfinite(y1.grad).all())
    assert bool((x1.grad[torch.isneginf(case.logits)] == 0).all())
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(y1.grad, y2.grad, rtol=1e-9, atol=1e-12)


def test_gradcheck_float64(gen):
    """Analytic gradients w.r.t. both logits agree with finite differences (float64)."""
    p = torch.randn(4, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    q = torch.randn(4, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(pc.kl_divergence, (p, q))


def test_zero_p_contributes_nothing():
    """Where p = 0 the term is 0 even if q = 0 too: 0 * log(0/0) = 0, never NaN."""
    p = torch.tensor([0.0, -INF, 0.0])
    q = torch.tensor([1.0, -INF, 0.0])
    ref = torch_kl(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(pc.kl_divergence(p, q), ref)


def test_p_positive_q_zero_is_inf():
    """Where p > 0 and q = 0, KL(p || q) = +inf (not NaN)."""
    kl = pc.kl_divergence(torch.tensor([0.0, 0.0]), torch.tensor([0.0, -INF]))
    assert kl.item() == INF


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision(dtype, gen):
    """fp16/bf16 logits give the fp32 KL of the upcast logits."""
    p = torch.randn(3, 16, generator=gen).to(dtype)
    q = torch.randn(3, 16, generator=gen).to(dtype)
    out = pc.kl_divergence(p, q)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, torch_kl(p.float(), q.float()))


# ---------------------------------------------------------------- estimators


def test_estimator_formulas():
    """k1 = -log r, k2 = (log r)^2 / 2, k3 = (r - 1) - log r with log r = logq - logp."""
    logp = torch.tensor([-1.0, -0.5, -3.0], dtype=torch.float64)
    logq = torch.tensor([-2.0, -0.1, -3.0], dtype=torch.float64)
    lr = logq - logp
    torch.testing.assert_close(pc.kl_estimate(logp, logq, kind="k1"), -lr)
    torch.testing.assert_close(pc.kl_estimate(logp, logq, kind="k2"), 0.5 * lr**2)
    torch.testing.assert_close(pc.kl_estimate(logp, logq, kind="k3"), lr.exp() - 1 - lr)
    torch.testing.assert_close(pc.kl_estimate(logp, logq), lr.exp() - 1 - lr)  # default k3


@given(log_ratios())
def test_k3_nonnegative(pair):
    """k3 >= 0 for every sample (log x <= x - 1), and k2 >= 0."""
    logp, logq = pair
    assert bool((pc.kl_estimate(logp, logq, kind="k3") >= 0).all())
    assert bool((pc.kl_estimate(logp, logq, kind="k2") >= 0).all())


def test_k1_and_k3_are_unbiased():
    """Averaged over samples x ~ p, k1 and k3 approach the exact KL(p || q); k2 is close for p ~ q."""
    gen = torch.Generator().manual_seed(1)
    p_logits = torch.tensor([1.0, 0.2, -0.5, 0.0, -1.0], dtype=torch.float64)
    q_logits = torch.tensor([0.8, 0.4, -0.3, 0.1, -1.2], dtype=torch.float64)
    exact = pc.kl_divergence(p_logits, q_logits).item()
    x = torch.multinomial(torch.softmax(p_logits, -1), 400_000, replacement=True, generator=gen)
    logp = torch.log_softmax(p_logits, -1)[x]
    logq = torch.log_softmax(q_logits, -1)[x]
    for kind, tol in (("k1", 0.1), ("k3", 0.02), ("k2", 0.1)):
        est = pc.kl_estimate(logp, logq, kind=kind).mean().item()
        assert est == pytest.approx(exact, rel=tol), kind


def test_estimate_inf_when_q_zero():
    """A sample impossible under q (logq = -inf) gives +inf for every estimator, not NaN."""
    for kind in ("k1", "k2", "k3"):
        out = pc.kl_estimate(torch.tensor([-1.0]), torch.tensor([-INF]), kind=kind)
        assert out.item() == INF


# ---------------------------------------------------------------- penalised rewards


def loop_rewards(scores, logp, ref_logp, mask, beta, kind):
    out = torch.zeros_like(logp)
    for b in range(logp.shape[0]):
        kept = [t for t in range(logp.shape[1]) if mask[b, t]]
        for t in kept:
            lr = (ref_logp[b, t] - logp[b, t]).item()
            k = {"k1": -lr, "k2": 0.5 * lr * lr, "k3": math.expm1(lr) - lr}[kind]
            out[b, t] = -beta * k
        out[b, kept[-1]] += scores[b]
    return out


@pytest.mark.parametrize("kind", ["k1", "k2", "k3"])
def test_penalized_rewards_match_loop(kind, gen):
    """kl_penalized_rewards equals an explicit per-token loop for every estimator."""
    logp = -torch.rand(3, 5, generator=gen, dtype=torch.float64) * 3
    ref = -torch.rand(3, 5, generator=gen, dtype=torch.float64) * 3
    mask = torch.tensor([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1], [1, 0, 1, 0, 0]])
    scores = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    out = pc.kl_penalized_rewards(scores, logp, ref, mask, beta=0.05, kind=kind)
    torch.testing.assert_close(out, loop_rewards(scores, logp, ref, mask, 0.05, kind))


def test_penalized_rewards_beta_zero_is_score_only():
    """beta = 0 (the un-leashed case) leaves only the score at the last kept token."""
    logp = torch.tensor([[-1.0, -2.0, -3.0]])
    ref = torch.tensor([[-3.0, -1.0, -1.0]])
    out = pc.kl_penalized_rewards(torch.tensor([2.0]), logp, ref, torch.tensor([[1, 1, 0]]), 0.0)
    torch.testing.assert_close(out, torch.tensor([[0.0, 2.0, 0.0]]))


def test_penalized_rewards_ignore_masked_garbage():
    """Values at masked positions (even -inf) never leak into the rewards."""
    logp = torch.tensor([[-1.0, -INF]])
    ref = torch.tensor([[-1.5, float("nan")]]).nan_to_num(nan=-INF)
    out = pc.kl_penalized_rewards(torch.tensor([1.0]), logp, ref, torch.tensor([[1, 0]]), 0.1)
    torch.testing.assert_close(out, torch.tensor([[1.0 - 0.1 * 0.5, 0.0]]))


# ---------------------------------------------------------------- optimal policy


def test_regularized_policy_closed_form(gen):
    """pi* = softmax(ref_logits + r / beta): normalised and proportional to pi_ref * exp(r/beta)."""
    ref = torch.randn(3, 8, generator=gen, dtype=torch.float64)
    r = torch.randn(3, 8, generator=gen, dtype=torch.float64)
    logpi = pc.kl_regularized_policy(ref, r, beta=0.7)
    torch.testing.assert_close(logpi.exp().sum(-1), torch.ones(3, dtype=torch.float64))
    unnorm = torch.softmax(ref, -1) * torch.exp(r / 0.7)
    torch.testing.assert_close(logpi.exp(), unnorm / unnorm.sum(-1, keepdim=True))


@given(cases())
def test_regularized_policy_is_the_maximiser(case):
    """E_pi[r] - beta KL(pi||ref) at pi* equals beta log E_ref[e^{r/beta}] and beats other policies."""
    beta = 0.5
    ref, r = case.logits, case.other

    def objective(logits):
        return (torch.softmax(logits, -1) * r).sum(-1) - beta * pc.kl_divergence(logits, ref)

    star = pc.kl_regularized_policy(ref, r, beta)
    best = objective(star)
    closed = beta * torch.logsumexp(torch.log_softmax(ref, -1) + r / beta, -1)
    torch.testing.assert_close(best, closed, rtol=1e-9, atol=1e-9)
    for other in (ref, ref + r, star + 0.3 * torch.roll(r, 1, -1)):
        assert bool((objective(other) <= best + 1e-9).all())


def test_regularized_policy_limits(gen):
    """Huge beta returns the reference; tiny beta puts all mass on the best-rewarded token."""
    ref = torch.randn(6, generator=gen, dtype=torch.float64)
    r = torch.randn(6, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(
        pc.kl_regularized_policy(ref, r, 1e9), torch.log_softmax(ref, -1), rtol=1e-6, atol=1e-6
    )
    assert pc.kl_regularized_policy(ref, r, 1e-6).exp().argmax() == r.argmax()
