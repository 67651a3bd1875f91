"""A one-step bandit: KL-regularised policy gradient, checked against its closed-form optimum.

With one action ("choose an adjective"), J(pi) = E_{a~pi}[r(a)] - beta * KL(pi || pi_ref) has the
maximiser pi*(a) proportional to pi_ref(a) * exp(r(a) / beta) (``ptcourse.kl_regularized_policy``;
Ziebart, 2010; Korbak et al., 2022, *RL with KL penalties is better viewed as Bayesian inference*;
Rafailov et al., 2023, *DPO*, eq. 4). ``bandit`` reaches it the way RLHF does, by sampling:
REINFORCE on the KL-shaped rewards of ``ptcourse.kl_penalized_rewards``, through
``ptcourse.ppo_clip_loss``. ``policy_summary``: the exact expected reward, KL and entropy of any
one-step policy.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..kl import kl_divergence, kl_penalized_rewards, kl_regularized_policy
from ..objectives import ppo_clip_loss
from ..spread import entropy
from . import seeding
from .grammar import ADJECTIVES
from .policy_gradient import MAX_BETA

__all__ = [
    "BANDIT_ARMS",
    "BANDIT_REF_LOGITS",
    "BANDIT_REWARDS",
    "PolicySummary",
    "policy_summary",
    "bandit",
]

#: the arms: the adjectives of the toy language
BANDIT_ARMS = ADJECTIVES
#: the reference policy's logits over the arms (``great`` is rare under the reference)
BANDIT_REF_LOGITS = (1.0, 0.6, 0.8, 0.3, 0.2, -0.3, 0.0, -1.0)
#: the (flawed) reward of each arm: ``great`` pays most
BANDIT_REWARDS = (0.2, 0.1, 0.3, 0.0, 0.4, 0.3, 0.1, 1.0)


class PolicySummary(NamedTuple):
    """Exact ``reward`` (expected), ``kl`` to the reference and ``entropy`` of a one-step policy."""

    reward: float
    kl: float
    entropy: float


def policy_summary(
    logits: torch.Tensor, rewards: torch.Tensor, ref_logits: torch.Tensor
) -> PolicySummary:
    r"""Expected reward, KL(pi || pi_ref) and entropy (nats) of a policy over K answers, exactly.

    .. math::

        \mathbb{E}_\pi[r] = \sum_a \pi(a)\, r(a), \qquad
        \mathrm{KL}(\pi \,\|\, \pi_{\text{ref}}) = \sum_a \pi(a) \log\frac{\pi(a)}{\pi_{\text{ref}}(a)},
        \qquad \mathcal H(\pi) = -\sum_a \pi(a) \log \pi(a)

    ``logits`` and ``ref_logits`` (logits or log-probabilities) and ``rewards``: ``(K,)`` each,
    else ``ValueError``. Returns a ``PolicySummary`` of floats ``(reward, kl, entropy)``.

    >>> ref = torch.tensor(BANDIT_REF_LOGITS)
    >>> policy_summary(ref, torch.tensor(BANDIT_REWARDS), ref).kl  # the reference against itself
    0.0
    """
    logits, rewards, ref_logits = (torch.as_tensor(t) for t in (logits, rewards, ref_logits))
    if logits.dim() != 1 or rewards.shape != logits.shape or ref_logits.shape != logits.shape:
        raise ValueError(
            f"policy_summary: 'logits' {tuple(logits.shape)}, 'rewards' {tuple(rewards.shape)} and "
            f"'ref_logits' {tuple(ref_logits.shape)} must be 1-D of the same length"
        )
    p = torch.softmax(logits, -1)
    return PolicySummary(
        float((p * rewards).sum()), float(kl_divergence(logits, ref_logits)), float(entropy(logits))
    )


def bandit(
    ref_logits: torch.Tensor | None = None,
    rewards: torch.Tensor | None = None,
    *,
    beta: float = 0.3,
    steps: int = 400,
    batch_size: int = 256,
    lr: float = 0.05,
    seed: int = 0,
) -> dict:
    """Learn a one-step policy by sampled, KL-penalised REINFORCE and compare it with pi*.

    .. math::

        \\nabla_\\theta J \\approx \\frac{1}{B}\\sum_{i} \\nabla_\\theta \\log\\pi_\\theta(a_i)
        \\big(r(a_i) - \\beta \\log\\tfrac{\\pi_\\theta(a_i)}{\\pi_{\\text{ref}}(a_i)} - b\\big),
        \\qquad \\pi^*(a) \\propto \\pi_{\\text{ref}}(a)\\, e^{r(a)/\\beta}

    The policy starts at ``ref_logits`` ``(K,)`` (default ``BANDIT_REF_LOGITS``); ``rewards``
    ``(K,)`` per arm (default ``BANDIT_REWARDS``); 0 < ``beta`` <= ``MAX_BETA``; ``steps``
    updates of ``batch_size`` sampled actions, Adam at ``lr`` decayed linearly to 0; ``seed``
    seeds the actions. Returns ``arms``, ``beta``, ``ref_probs``, ``optimal_probs`` (closed form),
    ``learned_probs``, ``tv`` (total variation learned-optimal), ``final`` (exact ``reward``,
    ``kl``, ``entropy`` of the learned policy) and ``history`` (those per step, plus ``tv``).

    >>> bandit(steps=300)["tv"] < 0.03  # sampled policy gradient lands on the closed-form pi*
    True
    """
    ref = torch.tensor(BANDIT_REF_LOGITS if ref_logits is None else ref_logits, dtype=torch.float32)
    r = torch.tensor(BANDIT_REWARDS if rewards is None else rewards, dtype=torch.float32)
    if ref.dim() != 1 or r.shape != ref.shape:
        raise ValueError(
            f"bandit: 'ref_logits' {tuple(ref.shape)} and 'rewards' {tuple(r.shape)} "
            "must be 1-D of the same length"
        )
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 < beta <= MAX_BETA:
        raise ValueError(
            f"bandit: 'beta' must be > 0 (pi* divides by it) and <= {MAX_BETA:g}, got {beta!r}"
        )
    if steps < 1 or batch_size < 1:
        raise ValueError(
            f"bandit: 'steps' and 'batch_size' must be >= 1, got {steps}, {batch_size}"
        )
    ref_logp = torch.log_softmax(ref, -1)  # (K,)
    optimal = kl_regularized_policy(ref, r, beta).exp()  # (K,)
    theta = ref.clone().requires_grad_(True)  # (K,) policy logits
    opt = torch.optim.Adam([theta], lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    gen = seeding.generator(seed)
    mask = torch.ones(batch_size, 1, dtype=torch.bool)  # (B, 1): one action per episode
    hist: dict[str, list] = {"step": [], "reward": [], "kl": [], "entropy": [], "tv": []}
    for step in range(steps):
        with torch.no_grad():
            a = torch.multinomial(
                torch.softmax(theta, -1), batch_size, replacement=True, generator=gen
            )  # (B,)
        logp = torch.log_softmax(theta, -1)[a][:, None]  # (B, 1)
        shaped = kl_penalized_rewards(
            r[a], logp.detach(), ref_logp[a][:, None], mask, beta
        )  # (B, 1)
        adv = shaped - shaped.mean()  # (B, 1), batch-mean baseline
        loss = ppo_clip_loss(logp, logp.detach(), adv, mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            summary = policy_summary(theta, r, ref)
            hist["step"].append(step + 1)
            for k, v in summary._asdict().items():
                hist[k].append(v)
            hist["tv"].append(float(0.5 * (torch.softmax(theta, -1) - optimal).abs().sum()))
    return {
        "arms": list(BANDIT_ARMS) if ref_logits is None else list(range(len(ref))),
        "beta": beta,
        "ref_probs": torch.softmax(ref, -1).tolist(),
        "optimal_probs": optimal.tolist(),
        "learned_probs": torch.softmax(theta.detach(), -1).tolist(),
        "tv": hist["tv"][-1],
        "final": {k: hist[k][-1] for k in ("reward", "kl", "entropy")},
        "history": hist,
    }
