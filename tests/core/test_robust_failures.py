"""Issue 14's failure classes in the core, one test each: no silent wrong answer, no silent NaN.

Each test pins a case that the hostile review found and that the code before the fix got wrong
(the docstring says what it used to do).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import ptcourse as pc

INF = float("inf")
LP = -torch.ones(2, 4)  # (B, T) log-probs
M = torch.ones(2, 4, dtype=torch.bool)  # (B, T)


# ---------------------------------------------------------------- silent wrong answers


def test_sft_uint8_labels_cannot_hide_ignore_index():
    """uint8 labels cannot hold -100 (it is stored as token 156): refused, naming 'labels'.

    Before: the 156 was scored as a real token and the loss silently changed.
    """
    logits = torch.randn(1, 4, 200, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([[-100, -100, 7, 2]]).to(torch.uint8)  # stores [156, 156, 7, 2]
    with pytest.raises(TypeError, match="'labels'.*uint8.*'ignore_index'=-100"):
        pc.sft_loss(logits, labels)


@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.int32, torch.uint8])
def test_sft_small_integer_labels_that_hold_ignore_index_agree_with_int64(dtype):
    """Any integer label dtype that can hold ignore_index gives the int64 loss (compared wide)."""
    logits = torch.randn(2, 5, 100, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ignore = -100 if dtype != torch.uint8 else 255
    labels = torch.tensor([[ignore, ignore, 7, 2, 99], [ignore, 3, 4, ignore, ignore]])
    want = pc.sft_loss(logits, labels, ignore_index=ignore)
    torch.testing.assert_close(pc.sft_loss(logits, labels.to(dtype), ignore_index=ignore), want)


@pytest.mark.parametrize(
    ("ignore", "exc"),
    [(2**70, ValueError), (1.5, TypeError), ("pad", TypeError), (True, TypeError)],
)
def test_sft_bad_ignore_index_is_named(ignore, exc):
    """A bad ignore_index raises an error naming it (before: OverflowError, or 1.5 silently used)."""
    with pytest.raises(exc, match="'ignore_index'"):
        pc.sft_loss(torch.zeros(1, 3, 8), torch.tensor([[1, 2, 3]]), ignore_index=ignore)


def test_sft_numpy_ignore_index_accepted():
    """A numpy integer ignore_index works like the python int."""
    labels = torch.tensor([[-1, 2, 3]])
    x = torch.randn(1, 3, 8, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(
        pc.sft_loss(x, labels, ignore_index=np.int64(-1)), pc.sft_loss(x, labels, ignore_index=-1)
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_grpo_nearly_constant_group_sums_to_zero(dtype):
    """With eps=0 a nearly constant group's advantages sum to 0 (to rounding) and have std 1.

    Before (fp32): the mean rounded to 1.0, so four of seven advantages were 0 and the group
    summed to 3.29.
    """
    k = torch.tensor([[0.0, 0, 0, 1, 0, 2, 0]], dtype=torch.float64)  # r = 1 + k ulp, exactly
    r = (1 + k * torch.finfo(dtype).eps).to(dtype)
    a = pc.grpo_advantages(r, eps=0.0)
    exact = (k - k.mean()) / k.std()  # the standardised rewards, free of the rounding of 1 + k ulp
    torch.testing.assert_close(a.double(), exact, rtol=0, atol=8 * torch.finfo(dtype).eps)
    assert abs(a.sum().item()) <= r.shape[1] * torch.finfo(dtype).eps * a.abs().max().item()


def test_grpo_rewards_near_fp32_max_do_not_overflow():
    """Finite fp32 rewards whose sum overflows fp32 (3e38) give the float64 answer, not NaN."""
    r = torch.tensor([[3e38, 3e38, -1e38, 2e38], [-3.4e38, 3.4e38, 0.0, 1.0]])
    want = r.double() - r.double().mean(-1, keepdim=True)
    want = want / (r.double().std(-1, keepdim=True) + 1e-4)
    out = pc.grpo_advantages(r)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.double(), want, rtol=1e-6, atol=1e-6)


def test_ppo_sequence_advantages_of_shape_b_are_refused_when_b_equals_t():
    """(B,) advantages with B == T are refused by name: they would broadcast along T.

    Before: advantages[j] was silently used for token j of every sequence.
    """
    with pytest.raises(ValueError, match=r"'advantages'.*\(3,\).*advantages\[\.\.\., None\]"):
        pc.ppo_clip_loss(
            torch.zeros(3, 3),
            torch.zeros(3, 3),
            torch.tensor([1.0, 2, 3]),
            torch.ones(3, 3, dtype=torch.bool),
        )


def test_ppo_documented_advantage_shapes_still_work():
    """(B, T) and (B, 1) advantages are accepted; (B, 1) equals its expansion."""
    lp, old = torch.tensor([[-1.0, -2.0, -0.5]] * 2), torch.full((2, 3), -1.0)
    adv = torch.tensor([[1.0], [-2.0]])
    torch.testing.assert_close(
        pc.ppo_clip_loss(lp, old, adv, M[:, :3]),
        pc.ppo_clip_loss(lp, old, adv.expand(2, 3), M[:, :3]),
    )


# ---------------------------------------------------------------- silent NaNs


@pytest.mark.parametrize("old", [-90.0, -INF])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ppo_overflowing_clipped_ratio_has_zero_gradient(old, dtype):
    """A kept token whose ratio overflows and is clipped (A > 0) has gradient 0, not NaN.

    Before: exp(90) = inf in fp32 (and exp(+inf) in any dtype), and clamp's zero gradient times
    inf poisoned the whole update with NaN.
    """
    if dtype == torch.float64 and old == -90.0:
        old = -800.0  # exp(800) overflows float64
    lp = torch.zeros(1, 2, dtype=dtype, requires_grad=True)
    loss = pc.ppo_clip_loss(
        lp, torch.tensor([[old, 0.0]], dtype=dtype), torch.ones(1, 2, dtype=dtype), M[:1, :2]
    )
    loss.backward()
    torch.testing.assert_close(loss.detach(), torch.tensor(-(1.2 + 1.0) / 2, dtype=dtype))
    torch.testing.assert_close(lp.grad, torch.tensor([[0.0, -0.5]], dtype=dtype))


def test_ppo_unbounded_negative_advantage_term_is_refused():
    """A negative advantage times an overflowing ratio makes the loss +inf: refused by name."""
    with pytest.raises(ValueError, match="old_logp"):
        pc.ppo_clip_loss(torch.zeros(1, 1), torch.tensor([[-90.0]]), -torch.ones(1, 1), M[:1, :1])


def test_kl_rewards_beta_overflowing_fp32_is_named():
    """beta = 1e39 is finite in python but inf in fp32: refused naming 'beta' (before: NaN).

    With float64 inputs the same beta is representable and gives finite rewards.
    """
    ref = LP - torch.tensor([0.0, 1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="'beta'.*float32"):
        pc.kl_penalized_rewards(torch.ones(2), LP, ref, M, 1e39)
    out = pc.kl_penalized_rewards(torch.ones(2).double(), LP.double(), ref.double(), M, 1e39)
    assert torch.isfinite(out).all() and out[0, 1].item() == pytest.approx(-1e39)


@pytest.mark.parametrize("score", [INF, -INF])
def test_kl_rewards_infinite_score_is_named(score):
    """An infinite reward-model score is refused naming 'scores' (it made NaN downstream)."""
    with pytest.raises(ValueError, match="'scores'"):
        pc.kl_penalized_rewards(torch.tensor([score, 1.0]), LP, LP - 1, M, 0.1, kind="k3")


def test_dpo_beta_overflowing_fp32_is_named():
    """DPO with beta = 1e39 on fp32 log-probs names 'beta' (before: inf * 0 = NaN, 'undefined')."""
    lp = torch.tensor([-1.0, -2.0])
    with pytest.raises(ValueError, match="'beta'"):
        pc.dpo_loss(lp, lp, lp, lp, beta=1e39)


def test_regularized_policy_tiny_beta_is_the_argmax_limit():
    """A tiny beta (r / beta overflows fp32) gives the limit pi* = argmax, not NaN.

    Before: ref + r / beta = inf for the best token, log_softmax gave NaN and the error blamed
    zero probabilities.
    """
    out = pc.kl_regularized_policy(torch.zeros(3), torch.tensor([50.0, 0.0, 10.0]), 1e-37)
    assert out[0].item() == 0.0 and bool(torch.isneginf(out[1:]).all())


# ---------------------------------------------------------------- errors name the culprit


def test_ppo_infinite_advantages_blame_advantages():
    """Infinite advantages are named as such (before: 'logp - old_logp is inf - inf')."""
    adv = torch.tensor([[INF, -INF]])
    with pytest.raises(ValueError, match="'advantages' must be finite.*index \\(0, 0\\)"):
        pc.ppo_clip_loss(torch.zeros(1, 2), torch.zeros(1, 2), adv, M[:1, :2])


def test_kl_rewards_nan_reference_blames_ref_logp():
    """NaN in ref_logp names 'ref_logp' and its index (before: 'logq', an internal name)."""
    ref = LP.clone()
    ref[1, 2] = float("nan")
    with pytest.raises(ValueError, match=r"'ref_logp' contains NaN.*index \(1, 2\)"):
        pc.kl_penalized_rewards(torch.ones(2), LP, ref, M, 0.1)


def test_nan_message_names_the_first_bad_index():
    """A NaN message gives the index of the first NaN entry, so the bad row can be found."""
    rewards = torch.zeros(3, 4)
    rewards[2, 1] = float("nan")
    with pytest.raises(ValueError, match=r"index \(2, 1\)"):
        pc.grpo_advantages(rewards)


X = torch.zeros(2, 5)
T = torch.tensor([0, 4])
NONE_CASES = [
    ("token_logprobs", lambda: pc.token_logprobs(X, None), "targets"),
    ("token_logprobs-logits", lambda: pc.token_logprobs(None, T), "logits"),
    ("kl_divergence-q", lambda: pc.kl_divergence(X, None), "q_logits"),
    ("kl_divergence-p", lambda: pc.kl_divergence(None, X), "p_logits"),
    ("entropy", lambda: pc.entropy(None), "logits"),
    ("sequence_logprob", lambda: pc.sequence_logprob(X[None], None), "targets"),
    ("cross_entropy", lambda: pc.cross_entropy(X, None), "targets"),
    ("perplexity", lambda: pc.perplexity(None, T), "logits"),
    ("sft_loss", lambda: pc.sft_loss(X[None], None), "labels"),
    ("kl_estimate", lambda: pc.kl_estimate(LP, None), "logq"),
    (
        "kl_penalized_rewards",
        lambda: pc.kl_penalized_rewards(torch.ones(2), LP, None, M, 0.1),
        "ref_logp",
    ),
    (
        "kl_penalized_rewards-mask",
        lambda: pc.kl_penalized_rewards(torch.ones(2), LP, LP, None, 0.1),
        "mask",
    ),
    ("kl_regularized_policy", lambda: pc.kl_regularized_policy(X, None, 1.0), "rewards"),
    ("dpo_loss", lambda: pc.dpo_loss(T * 1.0, T * 1.0, None, T * 1.0), "ref_chosen_logp"),
    ("grpo_advantages", lambda: pc.grpo_advantages(None), "rewards"),
    ("ppo_clip_loss", lambda: pc.ppo_clip_loss(LP, None, LP, M), "old_logp"),
    ("ppo_clip_loss-mask", lambda: pc.ppo_clip_loss(LP, LP, LP, None), "mask"),
    ("token_stats", lambda: pc.token_stats(X, None), "targets"),
]


@pytest.mark.parametrize(
    ("call", "arg"), [c[1:] for c in NONE_CASES], ids=[c[0] for c in NONE_CASES]
)
def test_none_argument_is_named(call, arg):
    """A None where a tensor is required raises TypeError/ValueError naming that argument."""
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert f"'{arg}'" in str(info.value), str(info.value)


# ---------------------------------------------------------------- consistent validation

BETA_CALLS = {
    "kl_penalized_rewards": lambda b: pc.kl_penalized_rewards(torch.ones(2), LP, LP - 1, M, b),
    "kl_regularized_policy": lambda b: pc.kl_regularized_policy(X, X, b),
    "dpo_loss": lambda b: pc.dpo_loss(T * 1.0, T * 1.0, T * 1.0, T * 1.0, beta=b),
}


@pytest.mark.parametrize("name", sorted(BETA_CALLS))
@pytest.mark.parametrize("beta", ["0.5", True, False, 1 + 2j, None, [0.5]])
def test_beta_must_be_a_real_number_everywhere(name, beta):
    """A string, bool, complex, None or list beta is refused with TypeError naming 'beta'.

    Before: "0.5" and True were silently turned into 0.5 and 1.0.
    """
    with pytest.raises(TypeError, match="'beta'"):
        BETA_CALLS[name](beta)


@pytest.mark.parametrize("name", sorted(BETA_CALLS))
def test_beta_numpy_and_tensor_scalars_are_accepted_everywhere(name):
    """numpy and one-element tensor betas give the same result as the python float."""
    want = BETA_CALLS[name](0.5)
    for beta in (np.float64(0.5), np.float32(0.5), torch.tensor(0.5)):
        torch.testing.assert_close(BETA_CALLS[name](beta), want)


@pytest.mark.parametrize("scale", [1, 0, "no", None, torch.tensor(True)])
def test_grpo_scale_must_be_a_bool(scale):
    """A truthy or falsy non-bool scale is refused naming 'scale' (before: '"no"' meant True)."""
    with pytest.raises(TypeError, match="'scale'"):
        pc.grpo_advantages(torch.rand(2, 3), scale=scale)


def test_grpo_numpy_bool_scale_is_accepted():
    """numpy booleans are booleans."""
    r = torch.rand(2, 3, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(
        pc.grpo_advantages(r, scale=np.bool_(False)), pc.grpo_advantages(r, scale=False)
    )


@pytest.mark.parametrize("size", [np.int64(1), np.int32(3), torch.tensor(2)])
def test_numpy_chunk_size_accepted(size):
    """A numpy (or tensor) integer chunk size works like the int (before: refused)."""
    x = torch.randn(5, 7, generator=torch.Generator().manual_seed(4))
    t = torch.arange(5)
    torch.testing.assert_close(pc.token_logprobs(x, t, chunk_size=size), pc.token_logprobs(x, t))
    torch.testing.assert_close(pc.token_stats(x, t, chunk_size=size).entropy, pc.entropy(x))


@pytest.mark.parametrize("size", [True, 1.0, "2", 0, -1])
def test_bad_chunk_size_refused(size):
    """bool, float, str and non-positive chunk sizes are refused naming 'chunk_size'."""
    with pytest.raises(ValueError, match="'chunk_size'"):
        pc.token_logprobs(X, T, chunk_size=size)


@pytest.mark.parametrize("eps", [1.0, 1.5])
def test_ppo_clip_eps_must_be_below_one(eps):
    """clip_eps >= 1 would clip the ratio at 1 - eps <= 0: refused by name (before: accepted)."""
    with pytest.raises(ValueError, match="'clip_eps'"):
        pc.ppo_clip_loss(LP, LP, LP, M, clip_eps=eps)


def test_ppo_clip_eps_high_may_exceed_one():
    """clip_eps_high only bounds the ratio from above, so values >= 1 are allowed (documented)."""
    logp = torch.log(torch.tensor([[2.5]]))
    loss = pc.ppo_clip_loss(logp, torch.zeros(1, 1), torch.ones(1, 1), M[:1, :1], clip_eps_high=1.0)
    assert loss.item() == pytest.approx(-2.0)


# ---------------------------------------------------------------- no gradient where none may flow (issue 13)


def test_ppo_old_logp_gets_no_gradient():
    """old_logp is a constant of the PPO loss: no gradient reaches it, even if it requires grad.

    Before: old_logp.grad was -logp.grad.
    """
    lp = torch.tensor([[-1.0, -2.0]], requires_grad=True)
    old = torch.tensor([[-1.1, -1.9]], requires_grad=True)
    adv = torch.tensor([[1.0, -1.0]], requires_grad=True)
    pc.ppo_clip_loss(lp, old, adv, M[:1, :2]).backward()
    assert lp.grad is not None and old.grad is None and adv.grad is None


def test_dpo_reference_gets_no_gradient():
    """The reference log-probs of DPO are frozen: only the policy's receive a gradient."""
    pcl, prl, rcl, rrl = (torch.tensor([-3.0, -4.0], requires_grad=True) for _ in range(4))
    pc.dpo_loss(pcl, prl, rcl - 1, rrl).backward()
    assert pcl.grad is not None and prl.grad is not None
    assert rcl.grad is None and rrl.grad is None


