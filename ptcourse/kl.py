r"""KL divergence: exact, estimated from samples, and as the leash of RL fine-tuning.

* :func:`kl_divergence` -- exact :math:`\mathrm{KL}(p \,\|\, q)` between two softmax distributions,
  chunked over rows so that large vocabularies never need a full ``(N, V)`` temporary
  (Kullback and Leibler, 1951; Cover and Thomas, *Elements of Information Theory*, ch. 2).
* :func:`kl_estimate` -- the single-sample estimators k1, k2, k3 of J. Schulman, "Approximating KL
  Divergence" (blog post, 2020), used by the RL libraries (TRL, OpenRLHF, verl) and by GRPO
  (Shao et al., 2024, DeepSeekMath), which puts k3 in its loss.
* :func:`kl_penalized_rewards` -- the per-token reward shaping of InstructGPT (Ouyang et al., 2022)
  and Ziegler et al. (2019): :math:`r_t = -\beta\,\widehat{\mathrm{KL}}_t`, plus the sequence score
  at the last token.
* :func:`kl_regularized_policy` -- the closed-form maximiser
  :math:`\pi^* \propto \pi_{ref}\, e^{r/\beta}` of :math:`E_\pi[r] - \beta\,\mathrm{KL}(\pi\|\pi_{ref})`
  (Peters et al., 2010; Korbak et al., 2022; the starting point of DPO, Rafailov et al., 2023).
"""

from __future__ import annotations

import torch

from . import _guards as G
from . import _validate as V
from ._vocab import vocab_stats

__all__ = ["kl_divergence", "kl_estimate", "kl_penalized_rewards", "kl_regularized_policy"]


