"""ptcourse: likelihood, KL divergence and entropy -- the three quantities behind LLM post-training.

The core (``logprobs``, ``sft``, ``kl``, ``entropy``, ``objectives``, ``stats``) imports only torch and is
re-exported here. The toy world, pictures, dials and exercise checkers are submodules that load on
first use (``ptcourse.toy``, ``ptcourse.viz``, ``ptcourse.widgets``, ``ptcourse.check``), so that
``import ptcourse`` never imports matplotlib or ipywidgets.
"""

from __future__ import annotations

import importlib

from .entropy import entropy
from .kl import kl_divergence, kl_estimate, kl_penalized_rewards, kl_regularized_policy
from .logprobs import cross_entropy, perplexity, sequence_logprob, token_logprobs
from .objectives import dpo_loss, grpo_advantages, ppo_clip_loss
from .sft import sft_loss
from .stats import TokenStats, token_stats

__version__ = "0.1.0"

_SUBMODULES = {"toy", "viz", "widgets", "dials", "check", "cli", "doctor", "student"}

__all__ = [
    "__version__",
    # likelihood
    "token_logprobs",
    "sequence_logprob",
    "cross_entropy",
    "perplexity",
    "sft_loss",
    # the leash
    "kl_divergence",
    "kl_estimate",
    "kl_penalized_rewards",
    "kl_regularized_policy",
    # the spread
    "entropy",
    # the toolkit
    "dpo_loss",
    "grpo_advantages",
    "ppo_clip_loss",
    "TokenStats",
    "token_stats",
]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ptcourse' has no attribute {name!r}")
