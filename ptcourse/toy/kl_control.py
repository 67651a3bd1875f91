"""The adaptive KL controller of Ziegler et al. (2019): steer beta so that the KL tracks a target.

Ziegler et al., *Fine-tuning language models from human preferences* (2019), section 2.2, in the
form of their code (``AdaptiveKLController`` in ``lm_human_preferences/train_policy.py`` of
openai/lm-human-preferences, commit 1ab856d):

.. math::

    e_t = \\mathrm{clip}\\Big(\\frac{\\mathrm{KL}_t - \\mathrm{KL}_{\\text{target}}}{\\mathrm{KL}_{\\text{target}}},
    -0.2,\\ 0.2\\Big), \\qquad \\beta_{t+1} = \\beta_t\\,\\big(1 + K_\\beta\\, e_t\\big),
    \\quad K_\\beta = \\frac{n_{\\text{steps}}}{\\text{horizon}}

verl (``verl/trainer/ppo/core_algos.py``) and OpenRLHF (``openrlhf/trainer/ppo_utils/kl_controller.py``,
commit 658ecc3) have the same class, ``update(current_kl, batch_size)`` once per batch; TRL had it
too, up to version 0.14, which dropped it.
"""

from __future__ import annotations

import math

__all__ = ["AdaptiveKLController"]


class AdaptiveKLController:
    """A proportional controller of the KL coefficient ``value`` (beta): it starts at
    ``init_kl_coef`` and tracks a ``target`` KL (nats per answer); the larger ``horizon``, the
    slower it moves (each update by at most a factor ``1 +- 0.2 * n_steps / horizon``). Each must
    be a number > 0, else ``ValueError``.

    >>> c = AdaptiveKLController(0.1, target=2.0, horizon=100)
    >>> c.update(current=4.0, n_steps=50)  # KL twice the target: error clipped to +0.2
    >>> round(c.value, 4)  # 0.1 * (1 + 0.2 * 50 / 100)
    0.11
    """

    def __init__(self, init_kl_coef: float, target: float, horizon: float) -> None:
        for name, v in (("init_kl_coef", init_kl_coef), ("target", target), ("horizon", horizon)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < math.inf:
                raise ValueError(f"AdaptiveKLController: '{name}' must be a number > 0, got {v!r}")
        self.value = float(init_kl_coef)
        self.target = float(target)
        self.horizon = float(horizon)

    def update(self, current: float, n_steps: int) -> None:
        """Move ``value`` by the clipped proportional error of ``current`` KL after ``n_steps``."""
        if not math.isfinite(current) or current < 0:
            raise ValueError(
                f"AdaptiveKLController.update: 'current' must be a KL >= 0, got {current!r}"
            )
        if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
            raise ValueError(
                f"AdaptiveKLController.update: 'n_steps' must be an int >= 1, got {n_steps!r}"
            )
        error = min(max(current / self.target - 1.0, -0.2), 0.2)
        self.value *= 1.0 + error * n_steps / self.horizon
