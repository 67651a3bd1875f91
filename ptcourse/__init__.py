"""ptcourse: likelihood, KL divergence and entropy -- the three quantities behind LLM post-training.

Three layers, arrows pointing down:

* the core, flat at the top of the package (``logprobs``, ``sft``, ``kl``, ``entropy``, ``objectives``,
  ``stats``): imports only torch and the standard library, and is re-exported here;
* ``ptcourse.toy``: the toy world (grammar, tokenizer, tiny LM, training loops); imports the core;
* ``ptcourse.parallel`` (core, loaded on first use): the same statistics over a vocabulary sharded
  across ``torch.distributed`` ranks; its functions keep the core's names, so they are not
  re-exported here (``ptcourse.parallel.entropy``);
* ``ptcourse.course``: what the course delivers (checkers, dials, widgets, pictures, glue, student
  notebooks, doctor); imports the core and the toy, and is never imported by them.

The course modules keep their short names as aliases (``ptcourse.check``, ``ptcourse.viz``,
``from ptcourse.glue import glue``, ...), because every chapter uses them. Everything but the core
loads on first use, so ``import ptcourse`` never imports matplotlib or ipywidgets.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

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
# Short names of the course modules (``ptcourse.check`` is ``ptcourse.course.check``).
_COURSE_ALIASES = {"check", "dials", "doctor", "glue", "quiz", "student", "viz", "widgets"}

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
        return importlib.import_module(f"{__name__}.{name}")
    if name in _COURSE_ALIASES:
        return importlib.import_module(f"{__name__}.course.{name}")
    raise AttributeError(f"module 'ptcourse' has no attribute {name!r}")


class _CourseAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import ptcourse.check`` (or ``from ptcourse.glue import glue``) gives the module in ``course/``.

    The alias and the real name are one module object, so state and monkeypatches are shared.
    """

    def find_spec(self, fullname, path=None, target=None):
        head, _, name = fullname.partition(".")
        if head != __name__ or name not in _COURSE_ALIASES:
            return None
        real = importlib.import_module(f"{__name__}.course.{name}")
        spec = importlib.util.spec_from_loader(fullname, self)
        spec.loader_state = real.__spec__  # the module the alias names, by its own spec
        return spec

    def create_module(self, spec):
        return sys.modules[spec.loader_state.name]

    def exec_module(self, module):
        # the import system stamped the alias's spec on the real module: give it its own back
        module.__spec__ = module.__spec__.loader_state


if not any(isinstance(f, _CourseAlias) for f in sys.meta_path):
    sys.meta_path.append(_CourseAlias())
