"""Property-based robustness suite: every public core function over dtypes, magnitudes, masks, shapes.

Each property compares with a float64 reference computed from the same (already rounded) input,
with a tolerance of a few units of the compute dtype's precision (fp32 for fp16/bf16/fp32 input,
fp64 for fp64 input) times the size of the quantities involved. Every result is checked for NaN
and for its dtype and shape. The shift-invariance at extreme logit magnitudes is the engine's own
suite (tests/core/test_stats.py).
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import batches, extremes, rollouts

import ptcourse as pc


def out_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def tol(dtype: torch.dtype, size: float = 1.0) -> dict:
    """Tolerance: 64 units of the compute dtype's epsilon, relative and scaled by ``size``."""
    e = 64 * torch.finfo(out_dtype(dtype)).eps
    return {"rtol": e, "atol": e * max(1.0, size)}


def no_nan(*xs: torch.Tensor) -> None:
    for x in xs:
        assert not bool(torch.isnan(x).any()), x


# ---------------------------------------------------------------- likelihood


@given(batches(min_dims=1, max_dims=3))
def test_token_logprobs_any_dtype_and_shape(b):
    """token_logprobs is log_softmax(x)[t] of the float64 input, <= 0, shape (...), fp32/fp64."""
    got = pc.token_logprobs(b.logits, b.targets)
    want = F.log_softmax(b.exact, -1).gather(-1, b.targets[..., None]).squeeze(-1)
    assert got.shape == b.targets.shape and got.dtype == out_dtype(b.dtype)
    no_nan(got)
    assert bool((got <= 0).all())
    torch.testing.assert_close(got.double(), want, **tol(b.dtype, b.scale))


@given(batches(min_dims=2, max_dims=3))
def test_sequence_logprob_and_cross_entropy_with_any_mask(b):
    """With any mask type and padding ids at masked positions, the masked sum and mean are right."""
    targets = torch.where(b.keep, b.targets, -100)  # garbage where masked
    lp = F.log_softmax(b.exact, -1).gather(-1, b.targets[..., None]).squeeze(-1) * b.keep
    seq = pc.sequence_logprob(b.logits, targets, b.mask)
    ce = pc.cross_entropy(b.logits, targets, b.mask)
    ppl = pc.perplexity(b.logits, targets, b.mask)
    no_nan(seq, ce, ppl)
    assert seq.shape == b.targets.shape[:-1] and ce.shape == ()
    n = b.keep.shape[-1]
    torch.testing.assert_close(seq.double(), lp.sum(-1), **tol(b.dtype, n * b.scale))
    want_ce = -lp.sum() / b.keep.sum()
    torch.testing.assert_close(ce.double(), want_ce, **tol(b.dtype, b.scale))
    assert ce.item() >= 0 and ppl.item() >= 1 - 1e-6
    torch.testing.assert_close(ppl, torch.exp(ce))


@given(
    batches(min_dims=2, max_dims=2),
    st.sampled_from([torch.int8, torch.int16, torch.int32, torch.int64]),
    st.sampled_from(["token", "sequence"]),
)
def test_sft_loss_any_label_dtype_matches_hugging_face(b, label_dtype, average):
    """sft_loss equals the shifted, ignore_index cross-entropy for every label dtype that holds -100."""
    v = b.logits.shape[-1]
    if label_dtype == torch.int8 and v > 127:
        return
    labels = torch.where(b.keep, b.targets, -100)  # (B, T)
    if not bool((labels[:, 1:] != -100).any()):
        labels[0, -1] = 0 if labels.shape[1] > 1 else labels[0, -1]
    if not bool((labels[:, 1:] != -100).any()):
        return  # T == 1: nothing to predict
    got = pc.sft_loss(b.logits, labels.to(label_dtype), average=average)
    x = b.exact[:, :-1]
    y = labels[:, 1:]
    nll = F.cross_entropy(x.reshape(-1, v), y.reshape(-1), ignore_index=-100, reduction="none")
    nll = nll.view(y.shape)
    kept = y != -100
    if average == "token":
        want = nll.sum() / kept.sum()
    else:
        has = kept.any(-1)
        want = (nll.sum(-1)[has] / kept.sum(-1)[has]).mean()
    assert got.dtype == out_dtype(b.dtype) and got.shape == ()
    no_nan(got)
    torch.testing.assert_close(got.double(), want, **tol(b.dtype, b.scale))


