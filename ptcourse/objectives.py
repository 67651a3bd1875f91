r"""The post-training objectives of chapters 6 and 8 in one import, from their concepts' modules.

``preference``: :func:`dpo_loss` (Rafailov et al., 2023), :func:`ipo_loss` (Azar et al., 2023);
``advantages``: :func:`grpo_advantages` (Shao et al., 2024; ``SCALES``, TRL's ``scale_rewards``
values), :func:`rloo_advantages` (Ahmadian et al., 2024); ``ppo``: :func:`ppo_clip_loss`
(Schulman et al., 2017; DAPO's clip-higher).

>>> SCALES  # grpo_advantages(rewards, scale=...) accepts these
('group', 'batch', 'none')
"""

from __future__ import annotations

from .advantages import SCALES, grpo_advantages, rloo_advantages
from .ppo import ppo_clip_loss
from .preference import dpo_loss, ipo_loss

__all__ = ["SCALES", "dpo_loss", "grpo_advantages", "ipo_loss", "ppo_clip_loss", "rloo_advantages"]
