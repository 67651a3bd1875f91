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

from . import data, evaluation, policy_gradient, sampling, supervised
from .data import *  # noqa: F403
from .evaluation import *  # noqa: F403
from .metrics import DISTINCT_BLOCK, METRICS, TRAINING_METRICS
from .policy_gradient import *  # noqa: F403
from .sampling import *  # noqa: F403
from .supervised import *  # noqa: F403

__all__ = [
    *data.__all__,
    *sampling.__all__,
    *evaluation.__all__,
    *supervised.__all__,
    *policy_gradient.__all__,
    "DISTINCT_BLOCK",
    "METRICS",
    "TRAINING_METRICS",
]
