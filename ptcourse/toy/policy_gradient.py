"""Reinforcement learning on the toy world: ``rl``, policy gradient on the flawed ``reward``.

By default REINFORCE with a per-position baseline on the KL-shaped per-token rewards of
``ptcourse.kl_penalized_rewards`` (Williams, 1992; Ziegler et al., 2019; Ouyang et al., 2022;
``reinforce_advantages``); with ``advantage="grpo"`` group-normalised sequence advantages
(``ptcourse.grpo_advantages``) and the KL as a k3 loss term (Shao et al., 2024, *DeepSeekMath*),
averaged over all tokens of the batch as in DAPO (Yu et al., 2025) rather than per answer first.
Both go through ``ptcourse.ppo_clip_loss`` (Schulman et al., 2017), with an optional entropy bonus.

The hooks of chapter 6 ("In practice") leave those defaults as they are: ``advantage="rloo"``
(leave-one-out baseline, ``ptcourse.rloo_advantages``; Ahmadian et al., 2024), ``reward_fn`` (any
scorer of the answers, e.g. a learned reward model), ``kl_in`` (the KL in the reward or in the
loss, whatever the advantage), ``kl_target`` (the adaptive KL controller of Ziegler et al., 2019),
``minibatches`` and ``clip_eps_high`` (PPO's reuse of a batch, DAPO's clip-higher), ``clip_cov``
(Clip-Cov of Cui et al., 2025) and ``diagnostics`` (clip fraction and approximate KL to
:math:`\\pi_{old}` per update).
"""

from __future__ import annotations

import copy
import math

import torch

from ..kl import kl_estimate, kl_penalized_rewards
from ..objectives import grpo_advantages, ppo_clip_loss, rloo_advantages
from ..stats import token_stats
from . import seeding
from .data import nouns_for, response_mask, torch_threads
from .evaluation import batch_metrics
from .kl_control import AdaptiveKLController
from .model import TinyLM
from .ppo import check_practice_args, cov_selected, scores_of
from .proxy_reward import reward
from .sampling import rollout
from .supervised import check_loop_args, new_history

__all__ = ["DEFAULT_BETA", "MAX_BETA", "MAX_ENTROPY_COEF", "RL_STEPS", "rl", "reinforce_advantages"]

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


