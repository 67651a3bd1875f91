r"""KL divergence: exact, estimated from samples, and as the leash of RL fine-tuning.

Exact KL: Kullback and Leibler (1951); Cover and Thomas, *Elements of Information Theory*, ch. 2.
Estimators k1, k2, k3: J. Schulman, "Approximating KL Divergence" (blog post, 2020), used by TRL,
OpenRLHF, verl and GRPO (Shao et al., 2024, DeepSeekMath; k3 in its loss). Per-token reward
shaping: Ziegler et al. (2019), InstructGPT (Ouyang et al., 2022). The regularised optimum: Peters
et al. (2010), Korbak et al. (2022), the starting point of DPO (Rafailov et al., 2023).
"""

from __future__ import annotations

import torch

from . import _guards as G
from . import _validate as V
from ._vocab import vocab_stats

__all__ = ["kl_divergence", "kl_estimate", "kl_penalized_rewards", "kl_regularized_policy"]


def kl_divergence(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    r"""Exact :math:`\mathrm{KL}(p \,\|\, q)` of two softmax distributions, over the last dimension.

    .. math:: \mathrm{KL}(p \,\|\, q) = \sum_v p(v) \big(\log p(v) - \log q(v)\big), \quad
        p = \mathrm{softmax}(x_p),\ q = \mathrm{softmax}(x_q)

    ``p_logits``, ``q_logits``: one shape ``(..., V)``, -inf allowed. Returns ``(...)``, >= 0,
    fp32 (fp64 for fp64 input), differentiable in both; :math:`p(v) = 0` adds 0 (even where
    :math:`q(v) = 0`), :math:`p(v) > 0 = q(v)` gives :math:`+\infty`, never NaN (its gradient is
    not meaningful). In row chunks by :mod:`ptcourse._vocab`, which refuses ``torch.func``.

    >>> p, q = torch.tensor([0.5, 0.5]).log(), torch.tensor([0.9, 0.1]).log()  # fair, biased coin
    >>> kl_divergence(p, q)  # 0.5 log(0.5/0.9) + 0.5 log(0.5/0.1)
    tensor(0.5108)
    """
    G.logit_pair(p_logits, q_logits)
    names = ("p_logits", "targets", "q_logits")
    want = dict(want_logp=False, want_ent=False, want_kl=True, chunk_size=None, names=names)
    return vocab_stats(p_logits, None, q_logits, **want)[2]  # (...) the KL of each row


def kl_estimate(logp: torch.Tensor, logq: torch.Tensor, kind: str = "k3") -> torch.Tensor:
    r"""Single-sample estimate of :math:`\mathrm{KL}(p \,\|\, q)` from samples :math:`x \sim p`.

    .. math:: k_1 = -\log r, \quad k_2 = \tfrac12 (\log r)^2, \quad k_3 = (r - 1) - \log r,
        \qquad \log r = \log q(x) - \log p(x)

    (Schulman, 2020; in RL p is the policy, q the reference.) As values, k1 is unbiased but noisy
    and can be negative, k2 biased with low variance, k3 unbiased and :math:`\ge 0`; as losses,
    the expected gradient of k1 is 0, of k3 that of :math:`\mathrm{KL}(q \,\|\, p)`, of k2 that of
    :math:`\mathrm{KL}(p \,\|\, q)` (Tang and Munos, 2025, arXiv 2506.09477). ``logp`` (> -inf),
    ``logq`` (-inf gives +inf): one shape, no NaN or +inf. Returns that shape, fp32 (fp64 for fp64
    input); a finite estimate the dtype cannot hold (k3 of a log-ratio above about 88.7 in fp32,
    k2 above about 2.6e19) raises a ValueError naming both, as in :func:`kl_penalized_rewards`.

    >>> kl_estimate(torch.tensor([-1.0]), torch.tensor([-2.0]), kind="k3")  # e^-1 - 1 + 1
    tensor([0.3679])
    """
    G.logprob_pair(logp, logq, kind)
    out = _estimate(logp, logq, kind)
    V.refuse(  # a finite estimate the dtype cannot hold
        torch.isinf(out) & torch.isfinite(logq),
        lambda i: (
            f"kl_estimate: {kind} overflows {out.dtype} at index {i} ('logp'="
            f"{logp[i].item():.4g}, 'logq'={logq[i].item():.4g}, log-ratio "
            f"{(logq[i].double() - logp[i].double()).item():.4g}); its true value is finite: "
            "pass float64 log-probabilities (or use kind='k1')"
        ),
    )
    return out


def _estimate(logp: torch.Tensor, logq: torch.Tensor, kind: str) -> torch.Tensor:
    """k1, k2 or k3 of validated inputs."""
    cd = V.compute_dtype(logp.dtype, logq.dtype)
    log_r = logq.to(cd) - logp.to(cd)  # (...)
    if kind == "k1":
        return -log_r
    if kind == "k2":
        return 0.5 * log_r.square()
    return torch.expm1(log_r) - log_r


def kl_penalized_rewards(
    scores: torch.Tensor,
    logp: torch.Tensor,
    ref_logp: torch.Tensor,
    mask: torch.Tensor,
    beta: float,
    kind: str = "k1",
) -> torch.Tensor:
    r"""Per-token RLHF rewards: a KL penalty at every kept token, the score at the last one.

    .. math:: r_{b,t} = m_{b,t}\big(-\beta\, k(\log\pi(y_{b,t}), \log\pi_{ref}(y_{b,t}))
        + [t = t_b^{\text{last}}]\, s_b\big)

    with :math:`k` the :func:`kl_estimate` of ``kind`` (default "k1", as in InstructGPT's PPO reward
    shaping) and :math:`t_b^{\text{last}}` row b's last kept position. ``scores``: ``(B,)``, finite;
    ``logp``, ``ref_logp``: ``(B, T)``, the sampled tokens under policy and reference, where kept no
    NaN or +inf and ``logp > -inf`` (-inf padding elsewhere); ``mask``: bool or 0/1, a kept token
    per row; ``beta >= 0`` (0: the score alone), not NaN, inf, bool, string or unrepresentable (1e39
    in fp32). Returns ``(B, T)`` fp32, 0 where masked, a fixed signal (``ref_logp`` gets no
    gradient, ``logp`` is usually detached). A kept ``ref_logp = -inf`` gives :math:`-\infty`
    (``beta > 0``); any other non-finite penalty (k3 of a log-ratio above 88 in fp32) or score plus
    penalty (-3e38 and -1e38) raises a ValueError naming ``beta``.

    >>> logp, ref = torch.tensor([[-1.0, -1.0, -1.0]]), torch.tensor([[-1.0, -2.0, -1.0]])
    >>> mask = torch.tensor([[1, 1, 0]])  # the last position is padding: the score goes to t=1
    >>> kl_penalized_rewards(torch.tensor([5.0]), logp, ref, mask, beta=0.1)
    tensor([[0.0000, 4.9000, 0.0000]])
    """
    keep, b, cd = G.reward_shaping(scores, logp, ref_logp, mask, beta, kind)  # keep: (B, T)
    if b == 0:
        rewards = torch.zeros(logp.shape, dtype=cd, device=logp.device)  # no leash at all
    else:
        zero = torch.zeros((), dtype=logp.dtype, device=logp.device)
        lp = torch.where(keep, logp, zero)  # (B, T)
        ref = torch.where(keep, ref_logp.detach(), zero.to(ref_logp.dtype))  # frozen reference
        k = _estimate(lp, ref, kind)  # (B, T)
        rewards = torch.where(keep, -b * k, torch.zeros((), dtype=k.dtype, device=k.device))
        V.refuse(
            keep & ~torch.isfinite(rewards) & torch.isfinite(ref_logp),  # (B, T)
            lambda i: (
                f"the KL penalty -beta * {kind} overflows {cd} at kept index {i} ('beta'="
                f"{b:g}, 'logp'={logp[i].item():.4g}, 'ref_logp'={ref_logp[i].item():.4g}); use a "
                "smaller beta, kind='k1' or float64 inputs"
            ),
        )
    pos = torch.arange(logp.shape[1], device=logp.device)  # (T,)
    last = torch.where(keep, pos, -1).amax(-1)  # (B,) last kept position
    at_last = pos[None, :] == last[:, None]  # (B, T)
    out = rewards + torch.where(at_last, scores.to(cd)[:, None], torch.zeros((), dtype=cd))
    V.refuse(
        keep & ~torch.isfinite(out) & torch.isfinite(ref_logp),  # (B, T)
        lambda i: (
            f"the score plus the KL penalty overflows {cd} at kept index {i} ('scores'="
            f"{scores[i[0]].item():.4g}, penalty {rewards[i].item():.4g}, 'beta'={b:g}): scale "
            "the scores down, use a smaller beta or float64 inputs"
        ),
    )
    return out


def kl_regularized_policy(
    ref_logits: torch.Tensor, rewards: torch.Tensor, beta: float
) -> torch.Tensor:
    r"""Log-probabilities of the optimal KL-regularised policy :math:`\pi^*`.

    The maximiser of :math:`E_{\pi}[r] - \beta\,\mathrm{KL}(\pi \,\|\, \pi_{ref})`:

    .. math:: \pi^*(v) = \frac{\pi_{ref}(v)\, e^{r(v)/\beta}}{\sum_u \pi_{ref}(u)\, e^{r(u)/\beta}},
        \qquad \log \pi^* = \mathrm{log\_softmax}(x_{ref} + r / \beta)

    A small :math:`\beta` chases the reward, a large one stays near the reference; a token with
    :math:`\pi_{ref}(v) > 0` and a finite reward keeps a positive probability (which may
    underflow for a tiny :math:`\beta`). ``ref_logits``: ``(..., V)``, frozen (no gradient), -inf
    allowed (those tokens stay impossible); ``rewards``: broadcastable to it, -inf allowed, not
    +inf or NaN, differentiable; ``beta > 0``, representable in the compute dtype. Returns
    ``(..., V)``, fp32 (fp64 for fp64 input).

    >>> ref, r = torch.tensor([0.5, 0.5]).log(), torch.tensor([1.0, 0.0])  # token 0 rewarded
    >>> kl_regularized_policy(ref, r, beta=1.0).exp()  # e/(1+e), 1/(1+e)
    tensor([0.7311, 0.2689])
    """
    b, cd = G.regularized_policy(ref_logits, rewards, beta)
    ref = ref_logits.detach().to(cd)  # (..., V); the reference is frozen
    r = rewards.to(cd).expand(ref.shape)  # (..., V)
    allowed = ~torch.isneginf(ref)  # (..., V) tokens the reference can produce
    neg_inf = torch.full((), float("-inf"), dtype=cd, device=ref.device)
    top = torch.where(allowed, r, neg_inf).amax(-1, keepdim=True).detach()  # (..., 1)
    # log_softmax ignores a per-row constant: less the best allowed reward, r / beta <= 0 there,
    # so a small beta can only underflow a token to 0 (its limit), never overflow to inf - inf.
    r = r - torch.where(torch.isneginf(top), torch.zeros((), dtype=cd, device=ref.device), top)
    z = torch.where(allowed, ref + r / b, neg_inf)  # (..., V)
    out = torch.log_softmax(z, dim=-1)  # (..., V)
    if bool(torch.isnan(out).any()):
        raise ValueError(
            "every token of some row has zero probability under ref_logits + rewards/beta "
            f"('rewards' {tuple(rewards.shape)}, 'ref_logits' {tuple(ref_logits.shape)})"
        )
    return out
