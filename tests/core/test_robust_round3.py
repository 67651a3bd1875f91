"""Issue 30's failure classes in the core, one test each: no silent inf from finite input.

The rule these pin (README, Robustness): a reduction whose true value the compute dtype can hold
returns it, even when the plain float sum would overflow; a finite true value that the dtype
cannot hold is refused with a ValueError naming the argument at fault; +-inf only where the true
value is infinite. Each test's docstring says what the code did before the fix.
"""

from __future__ import annotations

import pytest
import torch

import ptcourse as pc

INF = float("inf")
F32_MAX = torch.finfo(torch.float32).max
M = torch.ones(2, 4, dtype=torch.bool)  # (B, T)


# ---------------------------------------------------------------- aggregate_loss


@pytest.mark.parametrize("mode", ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean"])
@pytest.mark.parametrize("count", [1e39, 1e-300])
def test_aggregate_count_the_fp32_computation_cannot_hold_is_named(mode, count):
    """num_tokens=1e39 returned 0 and num_tokens=1e-300 inf (both are 0 or inf in fp32)."""
    name = "num_tokens" if mode == "token-mean" else "num_seqs"
    with pytest.raises(ValueError, match=f"'{name}' = .* outside the range of torch.float32"):
        pc.aggregate_loss(torch.ones(2, 4), M, mode, **{name: count})


def test_aggregate_count_in_float64_is_accepted():
    """The same counts are ordinary numbers in float64 (the range follows the compute dtype)."""
    out = pc.aggregate_loss(torch.ones(2, 4, dtype=torch.float64), M, num_tokens=1e39)
    assert out.item() == pytest.approx(8 / 1e39)


@pytest.mark.parametrize("mode", ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean"])
def test_aggregate_fp32_sum_overflow_with_a_finite_mean(mode):
    """Losses of 3e38 in fp32 gave inf: the sum overflows though the mean (3e38) fits."""
    x = torch.full((2, 4), 3e38)
    out = pc.aggregate_loss(x, M, mode if mode != "seq-mean-token-sum" else "token-mean")
    assert out.dtype == torch.float32 and out.item() == pytest.approx(3e38, rel=1e-6)


def test_aggregate_seq_sum_that_cannot_fit_is_refused():
    """seq-mean-token-sum of 3e38 per token is 1.2e39 per answer: refused, not a silent inf."""
    with pytest.raises(ValueError, match=r"overflows torch.float32.*'num_seqs'"):
        pc.aggregate_loss(torch.full((2, 4), 3e38), M, "seq-mean-token-sum")


def test_aggregate_float64_near_its_maximum():
    """The power-of-two scale works in float64 too (1e308 losses used to sum to inf)."""
    x = torch.full((2, 4), 1e308, dtype=torch.float64)
    assert pc.aggregate_loss(x, M).item() == pytest.approx(1e308)


def test_aggregate_gradient_is_unchanged_by_the_scaling():
    """The scale is a detached constant: d mean / d loss is still 1 / kept tokens."""
    x = torch.full((2, 4), 3e38, requires_grad=True)
    pc.aggregate_loss(x, M).backward()
    assert torch.equal(x.grad, torch.full((2, 4), 1 / 8))


# ---------------------------------------------------------------- bradley_terry_loss


def test_bradley_terry_fp32_sum_overflow_with_a_finite_mean():
    """Two pairs with a wrong-way gap of -3e38 gave inf: the mean loss is 3e38."""
    chosen = torch.tensor([-1.5e38, -1.5e38])
    rejected = torch.tensor([1.5e38, 1.5e38])
    out = pc.bradley_terry_loss(chosen, rejected)
    assert out.item() == pytest.approx(3e38, rel=1e-6)


def test_bradley_terry_huge_margin_is_blamed_on_the_margin():
    """A margin of 3e38 on rewards of -3e38 was blamed on the rewards ("scale the rewards down")."""
    with pytest.raises(ValueError, match="'margin' = 3e\\+38"):
        pc.bradley_terry_loss(
            torch.tensor([-3e38]), torch.tensor([0.0]), torch.tensor([3e38, 0])[:1]
        )
    with pytest.raises(ValueError, match="'margin'"):
        pc.bradley_terry_loss(torch.tensor([-3e38, 0]), torch.zeros(2), torch.tensor([3e38, 0]))


def test_bradley_terry_gap_that_fits_only_after_the_margin():
    """2.3e38 - (-1.6e38) overflows fp32 but minus a margin of 1e38 it fits: the loss is ~0.

    Found by the near-limit property test: the rewards were refused ("scale the rewards down").
    """
    out = pc.bradley_terry_loss(torch.tensor([2.3e38]), torch.tensor([-1.6e38]), 1e38)
    assert out.item() == 0.0


def test_bradley_terry_scalar_margin_the_dtype_cannot_hold_is_named():
    """A scalar margin of 1e39 is inf in fp32: it gave a loss of inf, blamed on the rewards."""
    with pytest.raises(ValueError, match="'margin' = 1e\\+39 is outside the range"):
        pc.bradley_terry_loss(torch.zeros(2), torch.zeros(2), 1e39)


# ---------------------------------------------------------------- GRPO


@pytest.mark.parametrize("mag", [1e200, 1e-200, 1e-310])
def test_grpo_batch_scale_float64_extremes(mag):
    """scale='batch' gave all zeros at 1e200, inf and NaN at 1e-200 and NaN at 1e-310 (eps=0).

    The batch std now runs on the batch's power-of-two scale, like the group std; the answer is
    the one at magnitude 1 (up to the subnormal rounding of the inputs at 1e-310).
    """
    base = torch.tensor([[1.0, 2.0, 0.5, 3.0], [2.0, 2.0, 2.0, 1.0]], dtype=torch.float64)
    want = pc.grpo_advantages(base, scale="batch", eps=0.0)
    got = pc.grpo_advantages(base * mag, scale="batch", eps=0.0)
    assert bool(torch.isfinite(got).all())
    torch.testing.assert_close(got, want, rtol=1e-9 if mag > 1e-300 else 1e-4, atol=0)


def test_grpo_group_scale_subnormal_rewards():
    """Subnormal float64 rewards (1e-310) with eps=0 gave NaN: torch computes 0 / t as 0 * (1/t)."""
    r = torch.tensor([[1.0, 2.0, 0.5, 3.0]], dtype=torch.float64) * 1e-310
    got = pc.grpo_advantages(r, eps=0.0)
    want = pc.grpo_advantages(r / 1e-310, eps=0.0)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=0)


# ---------------------------------------------------------------- KL


def test_kl_penalized_rewards_score_plus_penalty_overflow_is_refused():
    """A score of -3e38 plus a penalty of -1e38 returned -inf where ref_logp is finite."""
    logp = torch.tensor([[-1.0, -1.0]])
    ref = torch.tensor([[-1.0, -2.0]])  # k1 = 1 at token 1
    with pytest.raises(ValueError, match="'scores'=-3e\\+38"):
        pc.kl_penalized_rewards(torch.tensor([-3e38]), logp, ref, M[:1, :2], beta=1e38)


def test_kl_estimate_k3_overflow_follows_the_kl_penalized_rewards_rule():
    """k3 at an fp32 log-ratio of 200 was inf (true value e^200, finite) while the rewards refused.

    Now both refuse a finite estimate the dtype cannot hold; float64 gives the value, and a
    truly infinite estimate (logq = -inf) stays +inf.
    """
    logp, logq = torch.tensor([-200.0]), torch.tensor([0.0])
    with pytest.raises(ValueError, match="k3 overflows torch.float32.*'logp'=-200"):
        pc.kl_estimate(logp, logq, "k3")
    with pytest.raises(ValueError, match="'beta'"):
        pc.kl_penalized_rewards(torch.zeros(1), logp[None], logq[None], M[:1, :1], 1.0, "k3")
    assert torch.isfinite(pc.kl_estimate(logp.double(), logq.double(), "k3")).all()
    assert pc.kl_estimate(logp, torch.tensor([-INF]), "k3").item() == INF


def test_kl_estimate_k2_overflow_is_refused():
    """k2 of an fp32 log-ratio of -3e38 is 4.5e76: it was inf, now refused by name."""
    with pytest.raises(ValueError, match="k2 overflows"):
        pc.kl_estimate(torch.tensor([-3e38]), torch.tensor([0.0]), "k2")


# ---------------------------------------------------------------- DPO / IPO messages


def test_dpo_margin_overflow_of_finite_log_ratios_is_named():
    """A margin of 6e38 from finite fp32 log-ratios gave a loss of inf."""
    zero, far = torch.tensor([0.0]), torch.tensor([-3e38])
    with pytest.raises(ValueError, match="margin of the finite log-ratios"):
        pc.dpo_loss(far, zero, zero, far)  # chosen -3e38, rejected +3e38


def test_dpo_mean_of_huge_finite_losses():
    """Two pairs with a loss of 3e38 each averaged to inf in fp32."""
    far, zero = torch.full((2,), -3e38), torch.zeros(2)
    assert pc.dpo_loss(far, zero, zero, zero, beta=1.0).item() == pytest.approx(3e38, rel=1e-6)


def test_ipo_huge_finite_margin_is_not_blamed_on_minus_inf():
    """A finite margin that overflows was blamed on "a log-probability of -inf"."""
    zero, far = torch.tensor([0.0]), torch.tensor([-3e38])
    with pytest.raises(ValueError) as info:
        pc.ipo_loss(far, zero, zero, far)
    assert "-inf" not in str(info.value) and "finite log-ratios" in str(info.value)


def test_ipo_square_overflow_blames_the_margin_not_tau():
    """A margin of 1e20 in fp32 (square 1e40) was blamed on tau ("use a larger tau")."""
    lp, zero = torch.tensor([-1e20]), torch.tensor([0.0])
    with pytest.raises(ValueError, match="the margin h = 1e\\+20") as info:
        pc.ipo_loss(zero, lp, zero, zero)
    assert "larger 'tau'" not in str(info.value)
    with pytest.raises(ValueError, match="larger 'tau'"):  # a target that cannot be squared
        pc.ipo_loss(zero, zero, zero, zero, tau=1e-30)


def test_ipo_tiny_token_counts_are_blamed():
    """Token counts of 1e-40 made the per-token ratio overflow; the message said "use a larger tau"."""
    lp, ref = torch.tensor([-1.0]), torch.tensor([-2.0])
    n = torch.tensor([1e-40])
    with pytest.raises(ValueError, match="'chosen_tokens' = 1e-40 at index"):
        pc.ipo_loss(lp, ref, ref, lp, chosen_tokens=n, rejected_tokens=torch.ones(1))


@pytest.mark.parametrize("bad", [torch.tensor([1 + 0j]), torch.tensor([True])])
def test_ipo_complex_or_bool_token_counts_are_named(bad):
    """Complex token counts raised torch's own error (no ordering on complex numbers)."""
    lp = torch.tensor([-1.0])
    with pytest.raises(TypeError, match="'rejected_tokens' must hold real token counts"):
        pc.ipo_loss(lp, lp, lp, lp, chosen_tokens=torch.ones(1), rejected_tokens=bad)


def test_ipo_infinite_token_counts_are_named():
    """An infinite token count silently made the log-ratio 0."""
    lp = torch.tensor([-1.0])
    with pytest.raises(ValueError, match="'chosen_tokens' must be finite"):
        pc.ipo_loss(lp, lp, lp, lp, chosen_tokens=torch.tensor([INF]), rejected_tokens=lp.abs())


# ---------------------------------------------------------------- meta tensors

X = torch.zeros(2, 3, 5)
TG = torch.zeros(2, 3, dtype=torch.long)
LP = -torch.ones(2, 3)
MK = torch.ones(2, 3, dtype=torch.bool)
S = -torch.ones(2)
META_CASES = {
    "token_logprobs": (pc.token_logprobs, (X, TG), 0),
    "sequence_logprob": (pc.sequence_logprob, (X, TG, MK), 2),
    "cross_entropy": (pc.cross_entropy, (X, TG, MK), 1),
    "perplexity": (pc.perplexity, (X, TG, MK), 0),
    "sft_loss": (pc.sft_loss, (X, TG), 1),
    "entropy": (pc.entropy, (X,), 0),
    "kl_divergence": (pc.kl_divergence, (X, X), 1),
    "kl_estimate": (pc.kl_estimate, (LP, LP), 0),
    "kl_penalized_rewards": (lambda *a: pc.kl_penalized_rewards(*a, 0.1), (S, LP, LP, MK), 3),
    "kl_penalized_rewards-beta": (
        lambda b: pc.kl_penalized_rewards(S, LP, LP, MK, b),
        (torch.tensor(0.1),),
        0,
    ),
    "kl_regularized_policy": (lambda a, b: pc.kl_regularized_policy(a, b, 0.5), (X, X), 1),
    "dpo_loss": (pc.dpo_loss, (S, S, S, S), 2),
    "ipo_loss": (
        lambda *a: pc.ipo_loss(*a[:4], chosen_tokens=a[4], rejected_tokens=a[4]),
        (S, S, S, S, torch.ones(2)),
        4,
    ),  # fmt: skip
    "grpo_advantages": (pc.grpo_advantages, (LP,), 0),
    "rloo_advantages": (pc.rloo_advantages, (LP,), 0),
    "ppo_clip_loss": (pc.ppo_clip_loss, (LP, LP, LP, MK), 3),
    "aggregate_loss": (pc.aggregate_loss, (LP, MK), 0),
    "bradley_terry_loss": (pc.bradley_terry_loss, (S, S), 1),
    "token_stats": (pc.token_stats, (X, TG), 0),
}
META_NAMES = {"kl_penalized_rewards-beta": "beta", "ipo_loss": "chosen_tokens"}


@pytest.mark.parametrize("name", sorted(META_CASES))
def test_meta_tensor_is_named(name):
    """A meta tensor raised torch's "Tensor.item() cannot be called on meta tensors" (or worse).

    Every public function now names the argument: one argument at a time is made meta.
    """
    fn, args, which = META_CASES[name]
    args = list(args)
    args[which] = args[which].to("meta")
    with pytest.raises(ValueError, match="is a meta tensor") as info:
        fn(*args)
    if name in META_NAMES:
        assert f"'{META_NAMES[name]}'" in str(info.value)


def test_meta_cases_cover_every_public_function():
    """A function added to ptcourse.__all__ gets a meta-tensor case here."""
    public = {n for n in pc.__all__ if callable(getattr(pc, n)) and n[0].islower()}
    assert public <= {n.split("-")[0] for n in META_CASES}


# ---------------------------------------------------------------- disabled gradients

GRAD_CALLS = {
    "token_logprobs": lambda x, lp, s: pc.token_logprobs(x, TG),
    "sequence_logprob": lambda x, lp, s: pc.sequence_logprob(x, TG, MK),
    "cross_entropy": lambda x, lp, s: pc.cross_entropy(x, TG, MK),
    "perplexity": lambda x, lp, s: pc.perplexity(x, TG, MK),
    "sft_loss": lambda x, lp, s: pc.sft_loss(x, TG),
    "entropy": lambda x, lp, s: pc.entropy(x),
    "kl_divergence": lambda x, lp, s: pc.kl_divergence(x, x.detach() * 2),
    "kl_estimate": lambda x, lp, s: pc.kl_estimate(lp, lp.detach() - 1),
    "kl_penalized_rewards": lambda x, lp, s: pc.kl_penalized_rewards(s, lp, lp - 1, MK, 0.1),
    "kl_regularized_policy": lambda x, lp, s: pc.kl_regularized_policy(x, x, 0.5),
    "dpo_loss": lambda x, lp, s: pc.dpo_loss(s, s * 2, s * 3, s * 4),
    "ipo_loss": lambda x, lp, s: pc.ipo_loss(s, s * 2, s * 3, s * 4),
    "grpo_advantages": lambda x, lp, s: pc.grpo_advantages(lp),
    "rloo_advantages": lambda x, lp, s: pc.rloo_advantages(lp),
    "ppo_clip_loss": lambda x, lp, s: pc.ppo_clip_loss(lp, lp.detach() - 0.1, lp.detach(), MK),
    "aggregate_loss": lambda x, lp, s: pc.aggregate_loss(lp, MK),
    "bradley_terry_loss": lambda x, lp, s: pc.bradley_terry_loss(s, s * 2),
    "token_stats": lambda x, lp, s: pc.token_stats(x, TG, x.detach() * 2).logp,
}


@pytest.mark.parametrize("name", sorted(GRAD_CALLS))
@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
def test_disabled_gradients_give_the_same_values(name, mode):
    """The README's rule for disabled gradients (the checkers' item in issue 30 relies on it):
    under no_grad / inference_mode every function returns the values it returns with gradients
    on, and builds no graph."""
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 5, generator=gen).requires_grad_()
    lp = (-torch.rand(2, 3, generator=gen)).requires_grad_()
    s = (-torch.rand(2, generator=gen)).requires_grad_()
    want = GRAD_CALLS[name](x, lp, s)
    with mode():
        got = GRAD_CALLS[name](x, lp, s)
    assert not got.requires_grad
    assert torch.equal(got, want.detach())


def test_grad_cases_cover_every_public_function():
    public = {n for n in pc.__all__ if callable(getattr(pc, n)) and n[0].islower()}
    assert public <= set(GRAD_CALLS)