def kl_divergence(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    r"""Exact KL divergence :math:`\mathrm{KL}(p \,\|\, q)` between softmax distributions.

    The chunked engine (:mod:`ptcourse._vocab`) does not support ``torch.func`` (``vmap``,
    ``grad``): it raises an error naming the function; use ordinary autograd.

    .. math::

        \mathrm{KL}(p \,\|\, q) = \sum_{v} p(v) \, \big(\log p(v) - \log q(v)\big),
        \qquad p = \mathrm{softmax}(x_p),\; q = \mathrm{softmax}(x_q)

    Terms with :math:`p(v) = 0` contribute 0 (:math:`0 \log 0 = 0`), even where :math:`q(v) = 0`;
    where :math:`p(v) > 0 = q(v)` the result is :math:`+\infty` (never NaN). The gradient of an
    infinite KL is not meaningful.

    Parameters
    ----------
    p_logits, q_logits : torch.Tensor
        Same shape ``(..., V)``; entries may be -inf (zero probability).

    Returns
    -------
    torch.Tensor
        Shape ``(...)``, non-negative, fp32 (fp64 for fp64 input); differentiable in both.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import kl_divergence
    >>> p = torch.log(torch.tensor([0.5, 0.5]))  # a fair coin
    >>> q = torch.log(torch.tensor([0.9, 0.1]))  # a biased coin
    >>> kl_divergence(p, q)  # 0.5 log(0.5/0.9) + 0.5 log(0.5/0.1)
    tensor(0.5108)
    """
    G.logit_pair(p_logits, q_logits)
    names = ("p_logits", "targets", "q_logits")
    want = dict(want_logp=False, want_ent=False, want_kl=True, chunk_size=None, names=names)
    return vocab_stats(p_logits, None, q_logits, **want)[2]  # (...) the KL of each row


def _logratio(logp: torch.Tensor, logq: torch.Tensor) -> torch.Tensor:
    cd = V.compute_dtype(logp.dtype, logq.dtype)
    return logq.to(cd) - logp.to(cd)


def kl_estimate(logp: torch.Tensor, logq: torch.Tensor, kind: str = "k3") -> torch.Tensor:
    r"""Single-sample estimate of :math:`\mathrm{KL}(p \,\|\, q)` from samples :math:`x \sim p`.

    With :math:`\log r = \log q(x) - \log p(x)` (Schulman, 2020):

    .. math::

        k_1 = -\log r, \qquad
        k_2 = \tfrac12 (\log r)^2, \qquad
        k_3 = (r - 1) - \log r

    k1 is unbiased but can be negative and noisy; k2 is biased but low-variance; k3 is unbiased
    and always :math:`\ge 0`. In RL, p is the policy and q the reference model. Unbiased refers to
    the *value* under samples from p: used as a loss, the expected gradient of k1 is 0 and that
    of k3 is the gradient of the forward :math:`\mathrm{KL}(q \,\|\, p)`, while k2's is the
    gradient of :math:`\mathrm{KL}(p \,\|\, q)` (Tang and Munos, 2025, arXiv 2506.09477).

    Parameters
    ----------
    logp : torch.Tensor
        :math:`\log p(x)` of samples drawn from p (must be > -inf), any shape.
    logq : torch.Tensor
        :math:`\log q(x)` of the same samples, same shape; -inf gives +inf. Neither may hold
        NaN or +inf.
    kind : {"k1", "k2", "k3"}
        Which estimator.

    Returns
    -------
    torch.Tensor
        Per-sample estimates, same shape, fp32 (fp64 for fp64 input). ``+inf`` only where the
        estimate is truly infinite (``logq = -inf``); a finite estimate that the compute dtype
        cannot hold (k3 of a log-ratio above about 88.7 in fp32, k2 of one above about 2.6e19)
        raises a ValueError naming ``logp`` and ``logq``, the same rule as
        :func:`kl_penalized_rewards`.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import kl_estimate
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
    """k1/k2/k3 of validated inputs (shared by kl_estimate and kl_penalized_rewards)."""
    log_r = _logratio(logp, logq)  # (...)
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

    where :math:`k` is :func:`kl_estimate` of the chosen ``kind`` and :math:`t_b^{\text{last}}`
    is the last kept position of sequence b (InstructGPT / PPO reward shaping).

    ``beta = 0`` is allowed here (it shows the un-leashed case: the score alone); ``beta < 0``,
    NaN, inf, a bool or a string is rejected, and so is a ``beta`` that the compute dtype cannot
    represent (``1e39`` overflows fp32). (:func:`kl_regularized_policy` needs ``beta > 0``
    because it divides by it; :func:`ptcourse.dpo_loss` multiplies by it and needs
    ``beta > 0`` because at 0 the loss is the constant :math:`\log 2` and below 0 it prefers
    the rejected answers.)

    The rewards are a fixed signal for the policy gradient: ``ref_logp`` receives no gradient
    (the reference is frozen), and ``logp`` is usually passed detached. A kept token with
    ``ref_logp = -inf`` (the reference forbids it) gets reward :math:`-\infty` when
    ``beta > 0``, as its KL is infinite; any other non-finite penalty (``beta`` times an
    estimate overflowing the compute dtype, e.g. k3 of a log-ratio above 88 in fp32) is refused
    with a ValueError naming ``beta``, and so is a score plus penalty that overflows it (a
    score of -3e38 and a penalty of -1e38 in fp32): the result is finite wherever ``ref_logp``
    is.

    Parameters
    ----------
    scores : torch.Tensor
        ``(B,)`` sequence-level reward-model scores, finite.
    logp, ref_logp : torch.Tensor
        ``(B, T)`` log-probs of the sampled tokens under the policy and the reference; no NaN
        anywhere, no +inf at kept positions, ``logp`` > -inf at kept positions (masked positions
        may hold -inf padding).
    mask : torch.Tensor
        ``(B, T)`` bool or 0/1: the response tokens; every row needs at least one.
    beta : float
        KL coefficient, ``>= 0``.
    kind : {"k1", "k2", "k3"}
        KL estimator (default ``"k1"``, as in InstructGPT).

    Returns
    -------
    torch.Tensor
        ``(B, T)`` fp32 rewards, 0 at masked positions.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import kl_penalized_rewards
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
    T = logp.shape[1]
    pos = torch.arange(T, device=logp.device)  # (T,)
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
        \qquad
        \log \pi^* = \mathrm{log\_softmax}(x_{ref} + r / \beta).

    Small :math:`\beta` chases the reward; large :math:`\beta` stays near the reference.
    :math:`\pi^*` keeps the whole support of :math:`\pi_{ref}` (every token with
    :math:`\pi_{ref}(v) > 0` and a finite reward keeps a positive probability, although it may
    underflow to 0 in floating point for a tiny :math:`\beta`). ``ref_logits`` receives no
    gradient (the reference is frozen); ``rewards`` does.

    Parameters
    ----------
    ref_logits : torch.Tensor
        ``(..., V)`` reference logits (-inf allowed: those tokens stay impossible).
    rewards : torch.Tensor
        Reward per token, broadcastable to ``ref_logits`` (-inf allowed, +inf and NaN are not).
    beta : float
        KL coefficient, ``> 0`` and representable in the compute dtype (fp32 unless an input
        is fp64).

    Returns
    -------
    torch.Tensor
        ``(..., V)`` normalised log-probabilities (fp32; fp64 for fp64 input).

    Examples
    --------
    >>> import torch
    >>> from ptcourse import kl_regularized_policy
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
    # log_softmax is invariant to a per-row constant: subtracting the best reward among the
    # allowed tokens first makes r / beta <= 0 there, so a small beta can only underflow a token
    # to probability 0 (its limit), never overflow to +inf and give inf - inf = NaN.
    r = r - torch.where(torch.isneginf(top), torch.zeros((), dtype=cd, device=ref.device), top)
    z = torch.where(allowed, ref + r / b, neg_inf)  # (..., V)
    out = torch.log_softmax(z, dim=-1)  # (..., V)
    if bool(torch.isnan(out).any()):
        raise ValueError(
            "every token of some row has zero probability under ref_logits + rewards/beta "
            f"('rewards' {tuple(rewards.shape)}, 'ref_logits' {tuple(ref_logits.shape)})"
        )
    return out
