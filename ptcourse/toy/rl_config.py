"""``RLConfig``: every knob of the toy's RL loop in one dataclass, validated once when it is built.

Shaped like nanoGPT's ``GPTConfig`` (Karpathy): one frozen dataclass the loop reads, so a default
has one home. ``rl(policy, ref, beta=0.1)`` builds one from keywords; ``rl(policy, ref, config)``
takes one ready-made.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .supervised import check_loop_args

__all__ = ["DEFAULT_BETA", "MAX_BETA", "MAX_ENTROPY_COEF", "RL_STEPS", "RLConfig"]

DEFAULT_BETA = 0.5  # the default leash: keeps answers grammatical (see tests/toy)
#: Largest accepted KL coefficient. The toy reward is at most 11.5 per answer, so at beta = 1e4 a
#: KL of 0.002 nats already outweighs it: larger values only freeze the policy, and near 1e15
#: Adam's squared gradients of beta * KL overflow float32 (NaN weights).
MAX_BETA = 1e4
#: Largest accepted entropy bonus, for the same reason: the mean token entropy is at most log V
#: (a few nats), so at 1e4 the bonus swamps the reward already, and a coefficient the float32
#: model cannot hold (1e39) would turn the loss into inf and the weights into NaN.
MAX_ENTROPY_COEF = 1e4
RL_STEPS = 100


@dataclass(frozen=True)
class RLConfig:
    """The knobs of ``rl``; a bad one raises ``ValueError`` naming it, before any training.

    ``beta`` (0 to ``MAX_BETA``; 0 = no leash) weighs the KL, ``entropy_coef`` (0 to
    ``MAX_ENTROPY_COEF``) the entropy bonus; ``steps`` updates of ``batch_size`` answers, Adam at
    ``lr``. ``advantage``: ``"reinforce"``, ``"grpo"`` or ``"rloo"`` (see ``rl``); the last two
    sample ``group_size`` answers per prompt (it must divide ``batch_size``). ``kl_kind`` (k1, k2,
    k3) estimates the KL in the reward. ``clip_eps``: PPO's clip range; ``ppo_epochs``: passes per
    batch (1 = plain policy gradient); rollouts at ``temperature``, seeded by ``seed``.

    Chapter 7's hooks: ``reward_fn(texts, nouns) -> (B,)`` scores the decoded answers to
    ``describe NOUN`` (default: the flawed ``reward``, which ignores the nouns). ``kl_in``: the KL
    in the ``"reward"`` or the ``"loss"`` (default ``kl_where``). With ``kl_target``, beta starts
    at ``beta`` and follows ``AdaptiveKLController(beta, kl_target, kl_horizon)`` (Ziegler et al.,
    2019), updated after each step with its KL and ``n_steps=batch_size``. ``minibatches`` per
    pass, each an optimiser step (``ppo_epochs * minibatches`` updates per rollout, as PPO).
    ``clip_eps_high``: the ratio's upper clip (DAPO's clip-higher above ``clip_eps``). ``clip_cov
    = (fraction, lower, upper)``: Clip-Cov cuts, per update, the gradient of a random ``fraction``
    of the tokens whose covariance term lies in ``(lower, upper)`` (verl: ``(2e-4, 1.0, 5.0)``).
    ``diagnostics``: also log ``beta``, ``clip_frac``, ``approx_kl`` per step and
    ``history["updates"]``.

    >>> RLConfig(advantage="grpo").kl_where  # GRPO puts the KL in the loss
    'loss'
    >>> RLConfig(kl_in="middle")
    Traceback (most recent call last):
    ValueError: rl: 'kl_in' must be None, 'reward' or 'loss', got 'middle'
    """

    beta: float = DEFAULT_BETA
    entropy_coef: float = 0.0
    steps: int = RL_STEPS
    batch_size: int = 64
    lr: float = 5e-4
    advantage: str = "reinforce"
    group_size: int = 8
    kl_kind: str = "k1"
    clip_eps: float = 0.2
    ppo_epochs: int = 1
    temperature: float = 1.0
    seed: int = 0
    reward_fn: Callable | None = None
    kl_in: str | None = None
    kl_target: float | None = None
    kl_horizon: float = 10000
    minibatches: int = 1
    clip_eps_high: float | None = None
    clip_cov: tuple[float, float, float] | None = None
    diagnostics: bool = False

    def __post_init__(self):
        check_loop_args(self.steps, self.batch_size, self.lr)
        beta, ent, cov = self.beta, self.entropy_coef, self.clip_cov
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or math.isnan(beta):
            raise ValueError(f"rl: 'beta' must be a number, got {beta!r}")
        if not 0 <= beta <= MAX_BETA:
            raise ValueError(f"rl: 'beta' must be >= 0 and <= {MAX_BETA:g}, got {beta!r}")
        if isinstance(ent, bool) or not isinstance(ent, (int, float)):
            raise ValueError(f"rl: 'entropy_coef' must be a number, got {ent!r}")
        if not 0 <= ent <= MAX_ENTROPY_COEF:  # NaN fails too
            raise ValueError(
                f"rl: 'entropy_coef' must be >= 0 and <= {MAX_ENTROPY_COEF:g}, got {ent!r}"
            )
        if self.advantage not in ("reinforce", "grpo", "rloo"):
            raise ValueError(
                f"rl: 'advantage' must be 'reinforce', 'grpo' or 'rloo', got {self.advantage!r}"
            )
        if self.grouped and (self.group_size < 2 or self.batch_size % self.group_size):
            raise ValueError(
                f"rl: 'group_size'={self.group_size} must be >= 2 and divide "
                f"batch_size={self.batch_size}"
            )
        if not (isinstance(self.ppo_epochs, int) and self.ppo_epochs >= 1):
            raise ValueError(f"rl: 'ppo_epochs' must be an int >= 1, got {self.ppo_epochs!r}")
        if not self.temperature > 0:
            raise ValueError(f"rl: 'temperature' must be > 0, got {self.temperature!r}")
        if self.kl_kind not in ("k1", "k2", "k3"):
            raise ValueError(f"rl: 'kl_kind' must be 'k1', 'k2' or 'k3', got {self.kl_kind!r}")
        # chapter 7's hooks
        if self.reward_fn is not None and not callable(self.reward_fn):
            raise ValueError(
                f"rl: 'reward_fn' must be callable (texts, nouns) -> (B,), got {self.reward_fn!r}"
            )
        if self.kl_in not in (None, "reward", "loss"):
            raise ValueError(f"rl: 'kl_in' must be None, 'reward' or 'loss', got {self.kl_in!r}")
        if self.kl_target is not None and not _positive(self.kl_target):
            raise ValueError(
                f"rl: 'kl_target' must be None or a finite number > 0, got {self.kl_target!r}"
            )
        if not _positive(self.kl_horizon):
            raise ValueError(
                f"rl: 'kl_horizon' must be a finite number > 0, got {self.kl_horizon!r}"
            )
        if not (isinstance(self.minibatches, int) and 1 <= self.minibatches <= self.batch_size):
            raise ValueError(
                f"rl: 'minibatches' must be an int from 1 to batch_size={self.batch_size}, "
                f"got {self.minibatches!r}"
            )
        if self.clip_eps_high is not None and not _positive(self.clip_eps_high):
            raise ValueError(
                f"rl: 'clip_eps_high' must be None or a number > 0, got {self.clip_eps_high!r}"
            )
        ok = isinstance(cov, (tuple, list)) and len(cov) == 3
        ok = ok and all(isinstance(v, (int, float)) and math.isfinite(v) for v in cov)
        if cov is not None and not (ok and 0 < cov[0] <= 1 and cov[1] < cov[2]):
            raise ValueError(
                "rl: 'clip_cov' must be None or (fraction, lower, upper) with 0 < fraction <= 1 "
                f"and lower < upper, got {cov!r}"
            )

    @property
    def kl_where(self) -> str:
        """``kl_in``, or its default: ``"loss"`` for GRPO, ``"reward"`` otherwise."""
        return self.kl_in or ("loss" if self.advantage == "grpo" else "reward")

    @property
    def grouped(self) -> bool:
        """Whether answers come in groups of ``group_size`` per prompt (GRPO, RLOO)."""
        return self.advantage in ("grpo", "rloo")


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and 0 < x < math.inf
