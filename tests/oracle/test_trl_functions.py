"""ptcourse against TRL's own importable functions, executed side by side (not read from source).

* ``trl.trainer.utils.selective_log_softmax`` (the log-prob of the sampled token every TRL
  trainer uses) against :func:`ptcourse.token_logprobs` / :func:`ptcourse.sequence_logprob`;
* ``trl.trainer.utils.entropy_from_logits`` against :func:`ptcourse.entropy`;
* ``trl.trainer.utils.nanstd`` (GRPO's Bessel std) inside TRL's advantage formula against
  :func:`ptcourse.grpo_advantages`;
* the chunked engines of ``trl.kernels``: ``ChunkedLogProbFunction`` (log-prob and entropy of
  ``hidden @ weight.T`` without the full logits; the SFT, DPO and GRPO trainers' fused LM head)
  against :func:`ptcourse.token_stats`, and ``ChunkedDivergenceFunction`` (the distillation
  trainer's forward KL, reverse KL and generalised JSD) against :func:`ptcourse.kl_divergence`
  and :func:`ptcourse.entropy`.

On random and adversarial inputs (logits of 1e4, -inf entries, masks with padding ids, bf16),
values and gradients. On CPU TRL runs the torch fallbacks of its Triton kernels, the same
arithmetic.
"""

from __future__ import annotations

import math

import oracle_support as S
import pytest
import torch

import ptcourse as pc

trl_utils = S.Lazy("trl.trainer.utils")
trl_logprob = S.Lazy("trl.kernels.chunked_logprob")
trl_divergence = S.Lazy("trl.kernels.chunked_divergence")

pytestmark = [pytest.mark.oracle, pytest.mark.xdist_group("oracle")]

GRPO_STD_EPS = 1e-4  # TRL's `advantages / (std_rewards + 1e-4)` (grpo_trainer.py)


def _logits(shape, scale=3.0, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(shape, generator=g, dtype=torch.float64)).to(dtype)


def _targets(shape, vocab, seed=1):
    return torch.randint(0, vocab, shape, generator=torch.Generator().manual_seed(seed))


CASES = {
    "random": dict(scale=3.0),
    "large": dict(scale=1.0e4),  # logits of 1e4: a naive exp overflows, log-sum-exp does not
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_selective_log_softmax_values_and_gradients(case, dtype):
    """log p(target): TRL's selective_log_softmax and pc.token_logprobs agree, gradients too."""
    x = _logits((3, 5, 37), dtype=dtype, **CASES[case])
    t = _targets((3, 5), 37)
    w = _logits((3, 5), seed=2, dtype=dtype)  # a random upstream gradient
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours = pc.token_logprobs(xa, t)
    theirs = trl_utils.selective_log_softmax(xb, t)
    assert ours.dtype == theirs.dtype == dtype
    tol = dict(rtol=1e-6, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-9)
    torch.testing.assert_close(ours, theirs, **tol)
    (ga,) = torch.autograd.grad((w * ours).sum(), xa)
    (gb,) = torch.autograd.grad((w * theirs).sum(), xb)
    torch.testing.assert_close(ga, gb, **tol)


def test_selective_log_softmax_with_minus_inf_logits():
    """Tokens at -inf (a banned token, a top-k cut): the same finite log-probs and gradients.

    A target that is itself at -inf has log-probability -inf in both.
    """
    x = _logits((4, 6, 11))
    x[..., 3] = -math.inf
    x[0, 0, :] = -math.inf
    x[0, 0, 5] = 0.0  # one possible token: log p = 0
    t = _targets((4, 6), 11, seed=4)
    t[t == 3] = 2
    t[0, 0] = 5
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours, theirs = pc.token_logprobs(xa, t), trl_utils.selective_log_softmax(xb, t)
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-5)
    assert ours[0, 0].item() == theirs[0, 0].item() == 0.0
    (ga,) = torch.autograd.grad(ours.sum(), xa)
    (gb,) = torch.autograd.grad(theirs.sum(), xb)
    assert torch.isfinite(ga).all() and torch.isfinite(gb).all()
    torch.testing.assert_close(ga, gb, rtol=1e-6, atol=1e-6)
    t2 = t.clone()
    t2[1, 1] = 3  # a target at -inf
    lp_ours = pc.token_logprobs(x, t2)[1, 1].item()
    lp_theirs = trl_utils.selective_log_softmax(x, t2)[1, 1].item()
    assert lp_ours == lp_theirs == -math.inf


