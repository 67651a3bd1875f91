"""``RLConfig``: every knob of the toy's RL loop in one dataclass, validated once when it is built.

The shape follows nanoGPT's ``GPTConfig`` (Karpathy): one frozen dataclass that the loop reads, so
a default has one home (its field). ``rl(policy, ref, beta=0.1, steps=50)`` builds one from its
keyword arguments; ``rl(policy, ref, config)`` takes one ready-made.
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

    Parameters
    ----------
    beta : float
        KL coefficient, 0 <= beta <= ``MAX_BETA`` (0 = no leash).
    entropy_coef : float
        Weight of the entropy bonus, 0 <= entropy_coef <= ``MAX_ENTROPY_COEF``.
    steps, batch_size, lr : int, int, float
        Policy updates, answers per update, Adam learning rate.
    advantage : {"reinforce", "grpo", "rloo"}
        How the scores become advantages (see ``rl``).
    group_size : int
        Answers per prompt for GRPO and RLOO (must divide ``batch_size``).
    kl_kind : {"k1", "k2", "k3"}
        Estimator of the KL that goes into the reward.
    clip_eps, ppo_epochs : float, int
        PPO clip range and passes per batch (1 pass = plain policy gradient).
    temperature : float
        Sampling temperature of the rollouts.
    seed : int
        Seed of the rollouts.
    reward_fn : callable, optional
        ``reward_fn(texts, nouns) -> (B,)`` scores of the decoded answers to ``describe NOUN``;
        default: the flawed ``reward`` (which ignores the nouns).
    kl_in : {None, "reward", "loss"}
        Where the KL goes; default (``kl_where``): ``"loss"`` for GRPO, ``"reward"`` otherwise.
    kl_target, kl_horizon : float or None, float
        With a target, beta (``beta`` is its start) follows the adaptive controller of Ziegler et
        al. (2019), ``AdaptiveKLController``, updated after each step with the step's measured
        KL and ``n_steps=batch_size``.
    minibatches : int
        Minibatches per pass over a batch (each one an optimiser step): PPO's reuse of a rollout
        is ``ppo_epochs * minibatches`` updates.
    clip_eps_high : float, optional
        Upper clip of the ratio (DAPO's clip-higher when above ``clip_eps``).
    clip_cov : (float, float, float), optional
        Clip-Cov's ``(fraction, lower, upper)``: per update, cut the gradient of a random
        ``fraction`` of the tokens whose covariance term lies in ``(lower, upper)``
        (verl's defaults: ``(2e-4, 1.0, 5.0)``).
    diagnostics : bool
        Also log, per step, ``beta``, ``clip_frac`` and ``approx_kl``, and ``history["updates"]``.

    Examples
    --------
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
        _check_leash(self.beta, self.entropy_coef)
        _check_sampling(self)
        _check_practice(self)

    @property
    def kl_where(self) -> str:
        """``kl_in``, or its default: ``"loss"`` for GRPO, ``"reward"`` otherwise."""
        return self.kl_in or ("loss" if self.advantage == "grpo" else "reward")

    @property
    def grouped(self) -> bool:
        """Whether answers come in groups of ``group_size`` per prompt (GRPO, RLOO)."""
        return self.advantage in ("grpo", "rloo")


def _number(x) -> bool:
    return not isinstance(x, bool) and isinstance(x, (int, float))


def _check_leash(beta, entropy_coef) -> None:
    if not _number(beta) or math.isnan(beta):
        raise ValueError(f"rl: 'beta' must be a number, got {beta!r}")
    if not 0 <= beta <= MAX_BETA:
        raise ValueError(f"rl: 'beta' must be >= 0 and <= {MAX_BETA:g}, got {beta!r}")
    if not _number(entropy_coef):
        raise ValueError(f"rl: 'entropy_coef' must be a number, got {entropy_coef!r}")
    if not 0 <= entropy_coef <= MAX_ENTROPY_COEF:  # NaN fails too
        raise ValueError(
            f"rl: 'entropy_coef' must be >= 0 and <= {MAX_ENTROPY_COEF:g}, got {entropy_coef!r}"
        )


def _check_sampling(c: RLConfig) -> None:
    if c.advantage not in ("reinforce", "grpo", "rloo"):
        raise ValueError(
            f"rl: 'advantage' must be 'reinforce', 'grpo' or 'rloo', got {c.advantage!r}"
        )
    if c.grouped and (c.group_size < 2 or c.batch_size % c.group_size):
        raise ValueError(
            f"rl: 'group_size'={c.group_size} must be >= 2 and divide batch_size={c.batch_size}"
        )
    if not (isinstance(c.ppo_epochs, int) and c.ppo_epochs >= 1):
        raise ValueError(f"rl: 'ppo_epochs' must be an int >= 1, got {c.ppo_epochs!r}")
    if not c.temperature > 0:
        raise ValueError(f"rl: 'temperature' must be > 0, got {c.temperature!r}")
    if c.kl_kind not in ("k1", "k2", "k3"):
        raise ValueError(f"rl: 'kl_kind' must be 'k1', 'k2' or 'k3', got {c.kl_kind!r}")


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and 0 < x < math.inf


def _check_practice(c: RLConfig) -> None:  # chapter 7's hooks
    if c.reward_fn is not None and not callable(c.reward_fn):
        raise ValueError(
            f"rl: 'reward_fn' must be callable (texts, nouns) -> (B,), got {c.reward_fn!r}"
        )
    if c.kl_in not in (None, "reward", "loss"):
        raise ValueError(f"rl: 'kl_in' must be None, 'reward' or 'loss', got {c.kl_in!r}")
    if c.kl_target is not None and not _positive(c.kl_target):
        raise ValueError(
            f"rl: 'kl_target' must be None or a finite number > 0, got {c.kl_target!r}"
        )
    if not _positive(c.kl_horizon):
        raise ValueError(f"rl: 'kl_horizon' must be a finite number > 0, got {c.kl_horizon!r}")
    if not (isinstance(c.minibatches, int) and 1 <= c.minibatches <= c.batch_size):
        raise ValueError(
            f"rl: 'minibatches' must be an int from 1 to batch_size={c.batch_size}, "
            f"got {c.minibatches!r}"
        )
    if c.clip_eps_high is not None and not _positive(c.clip_eps_high):
        raise ValueError(
            f"rl: 'clip_eps_high' must be None or a number > 0, got {c.clip_eps_high!r}"
        )
    cov = c.clip_cov
    if cov is not None:
        ok = isinstance(cov, (tuple, list)) and len(cov) == 3
        ok = ok and all(isinstance(v, (int, float)) and math.isfinite(v) for v in cov)
        if not (ok and 0 < cov[0] <= 1 and cov[1] < cov[2]):
            raise ValueError(
                "rl: 'clip_cov' must be None or (fraction, lower, upper) with 0 < fraction <= 1 "
                f"and lower < upper, got {cov!r}"
            )
