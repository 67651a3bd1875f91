"""The toy world's training API in one place (re-exported from the modules that define it).

* ``data``: prompts, demonstrations, SFT labels, answer masks, ``decode_answers``;
* ``sampling``: ``sample`` and ``rollout``;
* ``evaluation``: ``demo_loglik``, ``evaluate``, ``batch_metrics`` (the names in ``metrics.METRICS``);
* ``supervised``: ``pretrain`` and ``sft``;
* ``policy_gradient``: ``rl`` and ``reinforce_advantages``.

``from ptcourse.toy.train import rl`` and the like keep working; new code may import from
``ptcourse.toy`` directly.
"""

from __future__ import annotations

from .data import (
    MAX_NEW_TOKENS,
    PROMPT_LEN,
    decode_answers,
    demo_batch,
    heldout_demos,
    prompt_ids,
    response_mask,
    train_demos,
)
from .evaluation import batch_metrics, demo_loglik, evaluate
from .metrics import DISTINCT_BLOCK, METRICS, TRAINING_METRICS
from .policy_gradient import DEFAULT_BETA, MAX_BETA, RL_STEPS, reinforce_advantages, rl
from .sampling import rollout, sample
from .supervised import PRETRAIN_STEPS, SFT_STEPS, pretrain, sft

__all__ = [
    "PROMPT_LEN",
    "MAX_NEW_TOKENS",
    "DEFAULT_BETA",
    "MAX_BETA",
    "PRETRAIN_STEPS",
    "SFT_STEPS",
    "RL_STEPS",
    "DISTINCT_BLOCK",
    "METRICS",
    "TRAINING_METRICS",
    "prompt_ids",
    "demo_batch",
    "response_mask",
    "decode_answers",
    "train_demos",
    "heldout_demos",
    "demo_loglik",
    "batch_metrics",
    "sample",
    "rollout",
    "evaluate",
    "pretrain",
    "sft",
    "rl",
    "reinforce_advantages",
]