def test_masked_sequence_logprob_equals_row_mask_sum():
    """pc.sequence_logprob with a mask = TRL's selective_log_softmax(row_mask=...) summed over T.

    pc accepts padding ids (-100) at masked positions; TRL needs valid ids there (it gathers them).
    """
    x = _logits((4, 9, 23))
    t = _targets((4, 9), 23)
    mask = torch.ones(4, 9, dtype=torch.bool)
    mask[0, 6:] = False
    mask[2, :3] = False
    mask[3, 1::2] = False
    padded = torch.where(mask, t, torch.full_like(t, -100))
    ours = pc.sequence_logprob(x, padded, mask)
    theirs = trl_utils.selective_log_softmax(x, t, row_mask=mask).sum(-1)
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-5)


def test_bf16_logits():
    """bf16 logits: pc computes in fp32, TRL's bf16 path in bf16 (its log_softmax fallback).

    pc's fp32 result on bf16 input equals TRL on the same logits upcast to fp32; TRL's own bf16
    result is that value rounded to bf16 (within bf16's resolution of about 0.4 %, plus the
    rounding of log-softmax in bf16).
    """
    x = _logits((3, 4, 50), dtype=torch.bfloat16)
    t = _targets((3, 4), 50)
    ours = pc.token_logprobs(x, t)
    assert ours.dtype == torch.float32
    torch.testing.assert_close(
        ours, trl_utils.selective_log_softmax(x.float(), t), rtol=1e-6, atol=1e-5
    )
    theirs_bf16 = trl_utils.selective_log_softmax(x, t)
    assert theirs_bf16.dtype == torch.bfloat16
    torch.testing.assert_close(ours, theirs_bf16.float(), rtol=2e-2, atol=6e-2)
    torch.testing.assert_close(
        pc.entropy(x), trl_utils.entropy_from_logits(x.float()), rtol=1e-6, atol=1e-5
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_entropy_from_logits_values_and_gradients(case):
    """Entropy: TRL's entropy_from_logits (chunked over rows) and pc.entropy agree, gradients too."""
    x = _logits((300, 29), **CASES[case])  # 300 rows: three of TRL's 128-row chunks
    w = _logits((300,), seed=5)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours, theirs = pc.entropy(xa), trl_utils.entropy_from_logits(xb)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    (ga,) = torch.autograd.grad((w * ours).sum(), xa)
    (gb,) = torch.autograd.grad((w * theirs).sum(), xb)
    torch.testing.assert_close(ga, gb, rtol=1e-5, atol=1e-5)


def test_entropy_with_minus_inf_logits_pc_finite_trl_nan():
    """A -inf logit: pc.entropy is finite (0 log 0 = 0); TRL's entropy_from_logits is NaN.

    TRL computes ``-(exp(logp) * logp).sum(-1)`` with ``logp = -inf`` there: ``0 * -inf = NaN``.
    Its trainers never pass -inf logits (no logits processor in the loss path), so this is a
    difference of the function, recorded here: if a TRL release fixes it, this test fails by
    name and the course's sentence about it must change.
    """
    x = _logits((5, 13))
    x[:, 0] = -math.inf
    ours = pc.entropy(x)
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours, trl_utils.entropy_from_logits(x[:, 1:]), rtol=1e-6, atol=1e-6)
    assert torch.isnan(trl_utils.entropy_from_logits(x)).all()


def _trl_grpo_advantages(rewards: torch.Tensor, scale: str) -> torch.Tensor:
    """TRL's advantage formula (GRPOTrainer._generate_and_score_completions), written with nanstd."""
    n = rewards.shape[1]
    flat = rewards.flatten()
    mean = torch.nanmean(rewards, dim=1).repeat_interleave(n)
    if scale == "group":
        std = trl_utils.nanstd(rewards, dim=1).repeat_interleave(n)
    else:
        std = trl_utils.nanstd(flat).expand_as(flat)
    return ((flat - mean) / (std + GRPO_STD_EPS)).view_as(rewards)