# ---------------------------------------------------------------- the spread and the leash


@given(batches(min_dims=1, max_dims=3))
def test_entropy_bounds_and_reference(b):
    """0 <= H <= log V, equal to the float64 Categorical entropy of the same logits."""
    got = pc.entropy(b.logits)
    want = torch.distributions.Categorical(logits=b.exact).entropy()
    no_nan(got)
    assert got.shape == b.logits.shape[:-1] and got.dtype == out_dtype(b.dtype)
    v = b.logits.shape[-1]
    slack = tol(b.dtype, b.scale)["atol"]
    assert bool((got >= -slack).all()) and bool((got <= math.log(v) + slack).all())
    torch.testing.assert_close(got.double(), want, **tol(b.dtype, b.scale))


@given(batches(min_dims=1, max_dims=3), st.integers(0, 2**31 - 1))
def test_kl_divergence_nonnegative_and_reference(b, seed):
    """KL(p || q) >= 0 and equals torch.distributions' float64 value, any dtype and shape."""
    gen = torch.Generator().manual_seed(seed)
    q = (torch.randn(b.logits.shape, generator=gen, dtype=torch.float64) * b.scale).to(b.dtype)
    got = pc.kl_divergence(b.logits, q)
    Cat = torch.distributions.Categorical
    want = torch.distributions.kl_divergence(Cat(logits=b.exact), Cat(logits=q.double()))
    no_nan(got)
    assert got.shape == b.logits.shape[:-1] and got.dtype == out_dtype(b.dtype)
    assert bool((got >= 0).all())
    torch.testing.assert_close(got.double(), want, **tol(b.dtype, b.scale**2))


@given(rollouts(extreme=True), st.sampled_from(["k1", "k2", "k3"]))
def test_kl_estimate_formulas_and_signs(r, kind):
    """k1 = -log r, k2 = (log r)^2 / 2, k3 = r - 1 - log r >= 0, never NaN (also for -90, -inf logq)."""
    logq = r.old_logp  # may hold -90 and -inf
    log_r = logq.double() - r.logp.double()
    want = {"k1": -log_r, "k2": 0.5 * log_r**2, "k3": torch.expm1(log_r) - log_r}[kind]
    if bool((torch.isfinite(want) & (want.abs() > torch.finfo(out_dtype(r.dtype)).max)).any()):
        with pytest.raises(ValueError, match="overflows"):  # finite, but not in the dtype
            pc.kl_estimate(r.logp, logq, kind)
        return
    got = pc.kl_estimate(r.logp, logq, kind)
    no_nan(got)
    assert got.dtype == out_dtype(r.dtype) and got.shape == r.logp.shape
    if kind != "k1":
        assert bool((got >= 0).all())
    finite = torch.isfinite(want)
    assert bool(torch.isposinf(got[~finite]).all())
    torch.testing.assert_close(got.double()[finite], want[finite], **tol(r.dtype, 100.0))


@given(
    rollouts(),
    st.sampled_from(["k1", "k2", "k3"]),
    st.sampled_from([0.0, 1e-6, 0.1, 1.0, 1e6, 1e30]),
)
def test_kl_penalized_rewards_any_beta_and_mask(r, kind, beta):
    """Rewards are -beta k at kept tokens plus the score at the last kept one, 0 elsewhere; finite."""
    got = pc.kl_penalized_rewards(r.scores, r.logp, r.old_logp, r.mask, beta, kind)
    log_r = r.old_logp.double() - r.logp.double()
    k = {"k1": -log_r, "k2": 0.5 * log_r**2, "k3": torch.expm1(log_r) - log_r}[kind]
    want = torch.where(r.keep, -beta * k, 0.0)
    pos = torch.arange(r.keep.shape[1])
    last = torch.where(r.keep, pos, -1).amax(-1)
    want[torch.arange(len(last)), last] += r.scores.double()
    no_nan(got)
    assert got.dtype == out_dtype(r.dtype) and got.shape == r.logp.shape
    assert bool(torch.isfinite(got).all()) and bool((got[~r.keep] == 0).all())
    size = max(1.0, beta * k.abs().max().item() + r.scores.abs().max().item())
    torch.testing.assert_close(got.double(), want, **tol(r.dtype, size))


