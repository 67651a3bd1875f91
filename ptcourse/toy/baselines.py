"""How much a baseline buys: the policy-gradient estimator's bias and variance, measured.

For a policy :math:`\\pi_\\theta` and a reward :math:`r`, the log-derivative trick gives

.. math::

    \\nabla_\\theta\\, \\mathbb E_{y\\sim\\pi_\\theta}[r(y)]
    = \\mathbb E_{y\\sim\\pi_\\theta}\\big[(r(y) - b)\\,\\nabla_\\theta \\log\\pi_\\theta(y)\\big]

for any baseline :math:`b` independent of :math:`y` (as
:math:`\\mathbb E[\\nabla_\\theta \\log\\pi_\\theta(y)] = 0`). From ``n`` samples: ``"none"``
(:math:`b = 0`), ``"batch_mean"`` (:math:`b = \\bar r`, which holds the sample itself and so shrinks
the estimate by :math:`(n-1)/n`) and the unbiased ``"rloo"`` (:math:`b` = the mean of the other
:math:`n-1` rewards; Kool et al., 2019; Ahmadian et al., 2024).
"""

from __future__ import annotations

import torch

from ..logprobs import sequence_logprob
from ..objectives import rloo_advantages
from . import seeding
from .data import nouns_for, response_mask, torch_threads
from .kl_bandit import BANDIT_REF_LOGITS, BANDIT_REWARDS
from .model import TinyLM
from .proxy_reward import reward
from .sampling import rollout

__all__ = ["ESTIMATORS", "sample_advantages", "bandit_gradients", "lm_gradient_variance"]

ESTIMATORS = ("none", "batch_mean", "rloo")


def sample_advantages(rewards: torch.Tensor, estimator: str) -> torch.Tensor:
    """Advantages ``(G, n)`` of rewards ``(G, n)`` (groups of samples) for one estimator.

    >>> r = torch.tensor([[1.0, 0.0, 2.0]])
    >>> [sample_advantages(r, e).tolist() for e in ESTIMATORS]
    [[[1.0, 0.0, 2.0]], [[0.0, -1.0, 1.0]], [[0.0, -1.5, 1.5]]]
    """
    if estimator == "none":
        return rewards
    if estimator == "batch_mean":
        return rewards - rewards.mean(-1, keepdim=True)
    if estimator == "rloo":
        return rloo_advantages(rewards)
    raise ValueError(f"'estimator' must be one of {ESTIMATORS}, got {estimator!r}")


def bandit_gradients(n: int = 8, batches: int = 20000, *, seed: int = 0) -> dict:
    """Each estimator's gradient of the toy bandit's expected reward, over many batches of ``n`` draws.

    The policy is the bandit's reference (softmax of ``BANDIT_REF_LOGITS``): the exact gradient in
    its logits is :math:`\\pi \\odot (r - \\mathbb E_\\pi r)`, and a draw :math:`a` gives
    :math:`\\nabla \\log\\pi(a) = e_a - \\pi`. Returns ``{"exact": (A,), estimator: {"mean": (A,),
    "variance": float, "se": (A,)}}``, ``variance`` the trace of one batch estimate's covariance.

    >>> out = bandit_gradients(8, 2000)
    >>> out["rloo"]["variance"] < out["none"]["variance"]
    True
    """
    if not (isinstance(n, int) and n >= 2 and isinstance(batches, int) and batches >= 2):
        raise ValueError(
            f"bandit_gradients: need ints n >= 2 and batches >= 2, got {n!r}, {batches!r}"
        )
    logits = torch.tensor(BANDIT_REF_LOGITS, dtype=torch.float64)
    r = torch.tensor(BANDIT_REWARDS, dtype=torch.float64)
    p = logits.softmax(-1)  # (A,)
    gen = seeding.generator(seed)
    arms = torch.multinomial(p.float(), batches * n, replacement=True, generator=gen)
    arms = arms.view(batches, n)  # (M, n)
    score = torch.nn.functional.one_hot(arms, len(p)).double() - p  # (M, n, A) grad log pi
    out: dict = {"exact": p * (r - (p * r).sum())}
    for est in ESTIMATORS:
        adv = sample_advantages(r[arms], est)  # (M, n)
        g = (adv[..., None] * score).mean(1)  # (M, A) one estimate per batch
        out[est] = {
            "mean": g.mean(0),
            "variance": float(g.var(0).sum()),
            "se": g.std(0) / batches**0.5,
        }
    return out


def lm_gradient_variance(
    policy: TinyLM,
    *,
    batches: int = 12,
    batch_size: int = 64,
    group_size: int = 8,
    seed: int = 0,
) -> dict[str, float]:
    """Total variance of each estimator's policy gradient on the toy LM, over ``batches`` rollouts.

    Each batch: ``batch_size / group_size`` prompts, ``group_size`` answers each, scored by the
    flawed ``reward``; each estimator's gradient of
    :math:`-\\frac1B \\sum_i A_i \\log\\pi_\\theta(y_i \\mid x_i)` on the same rollouts. Returns
    ``{estimator: variance}`` (summed over parameters) and ``"mean_norm_<estimator>"`` (the norm of
    the mean gradient).

    >>> out = lm_gradient_variance(TinyLM(seed=0), batches=2, batch_size=8, group_size=4)
    >>> sorted(out)[:3]
    ['batch_mean', 'mean_norm_batch_mean', 'mean_norm_none']
    """
    if batch_size % group_size or group_size < 2 or batches < 2:
        raise ValueError(
            f"lm_gradient_variance: 'group_size'={group_size} must be >= 2 and divide "
            f"batch_size={batch_size}, and 'batches'={batches} must be >= 2"
        )
    params = [p for p in policy.parameters() if p.requires_grad]
    gen = seeding.generator(seed)
    grads: dict[str, list[torch.Tensor]] = {e: [] for e in ESTIMATORS}
    with torch_threads():
        for _ in range(batches):
            groups = nouns_for(batch_size // group_size, gen)
            nouns = [n for n in groups for _ in range(group_size)]
            ids, texts = rollout(policy, nouns, generator=gen)  # (B, T)
            scores = reward(texts).view(-1, group_size)  # (G, n)
            logp = sequence_logprob(policy(ids)[:, :-1], ids[:, 1:], response_mask(ids))  # (B,)
            for est in ESTIMATORS:
                adv = sample_advantages(scores, est).reshape(-1)  # (B,)
                g = torch.autograd.grad(-(adv * logp).mean(), params, retain_graph=True)
                grads[est].append(torch.cat([x.reshape(-1) for x in g]))
    out: dict[str, float] = {}
    for est, gs in grads.items():
        stack = torch.stack(gs).double()  # (batches, P)
        out[est] = float(stack.var(0).sum())
        out[f"mean_norm_{est}"] = float(stack.mean(0).norm())
    return out
