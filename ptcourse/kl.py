r"""KL divergence: exact, estimated from samples, and as the leash of RL fine-tuning.

* :func:`kl_divergence`: exact :math:`\mathrm{KL}(p \,\|\, q)` of two softmax distributions, in row
  chunks (Kullback and Leibler, 1951; Cover and Thomas, *Elements of Information Theory*, ch. 2).
* :func:`kl_estimate`: the single-sample estimators k1, k2, k3 of J. Schulman, "Approximating KL
  Divergence" (blog post, 2020), used by TRL, OpenRLHF and verl, and by GRPO (Shao et al., 2024,
  DeepSeekMath), which puts k3 in its loss.
* :func:`kl_penalized_rewards`: the per-token reward shaping of InstructGPT (Ouyang et al., 2022)
  and Ziegler et al. (2019), :math:`r_t = -\beta\,\widehat{\mathrm{KL}}_t` plus the score at the
  last token.
* :func:`kl_regularized_policy`: the closed-form maximiser :math:`\pi^* \propto \pi_{ref}\,
  e^{r/\beta}` of :math:`E_\pi[r] - \beta\,\mathrm{KL}(\pi\|\pi_{ref})` (Peters et al., 2010;
  Korbak et al., 2022; the starting point of DPO, Rafailov et al., 2023).
"""

from __future__ import annotations

import torch

from . import _guards as G
from . import _validate as V
from ._vocab import vocab_stats

__all__ = ["kl_divergence", "kl_estimate", "kl_penalized_rewards", "kl_regularized_policy"]


