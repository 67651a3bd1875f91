"""The public API: every contract function is re-exported from ptcourse, and core imports only torch."""

from __future__ import annotations

import ptcourse as pc

CONTRACT = {
    "token_logprobs",
    "sequence_logprob",
    "cross_entropy",
    "perplexity",
    "sft_loss",
    "kl_divergence",
    "kl_estimate",
    "kl_penalized_rewards",
    "kl_regularized_policy",
    "entropy",
    "dpo_loss",
    "grpo_advantages",
    "ppo_clip_loss",
    "token_stats",
    "TokenStats",
}


def test_all_contract_names_exported():
    """Every contract name is in ptcourse.__all__ and resolves to a documented callable."""
    assert CONTRACT <= set(pc.__all__)
    for name in CONTRACT:
        obj = getattr(pc, name)
        assert callable(obj) and obj.__doc__, name