def reinforce_advantages(rewards: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """REINFORCE advantages: each token's reward-to-go minus its batch mean at that position.

    .. math::

        G_t = \\sum_{t' \\ge t} r_{t'}, \\qquad
        A_t = G_t - \\frac{\\sum_i m^{(i)}_t G^{(i)}_t}{\\max(1, \\sum_i m^{(i)}_t)}

    Parameters
    ----------
    rewards : torch.Tensor
        Per-token rewards ``(B, T)`` (e.g. from ``ptcourse.kl_penalized_rewards``).
    mask : torch.Tensor
        Boolean answer mask ``(B, T)``; advantages are 0 outside it (rewards there still count in
        the reward-to-go: ``kl_penalized_rewards`` already makes them 0).

    Returns
    -------
    torch.Tensor
        Advantages ``(B, T)``, the baseline of a position averaging the rows where it is kept.

    Examples
    --------
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


def _check_rl_args(
    policy, beta, entropy_coef, advantage, group_size, batch_size, ppo_epochs, temperature, kl_kind
):  # the arguments of chapters 3-5; _check_practice_args checks chapter 6's hooks
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or math.isnan(beta):
        raise ValueError(f"rl: 'beta' must be a number, got {beta!r}")
    if not 0 <= beta <= MAX_BETA:
        raise ValueError(f"rl: 'beta' must be >= 0 and <= {MAX_BETA:g}, got {beta!r}")
    if isinstance(entropy_coef, bool) or not isinstance(entropy_coef, (int, float)):
        raise ValueError(f"rl: 'entropy_coef' must be a number, got {entropy_coef!r}")
    if not 0 <= entropy_coef <= MAX_ENTROPY_COEF:  # NaN fails too
        raise ValueError(
            f"rl: 'entropy_coef' must be >= 0 and <= {MAX_ENTROPY_COEF:g}, got {entropy_coef!r}"
        )
    if advantage not in ("reinforce", "grpo", "rloo"):
        raise ValueError(
            f"rl: 'advantage' must be 'reinforce', 'grpo' or 'rloo', got {advantage!r}"
        )
    if advantage in ("grpo", "rloo") and (group_size < 2 or batch_size % group_size):
        raise ValueError(
            f"rl: 'group_size'={group_size} must be >= 2 and divide batch_size={batch_size}"
        )
    if not (isinstance(ppo_epochs, int) and ppo_epochs >= 1):
        raise ValueError(f"rl: 'ppo_epochs' must be an int >= 1, got {ppo_epochs!r}")
    if not temperature > 0:
        raise ValueError(f"rl: 'temperature' must be > 0, got {temperature!r}")
    if kl_kind not in ("k1", "k2", "k3"):
        raise ValueError(f"rl: 'kl_kind' must be 'k1', 'k2' or 'k3', got {kl_kind!r}")
    if not any(p.requires_grad for p in policy.parameters()):
        raise ValueError(
            "rl: 'policy' has no trainable parameters (requires_grad is off); "
            "pass a fresh model, e.g. toy.sft_model(), or call policy.requires_grad_(True)"
        )


def rl(
    policy: TinyLM,
    ref: TinyLM | None = None,
    *,
    beta: float = DEFAULT_BETA,
    entropy_coef: float = 0.0,
    steps: int = RL_STEPS,
    batch_size: int = 64,
    lr: float = 5e-4,
    advantage: str = "reinforce",
    group_size: int = 8,
    kl_kind: str = "k1",
    clip_eps: float = 0.2,
    ppo_epochs: int = 1,
    temperature: float = 1.0,
    seed: int = 0,
    reward_fn=None,
    kl_in: str | None = None,
    kl_target: float | None = None,
    kl_horizon: float = 10000,
    minibatches: int = 1,
    clip_eps_high: float | None = None,
    clip_cov: tuple[float, float, float] | None = None,
    diagnostics: bool = False,
    callback=None,
) -> tuple[TinyLM, dict]:
    """Optimise the flawed ``reward`` by policy gradient, leashed to ``ref`` by a KL penalty.

    .. math::

        \\max_\\theta\\; \\mathbb{E}_{y \\sim \\pi_\\theta(\\cdot\\mid x)}\\big[r(y)\\big]
        - \\beta\\,\\mathrm{KL}\\big(\\pi_\\theta \\,\\|\\, \\pi_{\\text{ref}}\\big)
        + c\\,\\mathcal{H}(\\pi_\\theta)

    ``advantage="reinforce"``: per-token rewards
    :math:`r_t = -\\beta\\,\\hat k(y_t) + r(y)\\,\\mathbb 1[t = \\text{last}]`
    (``kl_penalized_rewards``), advantages ``reinforce_advantages`` of them.
    ``advantage="grpo"``: ``batch_size / group_size`` prompts with ``group_size`` answers each,
    advantages ``grpo_advantages`` of the scores, plus :math:`\\beta\\,\\hat k_3` in the loss.
    ``advantage="rloo"``: the same groups, advantages ``rloo_advantages`` of the scores minus
    :math:`\\beta \\sum_t \\hat k(y_t)` (the sequence-level KL in the reward of TRL's
    ``RLOOTrainer``). ``kl_in`` moves the KL: ``"reward"`` (inside the scores, before the
    advantages) or ``"loss"`` (:math:`\\beta\\,\\hat k_3` as a loss term); default: ``"loss"``
    for GRPO, ``"reward"`` otherwise.
    Either way the loss is ``ppo_clip_loss`` (``ppo_epochs`` passes over each batch) minus
    ``entropy_coef`` times the mean token entropy.

    Parameters
    ----------
    policy : TinyLM
        Trained in place (copy it first to keep the original).
    ref : TinyLM, optional
        Frozen reference (default: a copy of ``policy`` at the start).
    beta : float
        KL coefficient, 0 <= beta <= ``MAX_BETA`` (0 = no leash).
    entropy_coef : float
        Weight of the entropy bonus, 0 <= entropy_coef <= ``MAX_ENTROPY_COEF``.
    steps, batch_size, lr : int, int, float
        Policy updates, answers per update, Adam learning rate.
    advantage : {"reinforce", "grpo"}
    group_size : int
        Answers per prompt for GRPO (must divide ``batch_size``).
    kl_kind : {"k1", "k2", "k3"}
        Estimator inside ``kl_penalized_rewards`` (REINFORCE).
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
        Where the KL goes (see above).
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
        Also log, per step, ``beta`` and the last update's ``clip_frac`` (kept tokens whose clip
        binds) and ``approx_kl`` (masked mean of :math:`\\log\\pi_{old} - \\log\\pi`, verl's
        ``ppo_kl``), and ``history["updates"]``: those per update (plus ``step``, ``epoch``,
        ``clip_high_frac``, ``cov_cut``).
    callback : callable, optional
        Called after every step with that step's history row (a dict of numbers); it only reads.

    Returns
    -------
    (TinyLM, dict)
        The policy and its history, one row per step. Every value of a row (``reward``, ``kl``,
        ``entropy``, ``distinct_2``, ``grammatical``, ``hack_rate`` and ``demo_loglik``) is
        measured on the policy that sampled that step's rollouts, before the step's update;
        ``loss`` is the loss of the step's last pass.

    Examples
    --------
    >>> pol, hist = rl(TinyLM(seed=0), steps=2, batch_size=8)
    >>> sorted(hist)[:4], len(hist["reward"])
    (['demo_loglik', 'distinct_2', 'entropy', 'grammatical'], 2)
    """
    check_loop_args(steps, batch_size, lr)
    _check_rl_args(
        policy,
        beta,
        entropy_coef,
        advantage,
        group_size,
        batch_size,
        ppo_epochs,
        temperature,
        kl_kind,
    )
    check_practice_args(
        reward_fn, kl_in, kl_target, kl_horizon, minibatches, batch_size, clip_eps_high, clip_cov
    )
    kl_in = kl_in or ("loss" if advantage == "grpo" else "reward")
    grouped = advantage in ("grpo", "rloo")
    hi = clip_eps if clip_eps_high is None else clip_eps_high
    ctrl = AdaptiveKLController(beta, kl_target, kl_horizon) if kl_target is not None else None
    ref = ref if ref is not None else copy.deepcopy(policy)  # only ever run under no_grad
    gen = seeding.generator(seed)
    opt = torch.optim.Adam(policy.parameters(), lr=lr, betas=(0.9, 0.98))
    history = new_history()
    if diagnostics:
        for k in ("beta", "clip_frac", "approx_kl"):
            history[k] = []
        history["updates"] = {
            k: [] for k in ("step", "epoch", "clip_frac", "clip_high_frac", "approx_kl", "cov_cut")
        }
    with torch_threads():
        for step in range(steps):
            b = ctrl.value if ctrl is not None else beta
            if grouped:
                groups = nouns_for(batch_size // group_size, gen)
                nouns = [n for n in groups for _ in range(group_size)]
            else:
                nouns = nouns_for(batch_size, gen)
            ids, texts = rollout(policy, nouns, temperature=temperature, generator=gen)  # (B, T)
            scores = reward(texts) if reward_fn is None else scores_of(reward_fn, texts, nouns)
            mask = response_mask(ids)  # (B, T-1)
            with torch.no_grad():
                ref_logits = ref(ids)[:, :-1]  # (B, T-1, V)
            if minibatches > 1:  # measure the sampling policy on the whole batch first
                with torch.no_grad():
                    st0 = token_stats(policy(ids)[:, :-1], ids[:, 1:], ref_logits)
                row, old_logp, adv = _advantages(
                    st0, mask, scores, texts, policy, advantage, kl_in, b, kl_kind, group_size
                )
            for epoch in range(ppo_epochs):
                if minibatches == 1:
                    chunks = [None]
                else:
                    chunks = torch.randperm(batch_size, generator=gen).chunk(minibatches)
                for rows in chunks:
                    if rows is None:
                        st = token_stats(policy(ids)[:, :-1], ids[:, 1:], ref_logits)  # (B, T-1)
                        if epoch == 0:  # the policy that sampled the rollouts, before any update
                            row, old_logp, adv = _advantages(
                                st, mask, scores, texts, policy, advantage, kl_in, b, kl_kind,
                                group_size,
                            )  # fmt: skip
                        m, olp, a = mask, old_logp, adv
                    else:
                        st = token_stats(policy(ids[rows])[:, :-1], ids[rows, 1:], ref_logits[rows])
                        m, olp, a = mask[rows], old_logp[rows], adv[rows]
                    mf = m.float()
                    ratio = torch.exp(st.logp.detach() - olp)
                    pos = a.expand_as(ratio) >= 0
                    high = pos & (ratio > 1 + hi) & m
                    clipped = high | (~pos & (ratio < 1 - clip_eps) & m)
                    keep = m
                    if clip_cov is not None:
                        cut = cov_selected(st.logp, a, m, clipped, clip_cov, gen)
                        keep = m & ~cut
                    loss = ppo_clip_loss(
                        st.logp, olp, a, keep, clip_eps=clip_eps, clip_eps_high=clip_eps_high
                    )
                    if clip_cov is not None:  # cut tokens still count in the token mean (verl)
                        loss = loss * keep.sum() / m.sum()
                    if kl_in == "loss" and b > 0:
                        k3 = kl_estimate(st.logp, st.ref_logp, kind="k3")  # (B, T-1)
                        loss = loss + b * (k3 * mf).sum() / mf.sum()
                    if entropy_coef > 0:
                        loss = loss - entropy_coef * (st.entropy * mf).sum() / mf.sum()
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    if diagnostics:
                        u = history["updates"]
                        u["step"].append(step + 1)
                        u["epoch"].append(epoch)
                        u["clip_frac"].append(float(clipped.sum() / m.sum()))
                        u["clip_high_frac"].append(float(high.sum() / m.sum()))
                        u["approx_kl"].append(
                            float(((olp - st.logp.detach()) * mf).sum() / mf.sum())
                        )
                        u["cov_cut"].append(int((m & ~keep).sum()))
            history["step"].append(step + 1)
            history["loss"].append(float(loss.detach()))
            for k, v in row.items():
                history[k].append(v)
            if diagnostics:
                history["beta"].append(b)
                history["clip_frac"].append(history["updates"]["clip_frac"][-1])
                history["approx_kl"].append(history["updates"]["approx_kl"][-1])
            if ctrl is not None:
                ctrl.update(row["kl"], batch_size)
            if callback is not None:
                callback({k: v[-1] for k, v in history.items() if isinstance(v, list) and v})
    return policy, history


def _advantages(st, mask, scores, texts, policy, advantage, kl_in, beta, kl_kind, group_size):
    """The history row, old log-probs and advantages ``(B, T-1)`` of a freshly sampled batch."""
    maskf = mask.float()
    row = batch_metrics(st, mask, scores, texts, policy)
    old_logp = st.logp.detach()
    b = beta if kl_in == "reward" else 0.0
    if advantage == "reinforce":
        shaped = kl_penalized_rewards(
            scores, old_logp, st.ref_logp.detach(), mask, b, kind=kl_kind
        )  # (B, T-1)
        return row, old_logp, reinforce_advantages(shaped, mask)
    seq = scores
    if b > 0:  # the sequence-level KL in the reward (summed estimator), as TRL's RLOOTrainer
        k = kl_estimate(old_logp, st.ref_logp.detach(), kind=kl_kind)  # (B, T-1)
        seq = scores - b * (k * maskf).sum(1)
    if advantage == "grpo":
        seq_adv = grpo_advantages(seq.view(-1, group_size)).reshape(-1)  # (B,)
    else:
        seq_adv = rloo_advantages(seq.view(-1, group_size)).reshape(-1)  # (B,)
    return row, old_logp, seq_adv[:, None] * maskf
