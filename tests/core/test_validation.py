"""Bad input fails loudly: each case raises ValueError/TypeError whose message names the argument."""

from __future__ import annotations

import pytest
import torch

import ptcourse as pc

NAN, INF = float("nan"), float("inf")
X = torch.zeros(2, 5)  # (N, V) logits
T = torch.tensor([0, 4])  # (N,) targets
X3 = torch.zeros(2, 4, 5)  # (B, T, V)
T3 = torch.zeros(2, 4, dtype=torch.long)  # (B, T)
M3 = torch.ones(2, 4, dtype=torch.bool)
LP = -torch.ones(2, 4)  # (B, T) log-probs


def with_value(x: torch.Tensor, index, value) -> torch.Tensor:
    x = x.clone()
    x[index] = value
    return x


# (id, call, exception, argument name that must appear in the message)
CASES = [
    # token_logprobs
    ("logprobs-int-logits", lambda: pc.token_logprobs(X.long(), T), TypeError, "logits"),
    ("logprobs-shape", lambda: pc.token_logprobs(X, T[:1]), ValueError, "targets"),
    (
        "logprobs-target-high",
        lambda: pc.token_logprobs(X, torch.tensor([0, 5])),
        ValueError,
        "targets",
    ),
    (
        "logprobs-target-neg",
        lambda: pc.token_logprobs(X, torch.tensor([-1, 0])),
        ValueError,
        "targets",
    ),
    ("logprobs-float-targets", lambda: pc.token_logprobs(X, T.float()), TypeError, "targets"),
    (
        "logprobs-nan",
        lambda: pc.token_logprobs(with_value(X, (1, 2), NAN), T),
        ValueError,
        "logits",
    ),
    (
        "logprobs-posinf",
        lambda: pc.token_logprobs(with_value(X, (0, 1), INF), T),
        ValueError,
        "logits",
    ),
    (
        "logprobs-all-neginf-row",
        lambda: pc.token_logprobs(with_value(X, 1, -INF), T),
        ValueError,
        "logits",
    ),
    ("logprobs-chunk", lambda: pc.token_logprobs(X, T, chunk_size=0), ValueError, "chunk_size"),
    ("logprobs-empty-vocab", lambda: pc.token_logprobs(torch.zeros(2, 0), T), ValueError, "logits"),
    # sequence_logprob / cross_entropy / perplexity
    ("seq-mask-shape", lambda: pc.sequence_logprob(X3, T3, M3[:, :2]), ValueError, "mask"),
    ("seq-mask-values", lambda: pc.sequence_logprob(X3, T3, M3.long() * 2), ValueError, "mask"),
    ("seq-empty-mask", lambda: pc.sequence_logprob(X3, T3, ~M3), ValueError, "mask"),
    ("seq-targets-shape", lambda: pc.sequence_logprob(X3, T3[:, :3]), ValueError, "targets"),
    ("ce-empty-mask", lambda: pc.cross_entropy(X3, T3, ~M3), ValueError, "mask"),
    ("ce-nan", lambda: pc.cross_entropy(with_value(X3, (0, 1, 1), NAN), T3), ValueError, "logits"),
    ("ce-int-logits", lambda: pc.cross_entropy(X3.long(), T3), TypeError, "logits"),
    ("ppl-empty-mask", lambda: pc.perplexity(X3, T3, ~M3), ValueError, "mask"),
    # sft_loss
    ("sft-all-ignored", lambda: pc.sft_loss(X3, torch.full((2, 4), -100)), ValueError, "labels"),
    ("sft-labels-shape", lambda: pc.sft_loss(X3, T3[:, :3]), ValueError, "labels"),
    ("sft-labels-range", lambda: pc.sft_loss(X3, T3 + 5), ValueError, "labels"),
    ("sft-average", lambda: pc.sft_loss(X3, T3, average="batch"), ValueError, "average"),
    ("sft-2d-logits", lambda: pc.sft_loss(X, T), ValueError, "logits"),
    ("sft-nan", lambda: pc.sft_loss(with_value(X3, (1, 0, 0), NAN), T3), ValueError, "logits"),
    # entropy / kl_divergence
    ("entropy-int", lambda: pc.entropy(torch.ones(3, dtype=torch.long)), TypeError, "logits"),
    ("entropy-nan", lambda: pc.entropy(with_value(X, (0, 0), NAN)), ValueError, "logits"),
    ("kl-shape", lambda: pc.kl_divergence(X, torch.zeros(2, 4)), ValueError, "q_logits"),
    ("kl-int-p", lambda: pc.kl_divergence(X.long(), X), TypeError, "p_logits"),
    ("kl-nan-q", lambda: pc.kl_divergence(X, with_value(X, (1, 1), NAN)), ValueError, "q_logits"),
    ("kl-nan-p", lambda: pc.kl_divergence(with_value(X, (1, 1), NAN), X), ValueError, "p_logits"),
    # kl_estimate
    ("estimate-kind", lambda: pc.kl_estimate(LP, LP, kind="k4"), ValueError, "kind"),
    ("estimate-shape", lambda: pc.kl_estimate(LP, LP[:, :2]), ValueError, "logq"),
    ("estimate-nan", lambda: pc.kl_estimate(with_value(LP, (0, 0), NAN), LP), ValueError, "logp"),
    (
        "estimate-neginf-logp",
        lambda: pc.kl_estimate(with_value(LP, (0, 0), -INF), LP),
        ValueError,
        "logp",
    ),
    # kl_penalized_rewards
    (
        "rewards-beta-neg",
        lambda: pc.kl_penalized_rewards(torch.ones(2), LP, LP, M3, -0.1),
        ValueError,
        "beta",
    ),
    (
        "rewards-beta-nan",
        lambda: pc.kl_penalized_rewards(torch.ones(2), LP, LP, M3, NAN),
        ValueError,
        "beta",
    ),
    (
        "rewards-empty-row",
        lambda: pc.kl_penalized_rewards(torch.ones(2), LP, LP, with_value(M3, 1, False), 0.1),
        ValueError,
        "mask",
    ),
    (
        "rewards-scores-shape",
        lambda: pc.kl_penalized_rewards(torch.ones(3), LP, LP, M3, 0.1),
        ValueError,
        "scores",
    ),
    (
        "rewards-ref-shape",
        lambda: pc.kl_penalized_rewards(torch.ones(2), LP, LP[:, :3], M3, 0.1),
        ValueError,
        "ref_logp",
    ),
    (
        "rewards-kind",
        lambda: pc.kl_penalized_rewards(torch.ones(2), LP, LP, M3, 0.1, kind="kl"),
        ValueError,
        "kind",
    ),
    # kl_regularized_policy
    ("policy-beta-zero", lambda: pc.kl_regularized_policy(X, X, 0.0), ValueError, "beta"),
    ("policy-beta-neg", lambda: pc.kl_regularized_policy(X, X, -1.0), ValueError, "beta"),
    (
        "policy-rewards-shape",
        lambda: pc.kl_regularized_policy(X, torch.zeros(3), 1.0),
        ValueError,
        "rewards",
    ),
    (
        "policy-rewards-nan",
        lambda: pc.kl_regularized_policy(X, with_value(X, (0, 0), NAN), 1.0),
        ValueError,
        "rewards",
    ),
    (
        "policy-rewards-posinf",
        lambda: pc.kl_regularized_policy(X, with_value(X, (0, 0), INF), 1.0),
        ValueError,
        "rewards",
    ),
    (
        "policy-ref-nan",
        lambda: pc.kl_regularized_policy(with_value(X, (0, 0), NAN), X, 1.0),
        ValueError,
        "ref_logits",
    ),
    # dpo_loss
    (
        "dpo-beta-zero",
        lambda: pc.dpo_loss(T * 1.0, T * 1.0, T * 1.0, T * 1.0, beta=0.0),
        ValueError,
        "beta",
    ),
    (
        "dpo-shape",
        lambda: pc.dpo_loss(T * 1.0, T * 1.0, T * 1.0, torch.zeros(3)),
        ValueError,
        "ref_rejected_logp",
    ),
    (
        "dpo-nan",
        lambda: pc.dpo_loss(T * 1.0, torch.tensor([0.0, NAN]), T * 1.0, T * 1.0),
        ValueError,
        "policy_rejected_logp",
    ),
    # grpo_advantages
    ("grpo-single-sample", lambda: pc.grpo_advantages(torch.ones(4, 1)), ValueError, "rewards"),
    ("grpo-1d", lambda: pc.grpo_advantages(torch.ones(4)), ValueError, "rewards"),
    ("grpo-nan", lambda: pc.grpo_advantages(torch.tensor([[0.0, NAN]])), ValueError, "rewards"),
    ("grpo-eps", lambda: pc.grpo_advantages(torch.ones(2, 2), eps=-1.0), ValueError, "eps"),
    # ppo_clip_loss
    ("ppo-empty-mask", lambda: pc.ppo_clip_loss(LP, LP, LP, ~M3), ValueError, "mask"),
    (
        "ppo-adv-shape",
        lambda: pc.ppo_clip_loss(LP, LP, torch.ones(3, 4), M3),
        ValueError,
        "advantages",
    ),
    ("ppo-old-shape", lambda: pc.ppo_clip_loss(LP, LP[:1], LP, M3), ValueError, "old_logp"),
    (
        "ppo-clip-eps",
        lambda: pc.ppo_clip_loss(LP, LP, LP, M3, clip_eps=0.0),
        ValueError,
        "clip_eps",
    ),
    (
        "ppo-clip-high",
        lambda: pc.ppo_clip_loss(LP, LP, LP, M3, clip_eps_high=-0.1),
        ValueError,
        "clip_eps_high",
    ),
    (
        "ppo-nan",
        lambda: pc.ppo_clip_loss(with_value(LP, (0, 0), NAN), LP, LP, M3),
        ValueError,
        "logp",
    ),
    # token_stats
    ("stats-ref-shape", lambda: pc.token_stats(X, T, torch.zeros(2, 6)), ValueError, "ref_logits"),
    (
        "stats-ref-nan",
        lambda: pc.token_stats(X, T, with_value(X, (0, 3), NAN)),
        ValueError,
        "ref_logits",
    ),
    ("stats-int-logits", lambda: pc.token_stats(X.long(), T), TypeError, "logits"),
]


@pytest.mark.parametrize(("call", "exc", "arg"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_and_names_argument(call, exc, arg):
    """The bad input raises the expected exception type, and the message names the argument."""
    with pytest.raises(exc) as info:
        call()
    assert f"'{arg}'" in str(info.value), str(info.value)


def test_messages_show_shapes():
    """A shape mismatch message shows both shapes."""
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(2, 5\)|\(2, 5\).*\(2, 4\)"):
        pc.kl_divergence(X, torch.zeros(2, 4))


def test_beta_zero_allowed_in_penalized_rewards():
    """beta = 0 is accepted by kl_penalized_rewards (the un-leashed demo), unlike beta < 0."""
    out = pc.kl_penalized_rewards(torch.ones(2), LP, LP - 1, M3, 0.0)
    assert torch.isfinite(out).all() and out[:, -1].tolist() == [1.0, 1.0]


def test_no_silent_nan_from_neg_inf_inputs():
    """-inf logits (not whole rows) never produce NaN in any chunked quantity."""
    x = with_value(X, (0, slice(1, 4)), -INF)
    s = pc.token_stats(x, T, x.flip(-1))
    for value in (s.logp, s.entropy, s.kl, s.ref_logp):
        assert not torch.isnan(value).any()