@given(
    batches(min_dims=1, max_dims=2),
    st.sampled_from([1e-30, 1e-6, 0.01, 1.0, 1e6, 1e30]),
)
def test_kl_regularized_policy_any_beta_is_normalised(b, beta):
    """log pi* is a normalised log-distribution for betas from 1e-30 to 1e30, never NaN.

    Where float64 arithmetic does not overflow it equals log_softmax(ref + r / beta).
    """
    rewards = torch.roll(b.logits, 1, dims=-1)  # any rewards of the logits' shape
    got = pc.kl_regularized_policy(b.logits, rewards, beta)
    no_nan(got)
    assert got.shape == b.logits.shape and got.dtype == out_dtype(b.dtype)
    assert bool((got <= 0).all())
    torch.testing.assert_close(
        torch.logsumexp(got.double(), -1),
        torch.zeros(got.shape[:-1], dtype=torch.float64),
        **tol(b.dtype),
    )
    want = F.log_softmax(b.exact + rewards.double() / beta, -1)
    if bool(torch.isfinite(want).all()) and bool(torch.isfinite(got).all()):
        torch.testing.assert_close(got.double(), want, **tol(b.dtype, b.scale * max(1.0, 1 / beta)))


# ---------------------------------------------------------------- the toolkit


@given(rollouts(), st.sampled_from([1e-3, 0.1, 1.0, 100.0]))
def test_dpo_loss_reference_and_symmetry(r, beta):
    """DPO equals -mean log sigmoid(beta margin), is finite and >= 0; swapping sides negates the margin."""
    pc_, pr = r.logp[:, 0], r.logp[:, -1]
    rc, rr = r.old_logp[:, 0], r.old_logp[:, -1]
    got = pc.dpo_loss(pc_, pr, rc, rr, beta)
    m = beta * ((pc_.double() - rc.double()) - (pr.double() - rr.double()))
    assert got.dtype == out_dtype(r.dtype) and got.shape == ()
    assert math.isfinite(got.item()) and got.item() >= 0
    torch.testing.assert_close(
        got.double(), -F.logsigmoid(m).mean(), **tol(r.dtype, m.abs().max().item())
    )
    swapped = pc.dpo_loss(pr, pc_, rr, rc, beta)
    torch.testing.assert_close(
        swapped.double(), -F.logsigmoid(-m).mean(), **tol(r.dtype, m.abs().max().item())
    )


@given(
    st.integers(1, 4),
    st.integers(2, 8),
    st.sampled_from([torch.float16, torch.bfloat16, torch.float32, torch.float64]),
    st.sampled_from([1e-30, 1e-6, 1.0, 1e6, 1e30, 1e38]),
    st.sampled_from([0.0, 1e2, 1e5]),
    st.sampled_from([0.0, 1e-4]),
    st.integers(0, 2**31 - 1),
)
def test_grpo_advantages_any_magnitude_sum_to_zero(g, n, dtype, mag, rel, eps, seed):
    """Advantages are finite, sum to 0 per group, and equal the float64 formula, at any magnitude.

    Spreads reach 1e38 (sums beyond the fp32 maximum), and an offset of 1e2 or 1e5 spreads makes
    groups nearly constant, where rounding the mean in the input dtype used to break the zero sum.
    """
    fi = torch.finfo(dtype)
    gen = torch.Generator().manual_seed(seed)
    spread = torch.randn(g, n, generator=gen, dtype=torch.float64) * mag
    r = (rel * mag + spread).clamp(-0.9 * fi.max, 0.9 * fi.max).to(dtype)  # (G, n)
    x = r.double()
    const = (x == x[:, :1]).all(-1, keepdim=True)
    centred = x - x.mean(-1, keepdim=True)
    for scale in (True, False):
        got = pc.grpo_advantages(r, scale=scale, eps=eps)
        assert got.dtype == out_dtype(dtype) and got.shape == r.shape
        assert bool(torch.isfinite(got).all())
        s = got.double().sum(-1).abs()
        bound = 4 * n * torch.finfo(got.dtype).eps * got.double().abs().amax(-1)
        assert bool((s <= bound).all()), (s, bound)
        if scale:
            want = torch.where(const, 0.0, centred / (x.std(-1, keepdim=True) + eps))
            torch.testing.assert_close(got.double(), want, rtol=1e-4, atol=1e-4)
        else:
            size = centred.abs().max().item()
            torch.testing.assert_close(got.double(), centred, rtol=1e-4, atol=1e-4 * size)


