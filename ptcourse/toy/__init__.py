"""The toy world: a tiny language, a tiny transformer, and post-training in seconds on a CPU.

``grammar`` (the "web" corpus, demonstrations, ``is_grammatical``), ``tokenizer`` (word-level, with
``<pad> <bos> <eos> <q> <a>``), ``model`` (``TinyLM``, ~100k parameters, logits ``(B, T, V)``),
``proxy_reward`` (the flawed ``reward``: overpays for ``great``), ``metrics`` (the registry
``METRICS``, ``distinct_n``, ``grammatical_rate``, ``hack_rate``), ``data`` (prompts, masks,
``decode_answers``), ``sampling``, ``evaluation`` (``evaluate``, ``demo_loglik``), ``supervised``
(``pretrain``, ``sft``), ``policy_gradient`` (``rl``: rollout -> score -> advantages -> update,
knobs in ``RLConfig``), ``checkpoints`` (shipped for seed 0, else trained and cached), ``seeding``
(``PTCOURSE_SEED_OFFSET`` shifts every seed), ``kl_bandit`` (a one-step ``bandit`` checked against
``ptcourse.kl_regularized_policy``) and ``demos`` (``run_demo``, behind ``ptcourse demo NAME``).

It imports the ``ptcourse`` core, never matplotlib. The model follows minGPT/nanoGPT (Karpathy),
the pretrain -> SFT -> RL-with-KL pipeline InstructGPT (Ouyang et al., 2022).

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