@pytest.mark.parametrize("scale", ["group", "batch"])
def test_grpo_advantages_against_trl_nanstd(scale):
    """pc.grpo_advantages(eps=1e-4) is TRL's (r - group mean) / (nanstd + 1e-4), Bessel std.

    Includes a constant group (std 0: advantages exactly 0 in both) and a group of std 1e-3,
    where the epsilon is a tenth of the std and decides the value.
    """
    g = torch.Generator().manual_seed(7)
    r = torch.randn(6, 4, generator=g)
    r[2] = 1.0  # a constant group
    r[3] = torch.tensor([0.0, 1e-3, 2e-3, 0.0])  # a tiny spread
    ours = pc.grpo_advantages(r, scale=scale, eps=GRPO_STD_EPS)
    theirs = _trl_grpo_advantages(r, scale)
    torch.testing.assert_close(ours, theirs, rtol=2e-6, atol=2e-6)
    assert (ours[2] == 0).all() and (theirs[2] == 0).all()
    # nanstd is the Bessel (n - 1) std, torch.std's default
    torch.testing.assert_close(trl_utils.nanstd(r, dim=1), r.std(dim=1), rtol=1e-6, atol=1e-7)


def _project(hidden, weight, bias, temperature):
    logits = hidden.float() @ weight.float().T
    if bias is not None:
        logits = logits + bias.float()
    return logits / temperature


@pytest.mark.parametrize("temperature", [1.0, 0.7])
@pytest.mark.parametrize("with_bias", [False, True])
def test_chunked_logprob_function_against_token_stats(temperature, with_bias):
    """TRL's ChunkedLogProbFunction (vocabulary tiles of 7) against pc.token_stats on full logits.

    Log-probs and entropy, and the gradients of ``sum(a * logp + c * entropy)`` with respect to
    the hidden states, the LM head and its bias.
    """
    g = torch.Generator().manual_seed(11)
    n, h, v = 37, 8, 50
    hidden = torch.randn(n, h, generator=g)
    weight = torch.randn(v, h, generator=g)
    bias = torch.randn(v, generator=g) if with_bias else None
    targets = torch.randint(0, v, (n,), generator=g)
    a, c = torch.randn(n, generator=g), torch.randn(n, generator=g)

    leaves_t = [
        t.clone().requires_grad_() for t in (hidden, weight) + ((bias,) if with_bias else ())
    ]
    leaves_p = [
        t.clone().requires_grad_() for t in (hidden, weight) + ((bias,) if with_bias else ())
    ]
    b_t = leaves_t[2] if with_bias else None
    b_p = leaves_p[2] if with_bias else None
    logp_t, ent_t, *_ = trl_logprob.ChunkedLogProbFunction.apply(
        leaves_t[0], leaves_t[1], b_t, targets, temperature, 7, None, 1.0, ("entropy",)
    )
    stats = pc.token_stats(_project(leaves_p[0], leaves_p[1], b_p, temperature), targets)
    torch.testing.assert_close(stats.logp, logp_t, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(stats.entropy, ent_t, rtol=1e-5, atol=1e-5)
    grads_t = torch.autograd.grad((a * logp_t + c * ent_t).sum(), leaves_t)
    grads_p = torch.autograd.grad((a * stats.logp + c * stats.entropy).sum(), leaves_p)
    for gt, gp in zip(grads_t, grads_p, strict=True):
        torch.testing.assert_close(gp, gt, rtol=1e-4, atol=1e-5)


def test_chunked_logprob_function_bf16():
    """bf16 hidden states and head: TRL projects in bf16 tiles, pc takes the bf16 logits.

    Both then work in fp32; the difference is the rounding of the projection, bf16's about 0.4 %.
    """
    g = torch.Generator().manual_seed(12)
    hidden = torch.randn(20, 8, generator=g).bfloat16()
    weight = torch.randn(40, 8, generator=g).bfloat16()
    targets = torch.randint(0, 40, (20,), generator=g)
    logp_t, ent_t, *_ = trl_logprob.ChunkedLogProbFunction.apply(
        hidden, weight, None, targets, 1.0, 16, None, 1.0, ("entropy",)
    )
    stats = pc.token_stats(hidden @ weight.T, targets)
    torch.testing.assert_close(stats.logp, logp_t, rtol=2e-2, atol=5e-2)
    torch.testing.assert_close(stats.entropy, ent_t, rtol=2e-2, atol=5e-2)


@pytest.fixture
def small_vocab_tiles(monkeypatch):
    """Tiles of 7 vocabulary entries in ChunkedDivergenceFunction (32768 by default): many tiles."""
    monkeypatch.setattr(S.require("trl.kernels.chunked_divergence"), "VOCAB_CHUNK_SIZE", 7)


def _divergence_inputs(seed=13, n=23, hs=8, ht=6, v=40):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(n, hs, generator=g),
        torch.randn(v, hs, generator=g),
        torch.randn(n, ht, generator=g),
        torch.randn(v, ht, generator=g),
    )