def textbook_ppo(logp, old_logp, adv, keep, eps, eps_high):
    ratio = torch.exp(logp - old_logp)
    obj = torch.min(ratio * adv, torch.clamp(ratio, 1 - eps, 1 + eps_high) * adv)
    return -torch.where(keep, obj, 0.0).sum() / keep.sum()


@given(rollouts(), st.sampled_from([(0.2, None), (0.1, 0.28), (0.5, 2.0)]))
def test_ppo_clip_loss_matches_textbook(r, clips):
    """Value and gradient equal the textbook min(rho A, clip(rho) A) in float64, for any mask type."""
    eps, eps_high = clips
    lp = r.logp.clone().requires_grad_()
    got = pc.ppo_clip_loss(
        lp, r.old_logp, r.advantages, r.mask, clip_eps=eps, clip_eps_high=eps_high
    )
    got.backward()
    lp64 = r.logp.double().requires_grad_()
    adv = r.advantages.double().expand(r.logp.shape)
    want = textbook_ppo(lp64, r.old_logp.double(), adv, r.keep, eps, eps_high or eps)
    want.backward()
    assert got.dtype == out_dtype(r.dtype) and got.shape == ()
    size = adv.abs().max().item() * math.exp(3.0 * 3)  # |A| * the largest ratio drawn (3 sigma)
    torch.testing.assert_close(got.double(), want, **tol(r.dtype, size))
    torch.testing.assert_close(lp.grad.double(), lp64.grad.to(torch.float64), **tol(r.dtype, size))


@given(rollouts(extreme=True))
def test_ppo_clip_loss_gradient_never_nan(r):
    """With overflowing ratios (old_logp = -90 or -inf) the gradient is never NaN, or the loss refuses.

    A clipped token (A >= 0, ratio above 1 + eps) has gradient exactly 0; the gradient is finite
    in fp32/fp64 (an fp16 gradient of |A| e^80 rounds to inf, never to NaN).
    """
    lp = r.logp.clone().requires_grad_()
    try:
        loss = pc.ppo_clip_loss(lp, r.old_logp, r.advantages, r.mask)
    except ValueError as err:  # only for an unbounded term: a negative advantage, a huge ratio
        assert "overflows" in str(err), err
        return
    loss.backward()
    assert math.isfinite(loss.item())
    no_nan(lp.grad)
    if r.dtype in (torch.float32, torch.float64):  # fp16 cannot hold a gradient of |A| e^80
        assert bool(torch.isfinite(lp.grad).all())
    adv = r.advantages.expand(r.logp.shape)
    ratio = torch.exp(r.logp.double() - r.old_logp.double())
    clipped = r.keep & (adv >= 0) & (ratio > 1.2 + 1e-3)
    assert bool((lp.grad[clipped] == 0).all())
    assert bool((lp.grad[~r.keep] == 0).all())


# ---------------------------------------------------------------- near the dtype limits (issue 30)
# The rule: a result whose exact value the dtype can hold is returned (finite, close to it), even
# where the plain float sum would overflow; an exact value beyond the dtype's maximum is refused
# with a ValueError. Exact references are computed with fractions.Fraction.