def kl_divergence(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    r"""Exact KL divergence :math:`\mathrm{KL}(p \,\|\, q)` between softmax distributions.

    .. math::

        \mathrm{KL}(p \,\|\, q) = \sum_{v} p(v) \, \big(\log p(v) - \log q(v)\big),
        \qquad p = \mathrm{softmax}(x_p),\; q = \mathrm{softmax}(x_q)

    ``p_logits`` and ``q_logits`` have the same shape ``(..., V)`` and may hold -inf (zero
    probability). Returns ``(...)``, non-negative, fp32 (fp64 for fp64 input), differentiable in
    both. A term with :math:`p(v) = 0` is 0, even where :math:`q(v) = 0`; :math:`p(v) > 0 = q(v)`
    gives :math:`+\infty`, never NaN (its gradient is not meaningful). The chunked engine
    (:mod:`ptcourse._vocab`) refuses ``torch.func`` (``vmap``, ``grad``) with an error naming the
    function: use ordinary autograd.

    >>> p = torch.log(torch.tensor([0.5, 0.5]))  # a fair coin
    >>> q = torch.log(torch.tensor([0.9, 0.1]))  # a biased coin
    >>> kl_divergence(p, q)  # 0.5 log(0.5/0.9) + 0.5 log(0.5/0.1)
    tensor(0.5108)
    """
    G.logit_pair(p_logits, q_logits)
    names = ("p_logits", "targets", "q_logits")
    want = dict(want_logp=False, want_ent=False, want_kl=True, chunk_size=None, names=names)
    return vocab_stats(p_logits, None, q_logits, **want)[2]  # (...) the KL of each row


def kl_estimate(logp: torch.Tensor, logq: torch.Tensor, kind: str = "k3") -> torch.Tensor:
    r"""Single-sample estimate of :math:`\mathrm{KL}(p \,\|\, q)` from samples :math:`x \sim p`.

    With :math:`\log r = \log q(x) - \log p(x)` (Schulman, 2020):

    .. math::

        k_1 = -\log r, \qquad k_2 = \tfrac12 (\log r)^2, \qquad k_3 = (r - 1) - \log r

    k1 is unbiased but noisy and can be negative; k2 is biased, low-variance; k3 is unbiased and
    :math:`\ge 0`. (Unbiased as a *value* under samples from p. As a loss, the expected gradient
    of k1 is 0, that of k3 is the gradient of :math:`\mathrm{KL}(q \,\|\, p)` and k2's that of
    :math:`\mathrm{KL}(p \,\|\, q)`: Tang and Munos, 2025, arXiv 2506.09477.) In RL, p is the
    policy and q the reference.

    ``logp``: :math:`\log p(x)` of samples from p, any shape, > -inf. ``logq``: :math:`\log q(x)`,
    the same shape; -inf gives +inf. Neither may hold NaN or +inf. ``kind``: "k1", "k2" or
    "k3". Returns the per-sample estimates, same shape, fp32 (fp64 for fp64 input); a finite
    estimate that the compute dtype cannot hold (k3 of a log-ratio above about 88.7 in fp32, k2
    of one above about 2.6e19) raises a ValueError naming ``logp`` and ``logq``, as in
    :func:`kl_penalized_rewards`.

    >>> logp, logq = torch.tensor([-1.0]), torch.tensor([-2.0])  # log r = -1
    >>> kl_estimate(logp, logq, kind="k3")  # (e^-1 - 1) + 1 = e^-1
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

    .. math::

        r_{b,t} = m_{b,t}\Big(-\beta\, k\big(\log\pi(y_{b,t}), \log\pi_{ref}(y_{b,t})\big)
                  + [\,t = t_b^{\text{last}}\,]\; s_b\Big)

    with :math:`k` the :func:`kl_estimate` of ``kind`` (default "k1", as in InstructGPT) and
    :math:`t_b^{\text{last}}` the last kept position of row b (InstructGPT / PPO reward shaping).

    ``scores``: ``(B,)`` reward-model scores, finite. ``logp``, ``ref_logp``: ``(B, T)`` log-probs
    of the sampled tokens under the policy and the reference: no NaN, no +inf at kept positions,
    ``logp > -inf`` there (masked positions may hold -inf). ``mask``: ``(B, T)`` bool or 0/1, at
    least one kept token per row. ``beta >= 0``: 0 shows the score alone; a negative, NaN, inf,
    bool or string ``beta``, or one the compute dtype cannot hold (1e39 in fp32), is refused.
    (:func:`kl_regularized_policy` divides by beta, and :func:`ptcourse.dpo_loss` needs
    ``beta > 0``: at 0 its loss is the constant :math:`\log 2`, below 0 it prefers the rejected.)

    Returns ``(B, T)`` fp32 rewards, 0 at masked positions: a fixed signal for the policy
    gradient (``ref_logp`` gets no gradient; ``logp`` is usually passed detached). A kept token
    with ``ref_logp = -inf`` gets :math:`-\infty` when ``beta > 0`` (its KL is infinite); any
    other non-finite penalty (beta times an estimate overflowing the compute dtype, e.g. k3 of a
    log-ratio above 88 in fp32), or a score plus penalty that overflows (-3e38 and -1e38 in
    fp32), raises a ValueError naming ``beta``: the result is finite wherever ``ref_logp`` is.

    >>> logp = torch.tensor([[-1.0, -1.0, -1.0]])
    >>> ref = torch.tensor([[-1.0, -2.0, -1.0]])  # the reference disliked token 1
    >>> mask = torch.tensor([[1, 1, 0]])  # the last position is padding
    >>> kl_penalized_rewards(torch.tensor([5.0]), logp, ref, mask, beta=0.1)  # score at t=1
    tensor([[0.0000, 4.9000, 0.0000]])
    """
    keep, b, cd = G.reward_shaping(scores, logp, ref_logp, mask, beta, kind)  # keep: (B, T)
    zero = torch.zeros((), dtype=logp.dtype, device=logp.device)
    if b == 0:
        rewards = torch.zeros(logp.shape, dtype=cd, device=logp.device)  # no leash at all
    else:
        k = _estimate(
            torch.where(keep, logp, zero),
            torch.where(keep, ref_logp.detach(), zero.to(ref_logp.dtype)),  # frozen reference
            kind,
        )  # (B, T)
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

    The maximiser of :math:`E_{\pi}[r] - \beta\,\mathrm{KL}(\pi \,\|\, \pi_{ref})` is

    .. math::

        \pi^*(v) = \frac{\pi_{ref}(v)\, e^{r(v)/\beta}}{\sum_u \pi_{ref}(u)\, e^{r(u)/\beta}},
        \qquad \log \pi^* = \mathrm{log\_softmax}(x_{ref} + r / \beta).

    A small :math:`\beta` chases the reward, a large one stays near the reference. :math:`\pi^*`
    keeps the support of :math:`\pi_{ref}`: a token with :math:`\pi_{ref}(v) > 0` and a finite
    reward keeps a positive probability (it may underflow to 0 for a tiny :math:`\beta`).

    ``ref_logits``: ``(..., V)``, -inf allowed (those tokens stay impossible); no gradient (the
    reference is frozen). ``rewards``: per token, broadcastable to ``ref_logits``, -inf allowed,
    not +inf or NaN; differentiable. ``beta > 0``, representable in the compute dtype (fp32
    unless an input is fp64). Returns ``(..., V)`` normalised log-probabilities (fp32; fp64 for
    fp64 input).

    >>> ref = torch.log(torch.tensor([0.5, 0.5]))
    >>> r = torch.tensor([1.0, 0.0])  # token 0 is rewarded
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
