"""ptcourse: likelihood, KL divergence and entropy -- the three quantities behind LLM post-training.

Layers, arrows pointing down: the core, one concept per module at the top of the package (torch and
the standard library only; its ``__all__`` names re-exported here, but for ``ptcourse.parallel``,
which keeps the core's names for a vocabulary sharded across ``torch.distributed`` ranks);
``ptcourse.toy``, the toy world (grammar, tokenizer, tiny LM, training loops); ``ptcourse.course``,
what the course delivers (checkers, dials, widgets, pictures, glue, student notebooks, doctor). A
``ptcourse/course/`` module is also an attribute (``pc.check``, ``pc.viz``, for the chapters) but is
imported by its real name (``from ptcourse.course.glue import glue``). All but the core loads on
first use, so ``import ptcourse`` never imports matplotlib or ipywidgets.
"""

import importlib as _importlib
import importlib.util as _util

from .aggregation import aggregate_loss
from .kl import kl_divergence, kl_estimate, kl_penalized_rewards, kl_regularized_policy
from .logprobs import cross_entropy, perplexity, sequence_logprob, token_logprobs
from .objectives import dpo_loss, grpo_advantages, ipo_loss, ppo_clip_loss, rloo_advantages
from .reward_model import bradley_terry_loss
from .sft import sft_loss
from .spread import entropy
from .stats import TokenStats, token_stats

__version__ = "0.1.0"

_SUBMODULES = {"toy", "cli", "course", "parallel"}

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
    "ipo_loss",
    "aggregate_loss",
    "rloo_advantages",
    "bradley_terry_loss",
    "TokenStats",
    "token_stats",
]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    if not name.startswith("_") and _util.find_spec(f"{__name__}.course.{name}"):
        return _importlib.import_module(f"{__name__}.course.{name}")  # pc.viz: ptcourse.course.viz
    raise AttributeError(f"module 'ptcourse' has no attribute {name!r}")
