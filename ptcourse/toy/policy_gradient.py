"""Reinforcement learning on the toy world: ``rl``, policy gradient on the flawed ``reward``.

A step: ``rollout_batch``, ``score``, ``advantages`` (of the policy that sampled), then
``ppo.update``; the knobs are one ``RLConfig``. By default REINFORCE with a per-position baseline
on the KL-shaped per-token rewards of ``ptcourse.kl_penalized_rewards`` (Williams, 1992; Ziegler
et al., 2019; Ouyang et al., 2022); ``advantage="grpo"``: ``ptcourse.grpo_advantages`` and a k3
KL loss term (Shao et al., 2024, *DeepSeekMath*) averaged over the batch's tokens as in DAPO (Yu
et al., 2025); ``"rloo"``: ``ptcourse.rloo_advantages`` (Ahmadian et al., 2024). All go through
``ptcourse.ppo_clip_loss`` (Schulman et al., 2017) with an optional entropy bonus; chapter 7's
hooks (``RLConfig``) add the adaptive KL controller (Ziegler et al., 2019), PPO's minibatches,
DAPO's clip-higher, Clip-Cov (Cui et al., 2025) and diagnostics.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import NamedTuple

import torch

from ..kl import kl_estimate, kl_penalized_rewards
from ..objectives import grpo_advantages, rloo_advantages
from ..stats import TokenStats, token_stats
from . import seeding
from .data import nouns_for, response_mask, torch_threads
from .evaluation import batch_metrics
from .kl_control import AdaptiveKLController
from .model import TinyLM
from .ppo import scores_of, update
from .proxy_reward import reward
from .rl_config import DEFAULT_BETA, MAX_BETA, MAX_ENTROPY_COEF, RL_STEPS, RLConfig
from .sampling import rollout
from .supervised import new_history

__all__ = [
    "DEFAULT_BETA",
    "MAX_BETA",
    "MAX_ENTROPY_COEF",
    "RL_STEPS",
    "Batch",
    "RLConfig",
    "advantages",
    "reinforce_advantages",
    "rl",
    "rollout_batch",
    "score",
]


def reinforce_advantages(rewards: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """REINFORCE advantages: each token's reward-to-go minus its batch mean at that position.

    .. math::

        G_t = \\sum_{t' \\ge t} r_{t'}, \\qquad
        A_t = G_t - \\frac{\\sum_i m^{(i)}_t G^{(i)}_t}{\\max(1, \\sum_i m^{(i)}_t)}

    ``rewards`` ``(B, T)`` per token (e.g. ``ptcourse.kl_penalized_rewards``), ``mask`` the
    boolean answer mask ``(B, T)``: advantages ``(B, T)``, 0 outside it (rewards there still count
    in the reward-to-go; ``kl_penalized_rewards`` makes them 0). ``ValueError`` unless both are
    ``(B, T)``.

    >>> r = torch.tensor([[0.0, 1.0], [0.0, 3.0]])  # (B, T): a score at the last token
    >>> reinforce_advantages(r, torch.ones(2, 2, dtype=torch.bool))  # reward-to-go minus its mean
    tensor([[-1., -1.],
            [ 1.,  1.]])
    """
    if rewards.shape != mask.shape or rewards.dim() != 2:
        raise ValueError(
            f"reinforce_advantages: 'rewards' {tuple(rewards.shape)} and 'mask' "
            f"{tuple(mask.shape)} must both be (B, T)"
        )
    maskf = mask.to(rewards.dtype)
    returns = rewards.flip(1).cumsum(1).flip(1) * maskf  # (B, T) reward-to-go
    baseline = returns.sum(0) / maskf.sum(0).clamp_min(1)  # (T,) mean over the batch
    return (returns - baseline) * maskf


def rl(
    policy: TinyLM,
    ref: TinyLM | None = None,
    config: RLConfig | None = None,
    *,
    callback=None,
    **knobs,
) -> tuple[TinyLM, dict]:
    """Optimise the flawed ``reward`` by policy gradient, leashed to ``ref`` by a KL penalty.

    .. math::

        \\max_\\theta\\; \\mathbb{E}_{y \\sim \\pi_\\theta(\\cdot\\mid x)}\\big[r(y)\\big]
        - \\beta\\,\\mathrm{KL}\\big(\\pi_\\theta \\,\\|\\, \\pi_{\\text{ref}}\\big)
        + c\\,\\mathcal{H}(\\pi_\\theta)

    Each step: ``rollout_batch``, ``score``, ``advantages``, ``ppo_epochs * minibatches`` calls of
    ``ppo.update``; ``policy`` is trained in place, ``ref`` defaults to a copy of it. Knobs: an
    ``RLConfig`` and/or its fields as keywords (overriding ``config``'s). A history row per step
    (passed to ``callback``), measured on the policy that sampled; ``loss`` is its last update's.

    >>> pol, hist = rl(TinyLM(seed=0), steps=2, batch_size=8)
    >>> sorted(hist)[:4], len(hist["reward"])
    (['demo_loglik', 'distinct_2', 'entropy', 'grammatical'], 2)
    """
    cfg = dataclasses.replace(config, **knobs) if config is not None else RLConfig(**knobs)
    if not any(p.requires_grad for p in policy.parameters()):
        raise ValueError(
            "rl: 'policy' has no trainable parameters (requires_grad is off); "
            "pass a fresh model, e.g. toy.sft_model(), or call policy.requires_grad_(True)"
        )
    ref = ref if ref is not None else copy.deepcopy(policy)  # only ever run under no_grad
    gen = seeding.generator(cfg.seed)
    opt = torch.optim.Adam(policy.parameters(), lr=cfg.lr, betas=(0.9, 0.98))
    ctrl = AdaptiveKLController(cfg.beta, cfg.kl_target, cfg.kl_horizon) if cfg.kl_target else None
    history = _new_history(cfg)
    with torch_threads():
        for step in range(1, cfg.steps + 1):
            beta = cfg.beta if ctrl is None else ctrl.value
            batch = rollout_batch(policy, ref, cfg, gen)
            scores = score(batch, cfg)
            # (history row, old log-probs, advantages) of the policy that sampled the batch
            measured = _measure(policy, batch, scores, cfg, beta) if cfg.minibatches > 1 else None
            for epoch in range(cfg.ppo_epochs):
                for rows in _minibatches(cfg, gen):
                    st = _stats(policy, batch, rows)
                    measured = measured or advantages(st, batch, scores, policy, cfg, beta)
                    row, old_logp, adv = measured
                    m = batch.mask[rows]
                    loss, diag = update(opt, st, old_logp[rows], adv[rows], m, cfg, beta, gen)
                    _log_update(history, diag, step, epoch)
            _log_step(history, step, row, loss, beta, cfg)
            if ctrl is not None:
                ctrl.update(row["kl"], cfg.batch_size)
            if callback is not None:
                callback({k: v[-1] for k, v in history.items() if isinstance(v, list) and v})
    return policy, history


class Batch(NamedTuple):
    """One step's rollouts: token ids ``(B, T)``, answers, prompt nouns, answer mask ``(B, T-1)``
    and the reference's logits ``(B, T-1, V)``."""

    ids: torch.Tensor
    texts: list[str]
    nouns: list[str]
    mask: torch.Tensor
    ref_logits: torch.Tensor


def rollout_batch(policy: TinyLM, ref: TinyLM, cfg: RLConfig, gen: torch.Generator) -> Batch:
    """Sample ``cfg.batch_size`` answers (``group_size`` per prompt when grouped).

    >>> b = rollout_batch(TinyLM(seed=0), TinyLM(seed=1), RLConfig(batch_size=4), torch.Generator())
    >>> b.ids.shape[0], b.mask.shape == b.ref_logits.shape[:2]
    (4, True)
    """
    per_prompt = cfg.group_size if cfg.grouped else 1
    nouns = [n for n in nouns_for(cfg.batch_size // per_prompt, gen) for _ in range(per_prompt)]
    ids, texts = rollout(policy, nouns, temperature=cfg.temperature, generator=gen)  # (B, T)
    with torch.no_grad():
        ref_logits = ref(ids)[:, :-1]  # (B, T-1, V)
    return Batch(ids, texts, nouns, response_mask(ids), ref_logits)


def score(batch: Batch, cfg: RLConfig) -> torch.Tensor:
    """The scores ``(B,)`` of the answers: ``cfg.reward_fn(texts, nouns)``, or the flawed ``reward``.

    >>> score(Batch(None, ["great great"], ["cat"], None, None), RLConfig())  # 1 per "great"
    tensor([2.])
    """
    if cfg.reward_fn is None:
        return reward(batch.texts)
    return scores_of(cfg.reward_fn, batch.texts, batch.nouns)


def advantages(
    st: TokenStats,
    batch: Batch,
    scores: torch.Tensor,
    policy: TinyLM,
    cfg: RLConfig,
    beta: float,
) -> tuple[dict, torch.Tensor, torch.Tensor]:
    """The history row, old log-probs and advantages ``(B, T-1)`` of a freshly sampled batch.

    .. math::

        A_t = \\text{reinforce}\\big(r(y)\\,\\mathbb 1[t=\\text{last}] - \\beta\\,\\hat k(y_t)\\big)
        \\quad\\text{or}\\quad
        A = \\text{grpo / rloo}\\Big(r(y) - \\beta \\textstyle\\sum_t \\hat k(y_t)\\Big)

    with :math:`\\beta` taken as 0 when the KL goes in the loss.

    >>> m, cfg = TinyLM(seed=0), RLConfig(batch_size=4)
    >>> b = rollout_batch(m, m, cfg, torch.Generator())
    >>> st = token_stats(m(b.ids)[:, :-1], b.ids[:, 1:], b.ref_logits)
    >>> row, old_logp, adv = advantages(st, b, score(b, cfg), m, cfg, 0.5)
    >>> adv.shape == b.mask.shape, row["kl"]  # the policy is its own reference: KL 0
    (True, 0.0)
    """
    mask = batch.mask
    maskf = mask.float()
    row = batch_metrics(st, mask, scores, batch.texts, policy)
    old_logp = st.logp.detach()
    b = beta if cfg.kl_where == "reward" else 0.0
    if cfg.advantage == "reinforce":
        shaped = kl_penalized_rewards(
            scores, old_logp, st.ref_logp.detach(), mask, b, kind=cfg.kl_kind
        )  # (B, T-1)
        return row, old_logp, reinforce_advantages(shaped, mask)
    seq = scores
    if b > 0:  # the sequence-level KL in the reward (summed estimator), as TRL's RLOOTrainer
        k = kl_estimate(old_logp, st.ref_logp.detach(), kind=cfg.kl_kind)  # (B, T-1)
        seq = scores - b * (k * maskf).sum(1)
    by_group = grpo_advantages if cfg.advantage == "grpo" else rloo_advantages
    seq_adv = by_group(seq.view(-1, cfg.group_size)).reshape(-1)  # (B,)
    return row, old_logp, seq_adv[:, None] * maskf


def _stats(policy: TinyLM, batch: Batch, rows) -> TokenStats:
    """The policy's token statistics ``(b, T-1)`` of the batch's ``rows``, against the reference."""
    ids = batch.ids[rows]
    return token_stats(policy(ids)[:, :-1], ids[:, 1:], batch.ref_logits[rows])


def _measure(policy, batch, scores, cfg, beta):
    """``advantages`` of the whole batch, measured before the first minibatch update."""
    with torch.no_grad():
        st = _stats(policy, batch, slice(None))
    return advantages(st, batch, scores, policy, cfg, beta)


def _minibatches(cfg: RLConfig, gen: torch.Generator):
    """The rows of each update of one pass: the whole batch, or a random split of it."""
    if cfg.minibatches == 1:
        return [slice(None)]
    return torch.randperm(cfg.batch_size, generator=gen).chunk(cfg.minibatches)


def _new_history(cfg: RLConfig) -> dict:
    history = new_history()
    if cfg.diagnostics:
        keys = ("step", "epoch", "clip_frac", "clip_high_frac", "approx_kl", "cov_cut")
        history |= {"beta": [], "clip_frac": [], "approx_kl": [], "updates": {k: [] for k in keys}}
    return history


def _log_update(history: dict, diag: dict, step: int, epoch: int) -> None:
    if diag:
        for k, v in {"step": step, "epoch": epoch, **diag}.items():
            history["updates"][k].append(v)


def _log_step(history: dict, step: int, row: dict, loss, beta: float, cfg: RLConfig) -> None:
    history["step"].append(step)
    history["loss"].append(float(loss.detach()))
    for k, v in row.items():
        history[k].append(v)
    if cfg.diagnostics:
        history["beta"].append(beta)
        history["clip_frac"].append(history["updates"]["clip_frac"][-1])
        history["approx_kl"].append(history["updates"]["approx_kl"][-1])
