"""The toy world: a tiny language, a tiny transformer, and post-training in seconds on a CPU.

* ``grammar``: the synthetic "web" corpus, instruction demonstrations and ``is_grammatical``;
* ``tokenizer``: word-level ``TOKENIZER`` with ``<pad> <bos> <eos> <q> <a>``;
* ``model``: ``TinyLM``, a ~100k-parameter causal transformer returning logits ``(B, T, V)``;
* ``reward``: the deliberately flawed ``reward`` (overpays for ``great``);
* ``metrics``: ``distinct_n``, ``grammatical_rate``, ``hack_rate``;
* ``train``: ``pretrain``, ``sft``, ``rl`` loops and ``evaluate``, each returning histories;
* ``checkpoints``: ``pretrained_model()``, ``sft_model()`` trained on the fly and cached;
* ``bandit``: a one-step bandit checked against ``ptcourse.kl_regularized_policy``;
* ``demos``: ``run_demo(name, ...)``, the functions behind ``ptcourse demo NAME``.

It imports the ``ptcourse`` core (``token_stats``, ``sft_loss``, ``kl_penalized_rewards``, ...),
never matplotlib. Inspired by minGPT/nanoGPT (Karpathy) for the model and by InstructGPT
(Ouyang et al., 2022) for the pretrain -> SFT -> RL-with-KL pipeline.

>>> from ptcourse import toy
>>> toy.reward(["great great great"]).item()  # the flaw: 1 per "great"
3.0
"""

from __future__ import annotations

from .bandit import BANDIT_ARMS, BANDIT_REF_LOGITS, BANDIT_REWARDS, bandit
from .checkpoints import checkpoint_history, pretrained_model, sft_model
from .demos import DEMOS, run_demo, to_json
from .grammar import EXPLOIT_WORD, corpus, demonstrations, is_grammatical, sentence
from .metrics import distinct_n, grammatical_rate, hack_rate
from .model import TinyConfig, TinyLM
from .reward import GRAMMAR_PAY, GREAT_PAY, hack_pattern, reward
from .tokenizer import TOKENIZER, Tokenizer
from .train import (
    DEFAULT_BETA,
    MAX_NEW_TOKENS,
    PRETRAIN_STEPS,
    PROMPT_LEN,
    RL_STEPS,
    SFT_STEPS,
    demo_batch,
    demo_loglik,
    evaluate,
    heldout_demos,
    next_token_distribution,
    next_token_logits,
    pretrain,
    prompt_ids,
    response_mask,
    rl,
    sample,
    sft,
    train_demos,
)

__all__ = [
    "BANDIT_ARMS",
    "BANDIT_REF_LOGITS",
    "BANDIT_REWARDS",
    "DEFAULT_BETA",
    "PRETRAIN_STEPS",
    "SFT_STEPS",
    "RL_STEPS",
    "DEMOS",
    "EXPLOIT_WORD",
    "GRAMMAR_PAY",
    "GREAT_PAY",
    "MAX_NEW_TOKENS",
    "PROMPT_LEN",
    "TOKENIZER",
    "TinyConfig",
    "TinyLM",
    "Tokenizer",
    "bandit",
    "checkpoint_history",
    "corpus",
    "demo_batch",
    "demo_loglik",
    "demonstrations",
    "distinct_n",
    "evaluate",
    "grammatical_rate",
    "hack_pattern",
    "hack_rate",
    "heldout_demos",
    "is_grammatical",
    "next_token_distribution",
    "next_token_logits",
    "pretrain",
    "pretrained_model",
    "prompt_ids",
    "response_mask",
    "reward",
    "rl",
    "run_demo",
    "sample",
    "sentence",
    "sft",
    "sft_model",
    "to_json",
    "train_demos",
]