def test_kl_rewards_and_optimal_policy_reference_get_no_gradient():
    """ref_logp (kl_penalized_rewards) and ref_logits (kl_regularized_policy) get no gradient."""
    lp, ref = LP.clone().requires_grad_(), (LP - 1).requires_grad_()
    pc.kl_penalized_rewards(torch.ones(2), lp, ref, M, 0.1).sum().backward()
    assert lp.grad is not None and ref.grad is None
    ref_logits, r = (
        torch.zeros(4, requires_grad=True),
        torch.tensor([1.0, 0, 0, 2], requires_grad=True),
    )
    pc.kl_regularized_policy(ref_logits, r, 0.5)[0].backward()
    assert r.grad is not None and ref_logits.grad is None


def test_regularized_policy_gradient_matches_log_softmax():
    """Subtracting the best reward first does not change the gradient w.r.t. the rewards."""
    ref = torch.randn(3, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    r1 = torch.randn(3, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    r2 = r1.clone().requires_grad_()
    r1.requires_grad_()
    w = torch.randn(3, 6, dtype=torch.float64)
    (pc.kl_regularized_policy(ref, r1, 0.7) * w).sum().backward()
    (F.log_softmax(ref + r2 / 0.7, -1) * w).sum().backward()
    torch.testing.assert_close(r1.grad, r2.grad)
    assert math.isfinite(r1.grad.abs().max().item())


def test_kl_rewards_overflowing_penalty_is_named():
    """A representable beta times a large k3 that overflows fp32 is refused naming 'beta'."""
    logp = torch.tensor([[-100.0, -1.0]])  # log r = 100 at token 0: k3 = e^100 overflows fp32
    with pytest.raises(ValueError, match="'beta'"):
        pc.kl_penalized_rewards(torch.ones(1), logp, torch.zeros(1, 2), M[:1, :2], 0.1, kind="k3")


def test_kl_rewards_forbidden_reference_token_is_minus_inf():
    """A kept token the reference forbids (ref_logp = -inf) gets reward -inf, as documented."""
    out = pc.kl_penalized_rewards(
        torch.ones(1), torch.tensor([[-1.0, -1.0]]), torch.tensor([[-INF, -1.0]]), M[:1, :2], 0.1
    )
    assert out[0, 0].item() == -INF and out[0, 1].item() == 1.0


CALLS = {
    "token_logprobs": (pc.token_logprobs, ("x", "t")),
    "sequence_logprob": (pc.sequence_logprob, ("x", "t", "m")),
    "cross_entropy": (pc.cross_entropy, ("x", "t", "m")),
    "perplexity": (pc.perplexity, ("x", "t", "m")),
    "sft_loss": (pc.sft_loss, ("x", "labels")),
    "entropy": (pc.entropy, ("x",)),
    "kl_divergence": (pc.kl_divergence, ("x", "y")),
    "kl_estimate": (pc.kl_estimate, ("lp", "old")),
    "kl_penalized_rewards": (
        lambda s, a, b, m: pc.kl_penalized_rewards(s, a, b, m, 0.1),
        ("s", "lp", "old", "m"),
    ),
    "kl_regularized_policy": (lambda a, b: pc.kl_regularized_policy(a, b, 0.5), ("x", "y")),
    "dpo_loss": (pc.dpo_loss, ("s", "s2", "s3", "s4")),
    "grpo_advantages": (pc.grpo_advantages, ("lp",)),
    "ppo_clip_loss": (pc.ppo_clip_loss, ("lp", "old", "lp", "m")),
    "token_stats": (pc.token_stats, ("x", "t", "y")),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_inputs_are_never_modified(name):
    """No public function changes its arguments in place (values compared before and after)."""
    gen = torch.Generator().manual_seed(7)
    data = {
        "x": torch.randn(2, 3, 5, generator=gen),
        "y": torch.randn(2, 3, 5, generator=gen),
        "t": torch.randint(0, 5, (2, 3), generator=gen),
        "m": torch.tensor([[1, 1, 0], [1, 0, 1]]),
        "labels": torch.tensor([[-100, 2, 3], [-100, -100, 4]]),
        "lp": -torch.rand(2, 3, generator=gen),
        "old": -torch.rand(2, 3, generator=gen),
        "s": -torch.rand(2, generator=gen),
        "s2": -torch.rand(2, generator=gen),
        "s3": -torch.rand(2, generator=gen),
        "s4": -torch.rand(2, generator=gen),
    }
    fn, names = CALLS[name]
    args = [data[n] for n in names]
    before = [a.clone() for a in args]
    fn(*args)
    for n, a, b in zip(names, args, before, strict=True):
        assert torch.equal(a, b), f"{name} modified {n}"


def test_regularized_policy_tiny_beta_with_forbidden_best_token():
    """The limit for a tiny beta is the best token the reference allows, not an error.

    Subtracting the best reward of all tokens would make every allowed token underflow to 0.
    """
    ref = torch.tensor([-INF, 0.0, 0.0])
    out = pc.kl_regularized_policy(ref, torch.tensor([100.0, 0.0, 1.0]), 1e-37)
    assert out[2].item() == 0.0 and out.exp().tolist() == [0.0, 0.0, 1.0]
