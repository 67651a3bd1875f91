"""The toy world: a tiny language, a tiny transformer, and post-training in seconds on a CPU.

* ``grammar``: the synthetic "web" corpus, instruction demonstrations and ``is_grammatical``;
* ``tokenizer``: word-level ``TOKENIZER`` with ``<pad> <bos> <eos> <q> <a>``;
* ``model``: ``TinyLM``, a ~100k-parameter causal transformer returning logits ``(B, T, V)``;
* ``proxy_reward``: the deliberately flawed ``reward`` (overpays for ``great``);
* ``metrics``: the metric registry ``METRICS`` (names and labels), ``distinct_n``,
  ``grammatical_rate``, ``hack_rate``;
* ``data``: prompts, demonstrations, masks and ``decode_answers``; ``sampling``: ``sample``;
* ``evaluation``: ``evaluate`` and ``demo_loglik``;
* ``supervised``: ``pretrain`` and ``sft``; ``policy_gradient``: ``rl`` (rollout -> score ->
  advantages -> update, its knobs in one ``RLConfig``) and ``reinforce_advantages``;
* ``checkpoints``: ``pretrained_model()``, ``sft_model()``: shipped for seed 0, trained and cached otherwise;
* ``seeding``: ``PTCOURSE_SEED_OFFSET`` shifts every experiment's seed (``manual_seed``, ``generator``);
* ``kl_bandit``: a one-step ``bandit`` checked against ``ptcourse.kl_regularized_policy``, and
  ``policy_summary`` of a one-step policy;
* ``demos``: ``run_demo(name, ...)``, the functions behind ``ptcourse demo NAME``.

It imports the ``ptcourse`` core (``token_stats``, ``sft_loss``, ``kl_penalized_rewards``, ...),
never matplotlib. Inspired by minGPT/nanoGPT (Karpathy) for the model and by InstructGPT
(Ouyang et al., 2022) for the pretrain -> SFT -> RL-with-KL pipeline.

>>> from ptcourse import toy
>>> toy.reward(["great great great"]).item()  # the flaw: 1 per "great"
3.0
"""

from __future__ import annotations

from .checkpoints import checkpoint_history, pretrained_model, sft_model
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
from .demos import DEMOS, MAX_STEPS, demo_defaults, run_demo, to_json
from .evaluation import demo_loglik, evaluate
from .grammar import EXPLOIT_WORD, corpus, demonstrations, is_grammatical, sentence
from .kl_bandit import (
    BANDIT_ARMS,
    BANDIT_REF_LOGITS,
    BANDIT_REWARDS,
    PolicySummary,
    bandit,
    policy_summary,
)
from .metrics import METRICS, Metric, distinct_n, grammatical_rate, hack_rate
from .model import TinyConfig, TinyLM
from .policy_gradient import DEFAULT_BETA, MAX_BETA, RL_STEPS, RLConfig, reinforce_advantages, rl
from .proxy_reward import GRAMMAR_PAY, GREAT_PAY, hack_pattern, reward
from .sampling import rollout, sample
from .seeding import generator, manual_seed, seed_offset
from .supervised import PRETRAIN_STEPS, SFT_STEPS, pretrain, sft
from .tokenizer import TOKENIZER, Tokenizer

__all__ = [
    "generator",
    "manual_seed",
    "seed_offset",
    "BANDIT_ARMS",
    "BANDIT_REF_LOGITS",
    "BANDIT_REWARDS",
    "DEFAULT_BETA",
    "MAX_BETA",
    "PRETRAIN_STEPS",
    "SFT_STEPS",
    "RL_STEPS",
    "DEMOS",
    "MAX_STEPS",
    "METRICS",
    "EXPLOIT_WORD",
    "GRAMMAR_PAY",
    "GREAT_PAY",
    "MAX_NEW_TOKENS",
    "PROMPT_LEN",
    "TOKENIZER",
    "Metric",
    "PolicySummary",
    "RLConfig",
    "TinyConfig",
    "TinyLM",
    "Tokenizer",
    "bandit",
    "checkpoint_history",
    "corpus",
    "decode_answers",
    "demo_batch",
    "demo_defaults",
    "demo_loglik",
    "demonstrations",
    "distinct_n",
    "evaluate",
    "grammatical_rate",
    "hack_pattern",
    "hack_rate",
    "heldout_demos",
    "is_grammatical",
    "policy_summary",
    "pretrain",
    "pretrained_model",
    "prompt_ids",
    "reinforce_advantages",
    "response_mask",
    "reward",
    "rollout",
    "rl",
    "run_demo",
    "sample",
    "sentence",
    "sft",
    "sft_model",
    "to_json",
    "train_demos",
]