def _exact_mean(values) -> Fraction:
    values = list(values)
    return sum((Fraction(v) for v in values), Fraction(0)) / len(values)


def _check_against(got_or_call, exact: Fraction, dtype: torch.dtype, scale: Fraction, n: int):
    """Call, then compare with ``exact``; a ValueError is expected iff |exact| exceeds the max."""
    fi = torch.finfo(dtype)
    if abs(exact) > Fraction(fi.max):
        with pytest.raises(ValueError, match="overflow"):
            got_or_call()
        return
    got = got_or_call()
    assert got.dtype == dtype and bool(torch.isfinite(got).all()), got
    err = abs(Fraction(got.item()) - exact)
    assert err <= 4 * n * Fraction(fi.eps) * scale + Fraction(fi.tiny), (got.item(), float(exact))


@given(extremes(), st.sampled_from(["token-mean", "seq-mean-token-sum", "seq-mean-token-mean"]))
def test_aggregate_loss_near_the_dtype_limits(e, mode):
    """Every mode at magnitudes near fp32/fp64's maximum and smallest normal number."""
    x, keep = e.values, e.keep
    rows = [[Fraction(v) for v, k in zip(r, m, strict=True) if k] for r, m in
            zip(x.tolist(), keep.tolist(), strict=True)]  # fmt: skip
    if mode == "token-mean":
        exact = _exact_mean(v for r in rows for v in r)
    elif mode == "seq-mean-token-sum":
        exact = _exact_mean(sum(r, Fraction(0)) for r in rows)
    else:
        exact = _exact_mean(sum(r, Fraction(0)) / len(r) for r in rows)
    scale = max(abs(Fraction(v)) for v in x[keep].tolist()) * x.shape[1]
    _check_against(lambda: pc.aggregate_loss(x, keep, mode), exact, e.dtype, scale, x.numel())


@given(extremes(), st.sampled_from([None, 0.25]))
def test_bradley_terry_loss_near_the_dtype_limits(e, margin_frac):
    """Wrong-way gaps near the maximum average to their exact mean; a gap beyond it is refused."""
    fi = torch.finfo(e.dtype)
    chosen, rejected = e.values[0], e.values[-1].flip(0)
    gap = [
        Fraction(c) - Fraction(r) for c, r in zip(chosen.tolist(), rejected.tolist(), strict=True)
    ]
    margin = None if margin_frac is None else margin_frac * fi.max
    if margin is not None:
        gap = [g - Fraction(margin) for g in gap]

    def softplus(z: Fraction) -> Fraction:  # -log sigmoid(g) = softplus(-g)
        return z if z > 50 else (Fraction(0) if z < -50 else Fraction(math.log1p(math.exp(z))))

    if any(abs(g) > Fraction(fi.max) for g in gap):
        with pytest.raises(ValueError, match="overflow"):
            pc.bradley_terry_loss(chosen, rejected, margin)
        return
    exact = _exact_mean(softplus(-g) for g in gap)
    scale = max(max(abs(g) for g in gap), Fraction(1))
    _check_against(
        lambda: pc.bradley_terry_loss(chosen, rejected, margin), exact, e.dtype, scale, len(gap)
    )


