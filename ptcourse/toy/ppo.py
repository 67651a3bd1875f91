"""Chapter 6's pieces of ``rl``: argument checks, Clip-Cov's token selection, a custom reward's scores.

Clip-Cov follows Cui et al. (2025), *The Entropy Mechanism of Reinforcement Learning for Reasoning
Language Models*, as implemented in verl's ``compute_policy_loss_clip_cov``
(``verl/trainer/ppo/core_algos.py``).
"""

from __future__ import annotations

import math

import torch

__all__ = ["check_practice_args", "cov_selected", "scores_of"]


def check_practice_args(
    reward_fn, kl_in, kl_target, kl_horizon, minibatches, batch_size, clip_eps_high, clip_cov
):
    """Refuse a bad chapter-6 argument of ``rl`` by name, before any training.

    Examples
    --------
    >>> check_practice_args(None, "loss", None, 10000, 1, 8, None, None)  # all fine: no error
    >>> check_practice_args(None, "middle", None, 10000, 1, 8, None, None)
    Traceback (most recent call last):
    ValueError: rl: 'kl_in' must be None, 'reward' or 'loss', got 'middle'
    """
    if reward_fn is not None and not callable(reward_fn):
        raise ValueError(
            f"rl: 'reward_fn' must be callable (texts, nouns) -> (B,), got {reward_fn!r}"
        )
    if kl_in not in (None, "reward", "loss"):
        raise ValueError(f"rl: 'kl_in' must be None, 'reward' or 'loss', got {kl_in!r}")
    if kl_target is not None and not (
        isinstance(kl_target, (int, float)) and 0 < kl_target < math.inf
    ):
        raise ValueError(f"rl: 'kl_target' must be None or a finite number > 0, got {kl_target!r}")
    if not (isinstance(kl_horizon, (int, float)) and 0 < kl_horizon < math.inf):
        raise ValueError(f"rl: 'kl_horizon' must be a finite number > 0, got {kl_horizon!r}")
    if not (isinstance(minibatches, int) and 1 <= minibatches <= batch_size):
        raise ValueError(
            f"rl: 'minibatches' must be an int from 1 to batch_size={batch_size}, got {minibatches!r}"
        )
    if clip_eps_high is not None and not (
        isinstance(clip_eps_high, (int, float)) and 0 < clip_eps_high < math.inf
    ):
        raise ValueError(f"rl: 'clip_eps_high' must be None or a number > 0, got {clip_eps_high!r}")
    if clip_cov is not None:
        ok = isinstance(clip_cov, (tuple, list)) and len(clip_cov) == 3
        ok = ok and all(isinstance(v, (int, float)) and math.isfinite(v) for v in clip_cov)
        if not (ok and 0 < clip_cov[0] <= 1 and clip_cov[1] < clip_cov[2]):
            raise ValueError(
                "rl: 'clip_cov' must be None or (fraction, lower, upper) with 0 < fraction <= 1 "
                f"and lower < upper, got {clip_cov!r}"
            )


def cov_selected(logp, adv, mask, clipped, clip_cov, gen):
    """Clip-Cov's tokens (Cui et al., 2025): a random ``fraction`` of the kept, not yet clipped
    tokens whose centred covariance term lies strictly between ``lower`` and ``upper``.

    .. math::

        c_t = \\big(A_t - \\bar A\\big)\\big(\\log\\pi(y_t) - \\overline{\\log\\pi}\\big)

    (means over the kept tokens), as in verl's ``compute_policy_loss_clip_cov``
    (``verl/trainer/ppo/core_algos.py``): their gradient is cut for this update.

    Examples
    --------
    >>> logp = torch.tensor([[-0.1, -3.0, -0.2, -2.0]])  # (B, T)
    >>> adv, keep = torch.tensor([[1.0]]), torch.ones(1, 4, dtype=torch.bool)
    >>> none = torch.zeros(1, 4, dtype=torch.bool)
    >>> cov_selected(logp, adv, keep, none, (1.0, -1.0, 1.0), torch.Generator()).sum().item()
    4
    """
    fraction, lower, upper = clip_cov
    maskf = mask.float()
    n = maskf.sum()
    a = adv.expand_as(logp)
    lp = logp.detach()
    cov = (a - (a * maskf).sum() / n) * (lp - (lp * maskf).sum() / n)  # (B, T)
    eligible = mask & ~clipped & (cov > lower) & (cov < upper)
    where = torch.nonzero(eligible.reshape(-1)).squeeze(1)
    k = max(int(fraction * int(n)), 1)
    picked = where[torch.randperm(len(where), generator=gen)[:k]]
    sel = torch.zeros(eligible.numel(), dtype=torch.bool)
    sel[picked] = True
    return sel.view_as(eligible)


def scores_of(reward_fn, texts: list[str], nouns: list[str]) -> torch.Tensor:
    """``reward_fn(texts, nouns)``, checked: a finite float tensor ``(B,)``, detached.

    Examples
    --------
    >>> scores_of(lambda t, n: torch.ones(len(t)), ["the cat is red ."], ["cat"])
    tensor([1.])
    """
    out = reward_fn(texts, nouns)
    if not isinstance(out, torch.Tensor) or out.shape != (len(texts),):
        raise ValueError(
            f"rl: 'reward_fn' must return a tensor of shape ({len(texts)},), got "
            f"{getattr(out, 'shape', type(out).__name__)}"
        )
    if not bool(torch.isfinite(out).all()):
        raise ValueError("rl: 'reward_fn' returned a non-finite score")
    return out.detach().float()