@pytest.mark.parametrize("beta", [0.0, 1.0, 0.5, 0.1])
def test_chunked_divergence_function_against_kl_divergence(small_vocab_tiles, beta):
    """ChunkedDivergenceFunction's beta against pc's exact KL, gradients to the student included.

    beta = 0 is the forward KL(teacher || student) = ``pc.kl_divergence(teacher, student)``;
    beta = 1 the reverse KL(student || teacher) = ``pc.kl_divergence(student, teacher)``; in
    between the generalised JSD with mixture m = (1 - beta) p_s + beta p_t, which is
    ``beta * KL(t || m) + (1 - beta) * KL(s || m)``: two pc.kl_divergence calls with log m as
    logits. The returned entropy is the student's, pc.entropy.
    """
    hs, ws, ht, wt = _divergence_inputs()
    w = torch.randn(hs.shape[0], generator=torch.Generator().manual_seed(3))
    s_t, s_p = hs.clone().requires_grad_(), hs.clone().requires_grad_()
    w_t, w_p = ws.clone().requires_grad_(), ws.clone().requires_grad_()
    div_t, ent_t = trl_divergence.ChunkedDivergenceFunction.apply(
        s_t, w_t, None, ht, wt, None, beta
    )
    zs, zt = s_p @ w_p.T, ht @ wt.T
    if beta == 0.0:
        div_p = pc.kl_divergence(zt, zs)
    elif beta == 1.0:
        div_p = pc.kl_divergence(zs, zt)
    else:
        log_m = torch.logaddexp(
            torch.log_softmax(zs, -1) + math.log(1 - beta),
            torch.log_softmax(zt, -1) + math.log(beta),
        )
        div_p = beta * pc.kl_divergence(zt, log_m) + (1 - beta) * pc.kl_divergence(zs, log_m)
    torch.testing.assert_close(div_p, div_t, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(pc.entropy(zs), ent_t, rtol=1e-5, atol=1e-5)
    grads_t = torch.autograd.grad((w * div_t).sum(), (s_t, w_t))
    grads_p = torch.autograd.grad((w * div_p).sum(), (s_p, w_p))
    for gt, gp in zip(grads_t, grads_p, strict=True):
        torch.testing.assert_close(gp, gt, rtol=1e-4, atol=1e-5)


def test_chunked_divergence_large_logits(small_vocab_tiles):
    """Hidden states scaled so the logits reach about 1e3: both stay finite and agree."""
    hs, ws, ht, wt = _divergence_inputs(seed=14)
    hs, ht = 100 * hs, 100 * ht
    div_t, ent_t = trl_divergence.ChunkedDivergenceFunction.apply(hs, ws, None, ht, wt, None, 1.0)
    div_p = pc.kl_divergence(hs @ ws.T, ht @ wt.T)
    assert torch.isfinite(div_t).all() and torch.isfinite(div_p).all()
    torch.testing.assert_close(div_p, div_t, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(pc.entropy(hs @ ws.T), ent_t, rtol=1e-4, atol=1e-3)