@given(
    st.integers(1, 4),
    st.integers(2, 6),
    st.sampled_from([torch.float32, torch.float64]),
    st.floats(0.0, 1.0),
    st.sampled_from(["group", "batch"]),
    st.integers(0, 2**31 - 1),
)
def test_grpo_advantages_are_scale_free_near_the_dtype_limits(g, n, dtype, frac, scale, seed):
    """Rewards times 2^k (exact) give the advantages of the rewards themselves, eps = 0, for every
    k that keeps them normal: fp32 2^-100 to 2^100, fp64 2^-990 to 2^990 (1e-298 to 1e298)."""
    kmax = 100 if dtype == torch.float32 else 990
    k = round(-kmax + 2 * kmax * frac)
    base = torch.randn(g, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    base = base.clamp(-8, 8).to(dtype)
    scaled = torch.ldexp(base, torch.tensor(k))
    assert torch.equal(torch.ldexp(scaled, torch.tensor(-k)), base)  # exact, no rounding
    want = pc.grpo_advantages(base, scale=scale, eps=0.0)
    got = pc.grpo_advantages(scaled, scale=scale, eps=0.0)
    assert bool(torch.isfinite(got).all())
    torch.testing.assert_close(got, want, rtol=1e-12 if dtype == torch.float64 else 1e-6, atol=0)


@given(
    st.sampled_from([torch.float32, torch.float64]),
    st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=6),
    st.sampled_from(["k1", "k2", "k3"]),
)
def test_kl_estimate_near_the_overflow_of_exp(dtype, fracs, kind):
    """Log-ratios up to 2.3x where exp overflows (88.7 in fp32, 709.8 in fp64): a finite estimate
    the dtype can hold is returned, one it cannot is refused (never a silent inf)."""
    fi = torch.finfo(dtype)
    top = 2.3 * math.log(fi.max)
    logp = torch.tensor([-top * max(f, 0.0) for f in fracs], dtype=dtype)
    logq = torch.tensor([-top * max(-f, 0.0) for f in fracs], dtype=dtype)
    log_r = [q - p for p, q in zip(logp.double().tolist(), logq.double().tolist(), strict=True)]

    def exact(lr: float) -> float:  # in float64 (inf past its own maximum)
        if kind == "k1":
            return -lr
        if kind == "k2":
            return 0.5 * lr * lr
        return math.expm1(lr) - lr if lr < 709.7 else math.inf

    want = [exact(lr) for lr in log_r]
    assume(all(abs(abs(w) / fi.max - 1) > 1e-6 for w in want))  # not on the boundary itself
    if any(abs(w) > fi.max for w in want):
        with pytest.raises(ValueError, match=f"{kind} overflows"):
            pc.kl_estimate(logp, logq, kind)
        return
    got = pc.kl_estimate(logp, logq, kind)
    assert bool(torch.isfinite(got).all())
    torch.testing.assert_close(
        got.double(), torch.tensor(want, dtype=torch.float64), rtol=1e-5, atol=1e-5
    )


@given(extremes(), st.sampled_from([1.0, 0.5]))
def test_kl_penalized_rewards_near_the_dtype_limits(e, beta_frac):
    """Scores near the maximum plus k1 penalties near it: finite where the exact reward fits,
    refused where it does not; never +-inf where ref_logp is finite."""
    fi = torch.finfo(e.dtype)
    b, t = e.values.shape
    scores = e.values[:, 0]
    logp = -e.values.abs() * beta_frac  # (B, T) finite log-probs, near -max
    ref = torch.zeros_like(logp)  # k1 = logp - ref = logp: penalty -beta * logp > 0
    beta = 1.0
    keep = e.keep
    k = (ref.double() - logp.double()).neg().tolist()  # k1 as computed, exact in float64
    last = [max(i for i in range(t) if keep[r, i]) for r in range(b)]
    exact = [[Fraction(-beta * k[r][i]) + (Fraction(scores[r].item()) if i == last[r] else 0)
              for i in range(t)] for r in range(b)]  # fmt: skip
    kept = [exact[r][i] for r in range(b) for i in range(t) if keep[r, i]]
    assume(all(abs(abs(v) / Fraction(fi.max) - 1) > Fraction(1, 10**6) for v in kept if v))
    if any(abs(v) > Fraction(fi.max) for v in kept):
        with pytest.raises(ValueError, match="overflows"):
            pc.kl_penalized_rewards(scores, logp, ref, keep, beta)
        return
    got = pc.kl_penalized_rewards(scores, logp, ref, keep, beta)
    assert bool(torch.isfinite(got).all())
    for r in range(b):
        for i in range(t):
            if keep[r, i]:
                err = abs(Fraction(got[r, i].item()) - exact[r][i])
                assert err <= 4 * Fraction(fi.eps) * abs(exact[r][i]) + 2 * Fraction(
                    fi.max
                ) * Fraction(fi.eps)
