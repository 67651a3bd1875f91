r"""The post-training toolkit assembled: DPO, GRPO advantages, and the PPO clipped loss.

* :func:`dpo_loss` -- Direct Preference Optimization (Rafailov et al., 2023): the KL-regularised
  reward maximiser, rewritten as a logistic loss on log-probability ratios of preference pairs.
* :func:`ipo_loss` -- Identity Preference Optimisation (Azar et al., 2023, eq. 17): DPO's margin
  regressed onto the finite target :math:`1/(2\tau)` instead of pushed without end.
* :func:`grpo_advantages` -- Group Relative Policy Optimization (Shao et al., 2024, DeepSeekMath):
  advantages from rewards standardised within each group of samples for the same prompt (no
  value network). ``scale="none"`` is the unscaled variant of Dr. GRPO (Liu et al., 2025),
  ``scale="batch"`` divides by the batch's std instead (TRL's ``scale_rewards="batch"``).
* :func:`ppo_clip_loss` -- the clipped surrogate objective of PPO (Schulman et al., 2017), with the
  asymmetric "clip-higher" upper bound of DAPO (Yu et al., 2025).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import _validate as V

__all__ = ["dpo_loss", "grpo_advantages", "ipo_loss", "ppo_clip_loss", "rloo_advantages"]


def _pair_ratios(
    policy_chosen_logp: torch.Tensor,
    policy_rejected_logp: torch.Tensor,
    ref_chosen_logp: torch.Tensor,
    ref_rejected_logp: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The checked log-ratios ``pc - rc`` and ``pr - rr`` of preference pairs, ``(P,)`` each."""
    args = {
        "policy_chosen_logp": policy_chosen_logp,
        "policy_rejected_logp": policy_rejected_logp,
        "ref_chosen_logp": ref_chosen_logp,
        "ref_rejected_logp": ref_rejected_logp,
    }
    for name, t in args.items():
        V.float_tensor(t, name)
        V.same_shape(policy_chosen_logp, "policy_chosen_logp", t, name)
        V.same_device(policy_chosen_logp, "policy_chosen_logp", t, name)
        V.logprob(t, name)
    if policy_chosen_logp.numel() == 0:
        raise ValueError("'policy_chosen_logp' is empty: no preference pair to average over")
    cd = V.compute_dtype(*(t.dtype for t in args.values()))
    pc, pr = policy_chosen_logp.to(cd), policy_rejected_logp.to(cd)
    rc, rr = ref_chosen_logp.detach().to(cd), ref_rejected_logp.detach().to(cd)  # frozen
    chosen, rejected = pc - rc, pr - rr  # (P,) log-ratios
    for side, ratio in (("chosen", chosen), ("rejected", rejected)):
        if bool(torch.isnan(ratio).any()):
            i = V._first(torch.isnan(ratio))
            raise ValueError(
                f"'policy_{side}_logp' and 'ref_{side}_logp' are both -inf at index {i}: the "
                "log-ratio -inf - (-inf) is undefined"
            )
    return chosen, rejected


def _margin(chosen: torch.Tensor, rejected: torch.Tensor) -> torch.Tensor:
    """``chosen - rejected`` (P,), refused where both are the same infinity or where it overflows.

    An infinite margin is kept only where a log-ratio is itself infinite (a log-probability of
    -inf): that margin is truly infinite. Two finite log-ratios whose difference overflows the
    compute dtype are refused, not turned into a silent inf.
    """
    diff = chosen - rejected  # (P,)
    if bool(torch.isnan(diff).any()):
        i = V._first(torch.isnan(diff))
        raise ValueError(
            f"the chosen and the rejected log-ratios are both {chosen[i].item()} at index {i} "
            "('ref_chosen_logp' and 'ref_rejected_logp' -inf?): their difference is undefined"
        )
    over = torch.isinf(diff) & torch.isfinite(chosen) & torch.isfinite(rejected)  # (P,)
    if bool(over.any()):
        i = V._first(over)
        raise ValueError(
            f"the margin of the finite log-ratios chosen {chosen[i].item():.4g} and rejected "
            f"{rejected[i].item():.4g} at index {i} overflows {diff.dtype} (the log-probabilities "
            "are far from the reference's): pass float64 log-probabilities"
        )
    return diff


def dpo_loss(
    policy_chosen_logp: torch.Tensor,
    policy_rejected_logp: torch.Tensor,
    ref_chosen_logp: torch.Tensor,
    ref_rejected_logp: torch.Tensor,
    beta: float = 0.1,
) -> torch.Tensor:
    r"""Direct Preference Optimization loss, averaged over preference pairs.

    .. math::

        \mathcal{L}_{\text{DPO}} = -\,\mathbb{E}\Big[\log \sigma\Big(\beta\big[
            (\log\pi(y_c) - \log\pi_{ref}(y_c)) - (\log\pi(y_r) - \log\pi_{ref}(y_r))
        \big]\Big)\Big]

    Parameters
    ----------
    policy_chosen_logp, policy_rejected_logp : torch.Tensor
        Sequence log-probabilities (e.g. :func:`ptcourse.sequence_logprob`) under the policy,
        shape ``(P,)`` (any shape, all four equal).
    ref_chosen_logp, ref_rejected_logp : torch.Tensor
        The same under the frozen reference model.
    beta : float
        Strength of the implicit KL leash, ``> 0``; it multiplies the margin.

    Returns
    -------
    torch.Tensor
        Scalar fp32 loss; :math:`\log 2` when policy equals reference. Only the policy
        log-probabilities receive a gradient: the reference inputs are detached (the reference
        model is frozen), even when they require grad.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import dpo_loss
    >>> lp = torch.tensor([-5.0, -7.0])
    >>> dpo_loss(lp, lp, lp, lp)  # policy == reference: log 2
    tensor(0.6931)
    """
    chosen, rejected = _pair_ratios(
        policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp
    )
    b = V.scalar(beta, "beta", dtype=chosen.dtype)
    z = b * _margin(chosen, rejected)  # (P,)
    over = torch.isinf(z) & torch.isfinite(chosen) & torch.isfinite(rejected)
    if bool(over.any()):
        i = V._first(over)
        raise ValueError(
            f"'beta' = {b:g} times the margin {(chosen - rejected)[i].item():.4g} at index {i} "
            f"overflows {z.dtype}: use a smaller beta or float64 log-probabilities"
        )
    return V.safe_mean(-F.logsigmoid(z))


def ipo_loss(
    policy_chosen_logp: torch.Tensor,
    policy_rejected_logp: torch.Tensor,
    ref_chosen_logp: torch.Tensor,
    ref_rejected_logp: torch.Tensor,
    tau: float = 0.1,
    *,
    chosen_tokens: torch.Tensor | None = None,
    rejected_tokens: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Identity Preference Optimisation loss (Azar et al., 2023, eq. 17), averaged over pairs.

    .. math::

        h = \big(\log\pi(y_c) - \log\pi_{ref}(y_c)\big) - \big(\log\pi(y_r) - \log\pi_{ref}(y_r)\big),
        \qquad
        \mathcal{L}_{\text{IPO}} = \mathbb{E}\Big[\big(h - \tfrac{1}{2\tau}\big)^2\Big]

    DPO's logistic loss keeps paying for a wider margin :math:`h` when one answer always wins;
    this squared loss has its minimum at the finite margin :math:`h = 1/(2\tau)`: a larger
    :math:`\tau` (TRL's ``beta`` with ``loss_type="ipo"``) asks for a smaller margin. With
    ``chosen_tokens`` / ``rejected_tokens`` each log-ratio is first divided by its answer's token
    count, as TRL's ``DPOTrainer`` does for IPO (``trl/trainer/dpo_trainer.py``, 1.10.0.dev0):
    :math:`h = \frac{\log\pi(y_c) - \log\pi_{ref}(y_c)}{|y_c|} - \frac{\log\pi(y_r) -
    \log\pi_{ref}(y_r)}{|y_r|}`.

    Parameters
    ----------
    policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp : torch.Tensor
        Sequence log-probabilities, shape ``(P,)`` (any shape, all four equal), as for
        :func:`dpo_loss`; the reference inputs are detached.
    tau : float
        The regularisation :math:`\tau > 0`; the target margin is :math:`1/(2\tau)`.
    chosen_tokens, rejected_tokens : torch.Tensor, optional
        Token counts of the answers (``> 0``, the log-probabilities' shape), both or neither.

    Returns
    -------
    torch.Tensor
        Scalar fp32 loss (fp64 for fp64 input); :math:`1/(4\tau^2)` when policy equals
        reference. An infinite margin (a log-probability of -inf) raises a ValueError.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import ipo_loss
    >>> lp = torch.tensor([-5.0, -7.0])
    >>> ipo_loss(lp, lp, lp, lp, tau=0.5)  # policy == reference: margin 0, target 1, loss 1
    tensor(1.)
    >>> ipo_loss(lp + 1.0, lp, lp, lp, tau=0.5)  # margin 1 on the target: loss 0
    tensor(0.)
    """
    chosen, rejected = _pair_ratios(
        policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp
    )
    t = V.scalar(tau, "tau", dtype=chosen.dtype)
    if (chosen_tokens is None) != (rejected_tokens is None):
        raise ValueError("'chosen_tokens' and 'rejected_tokens' must be given together, or neither")
    if chosen_tokens is not None:
        for name, n in (("chosen_tokens", chosen_tokens), ("rejected_tokens", rejected_tokens)):
            V.tensor(n, name)
            if n.dtype == torch.bool or n.is_complex():
                raise TypeError(f"'{name}' must hold real token counts, got dtype {n.dtype}")
            V.same_shape(policy_chosen_logp, "policy_chosen_logp", n, name)
            V.same_device(policy_chosen_logp, "policy_chosen_logp", n, name)
            if n.is_floating_point():
                V.finite(n, name)
            if not bool((n > 0).all()):
                raise ValueError(f"'{name}' must be > 0 everywhere, got {n.min().item()}")
        ratios = []
        for name, ratio, n in (
            ("chosen_tokens", chosen, chosen_tokens),
            ("rejected_tokens", rejected, rejected_tokens),
        ):
            per_token = ratio / n.to(ratio.dtype)  # (P,)
            bad = ~torch.isfinite(per_token) & torch.isfinite(ratio)  # (P,)
            if bool(bad.any()):
                i = V._first(bad)
                raise ValueError(
                    f"'{name}' = {n[i].item():.4g} at index {i} is too small: the log-ratio "
                    f"{ratio[i].item():.4g} divided by it overflows {ratio.dtype} (a token "
                    "count is at least 1)"
                )
            ratios.append(per_token)
        chosen, rejected = ratios
    h = _margin(chosen, rejected)  # (P,)
    if not bool(torch.isfinite(h).all()):
        i = V._first(~torch.isfinite(h))
        raise ValueError(
            f"the IPO margin is {h[i].item()} at index {i} (a log-probability of -inf): its "
            "squared distance to the target is infinite"
        )
    target = 1.0 / (2.0 * t)
    dist = (h - target).square()  # (P,)
    if not bool(torch.isfinite(dist).all()):
        i = V._first(~torch.isfinite(dist))
        if target * target > torch.finfo(h.dtype).max:  # even a margin of 0 overflows: tau's
            raise ValueError(
                f"ipo_loss overflows {h.dtype}: the target margin 1/(2 tau) = {target:.3g} is "
                "too large for it; use a larger 'tau'"
            )
        raise ValueError(
            f"ipo_loss overflows {h.dtype} at index {i}: the margin h = {h[i].item():.4g} is so "
            f"far from the target 1/(2 tau) = {target:.3g} that its square does not fit (the "
            "policy is far from the reference); pass float64 log-probabilities"
        )
    loss = V.safe_mean(dist)
    return loss


#: The reward scalings of :func:`grpo_advantages` (TRL's ``GRPOConfig.scale_rewards`` values).
SCALES = ("group", "batch", "none")


def grpo_advantages(
    rewards: torch.Tensor, *, scale: bool | str = "group", eps: float = 1e-4
) -> torch.Tensor:
    r"""Group-relative advantages: each reward compared with its group's mean (and spread).

    For group g with rewards :math:`r_{g,1}, \dots, r_{g,n}`:

    .. math::

        A_{g,i} = \frac{r_{g,i} - \bar r_g}{s_g + \varepsilon}, \qquad
        s_g = \sqrt{\tfrac{1}{n-1} \textstyle\sum_j (r_{g,j} - \bar r_g)^2}

    ``scale="batch"`` divides by the Bessel std :math:`s` of all :math:`Gn` rewards instead of
    :math:`s_g` (the mean stays the group's; TRL's ``scale_rewards="batch"``), and
    ``scale="none"`` does not divide: :math:`A_{g,i} = r_{g,i} - \bar r_g` (Dr. GRPO). A
    constant group carries no signal and gets exactly 0.

    Parameters
    ----------
    rewards : torch.Tensor
        ``(G, n)``: G groups (prompts) of n >= 2 samples each; finite.
    scale : {"group", "batch", "none"} or bool
        Divide by the Bessel-corrected std of the group (GRPO), of the whole batch, or not at
        all (Dr. GRPO). ``True`` means ``"group"`` and ``False`` ``"none"`` (as in TRL); other
        values (``1``, ``"no"``) are refused.
    eps : float
        ``>= 0``, added to the std.

    Returns
    -------
    torch.Tensor
        ``(G, n)`` advantages (fp32 for fp16/bf16/fp32 input); each group sums to 0 up to
        rounding, also for a nearly constant group with ``eps=0`` (the reductions run in
        float64 on a per-group power-of-two scale, so rewards near the fp32 maximum do not
        overflow).

    Examples
    --------
    >>> import torch
    >>> from ptcourse import grpo_advantages
    >>> r = torch.tensor([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])  # 2 prompts, 4 samples each
    >>> grpo_advantages(r, eps=0.0)  # std of [1,0,0,1] is 0.5774; the constant group gives zeros
    tensor([[ 0.8660, -0.8660, -0.8660,  0.8660],
            [ 0.0000,  0.0000,  0.0000,  0.0000]])
    >>> grpo_advantages(r, scale="batch", eps=0.0)  # std of all 8 rewards is 0.4629
    tensor([[ 1.0801, -1.0801, -1.0801,  1.0801],
            [ 0.0000,  0.0000,  0.0000,  0.0000]])
    """
    V.float_tensor(rewards, "rewards")
    if rewards.dim() != 2:
        raise ValueError(f"'rewards' must have shape (G, n), got {tuple(rewards.shape)}")
    if rewards.shape[1] < 2:
        raise ValueError(
            f"'rewards' needs n >= 2 samples per group (the Bessel std of one sample is "
            f"undefined), got shape {tuple(rewards.shape)}"
        )
    V.finite(rewards, "rewards")
    if isinstance(scale, str):
        if scale not in SCALES:  # a TypeError, as for a non-bool (a truthy "no" was once True)
            raise TypeError(f"'scale' must be one of {SCALES} or True / False, got {scale!r}")
    else:
        scale = "group" if V.flag(scale, "scale") else "none"
    e = V.scalar(eps, "eps", allow_zero=True)
    out_dtype = V.compute_dtype(rewards.dtype)
    # Reduce in float64 (MPS has none: fp32 there), after dividing each group by a power of two
    # near its largest |reward| (exact): sums of 3e38-sized fp32 rewards cannot overflow, and a
    # second centring pass makes each group sum to 0 up to rounding even when it is nearly
    # constant and its tiny std would amplify the rounding of the mean.
    wd = torch.float32 if rewards.device.type == "mps" else torch.float64
    r = rewards.to(wd)  # (G, n)
    big = r.abs().amax(-1, keepdim=True)  # (G, 1)
    unit = torch.ldexp(torch.ones_like(big), torch.frexp(big).exponent - 1)  # (G, 1), 2^k
    unit = torch.where(big > 0, unit, torch.ones_like(unit))
    x = r / unit  # (G, n), |x| < 2
    const = (r == r[:, :1]).all(-1, keepdim=True)  # (G, 1)
    centred = x - x.mean(-1, keepdim=True)  # (G, n)
    centred = centred - centred.mean(-1, keepdim=True)
    zero = torch.zeros((), dtype=wd, device=r.device)
    centred = torch.where(const, zero, centred)
    if scale == "batch":  # the group means, over the std of the whole batch (TRL's "batch")
        n_all = r.numel()
        if n_all < 2 or bool(const.all()):
            return torch.zeros_like(r).to(out_dtype)
        # the batch std on the batch's own power-of-two scale, like the groups': float64
        # rewards of 1e200 (squares overflow) or 1e-200 (squares underflow) keep their std
        bunit = V.pow2_unit(r)  # (), 2^k
        xb = r / bunit  # (G, n), |xb| < 2
        dev = xb - xb.mean()
        dev = dev - dev.mean()
        std = (dev.square().sum() / (n_all - 1)).sqrt()  # in units of bunit
        real = centred * (unit / bunit)  # (G, n) group-centred, in units of bunit (exact)
        # a tensor by tensor division: torch computes ``e / t`` as ``e * (1 / t)``, which is
        # 0 * inf = NaN for e = 0 and a subnormal t (rewards of 1e-310)
        return (real / (std + torch.full_like(bunit, e) / bunit)).to(out_dtype)
    if scale == "none":
        out = (centred * unit).to(out_dtype)
        if not bool(torch.isfinite(out).all()):
            raise ValueError(
                f"'rewards' minus their group mean overflow {out_dtype}; pass scale='group' or "
                "smaller rewards"
            )
        return out
    n = r.shape[1]
    std = (centred.square().sum(-1, keepdim=True) / (n - 1)).sqrt()  # (G, 1), in units of unit
    denom = torch.where(const, torch.ones_like(std), std + torch.full_like(unit, e) / unit)
    return (centred / denom).to(out_dtype)


def ppo_clip_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    clip_eps: float = 0.2,
    clip_eps_high: float | None = None,
) -> torch.Tensor:
    r"""PPO clipped surrogate loss, averaged over the kept tokens.

    .. math::

        \rho_t = e^{\log\pi(y_t) - \log\pi_{old}(y_t)}, \qquad
        \mathcal{L} = -\frac{1}{\sum_t m_t} \sum_t m_t
            \min\big(\rho_t A_t,\ \mathrm{clip}(\rho_t, 1 - \varepsilon, 1 + \varepsilon_{high})\,A_t\big)

    Parameters
    ----------
    logp : torch.Tensor
        ``(B, T)`` (any shape) log-probs of the sampled tokens under the current policy.
    old_logp : torch.Tensor
        Same shape: log-probs under the policy that sampled them. It is a constant of the
        loss: it receives no gradient even when it requires grad.
    advantages : torch.Tensor
        ``logp``'s shape, or size 1 where constant: ``(B, T)`` per token or ``(B, 1)`` per
        sequence. A ``(B,)`` tensor is refused (it would broadcast along T when B == T).
        Treated as constants (detached). Finite at kept positions.
    mask : torch.Tensor
        Bool or 0/1 of ``logp``'s shape; must keep at least one token. ``logp`` and
        ``old_logp`` may hold -inf (not both, not NaN) at kept positions, anything but NaN at
        masked ones.
    clip_eps : float
        :math:`0 < \varepsilon < 1`, the lower clip (and the upper one by default).
    clip_eps_high : float, optional
        :math:`\varepsilon_{high} > 0`; a value above ``clip_eps`` is DAPO's clip-higher.

    Returns
    -------
    torch.Tensor
        Scalar fp32 loss (fp64 for fp64 input). A clipped token has gradient exactly 0, also
        when its ratio overflows (``old_logp = -inf``); a loss that overflows (a negative
        advantage times a huge ratio) raises a ValueError instead of returning inf.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import ppo_clip_loss
    >>> logp = torch.log(torch.tensor([[1.5, 0.5]]))  # ratios 1.5 and 0.5 vs old_logp = 0
    >>> adv = torch.tensor([[1.0, 1.0]])
    >>> ppo_clip_loss(logp, torch.zeros(1, 2), adv, torch.ones(1, 2))  # -(1.2 + 0.5) / 2
    tensor(-0.8500)
    """
    V.float_tensor(logp, "logp")
    V.float_tensor(old_logp, "old_logp")
    V.float_tensor(advantages, "advantages")
    V.same_shape(logp, "logp", old_logp, "old_logp")
    V.same_device(logp, "logp", old_logp, "old_logp")
    V.same_device(logp, "logp", advantages, "advantages")
    V.per_token(advantages, "advantages", logp, "logp")
    keep = V.mask(mask, "mask", logp.shape, logp.device)
    V.nonempty(keep, "mask")
    lo = V.scalar(clip_eps, "clip_eps", below=1.0)
    hi = lo if clip_eps_high is None else V.scalar(clip_eps_high, "clip_eps_high")
    V.logprob(logp, "logp", where=keep)
    V.logprob(old_logp, "old_logp", where=keep)
    adv_kept = keep if advantages.shape == logp.shape else None
    V.finite(advantages, "advantages", where=adv_kept)
    both = torch.isneginf(logp) & torch.isneginf(old_logp) & keep
    if bool(both.any()):
        raise ValueError(
            f"'logp' and 'old_logp' are both -inf at kept index {V._first(both)}: the ratio "
            "exp(-inf - (-inf)) is undefined (mask that token out)"
        )
    cd = V.compute_dtype(logp.dtype, old_logp.dtype, advantages.dtype)
    zero = torch.zeros((), dtype=cd, device=logp.device)
    lp = torch.where(keep, logp.to(cd), zero)  # (B, T)
    olp = torch.where(keep, old_logp.detach().to(cd), zero)  # (B, T); old_logp gets no gradient
    adv = torch.where(keep, advantages.detach().to(cd).expand(logp.shape), zero)  # (B, T)
    log_ratio = lp - olp  # (B, T)
    pos = adv >= 0
    # min(rho A, clip(rho) A) = A * min(rho, 1+eps_hi) if A >= 0 else A * max(rho, 1-eps):
    # the same value and gradient as the textbook form, without 0 * inf when rho overflows.
    # Where A >= 0, cap the log-ratio just above the clip before exp: a ratio that would
    # overflow (old_logp = -90 or -inf) is clipped anyway, and its gradient stays exactly 0
    # instead of 0 * inf = NaN.
    cap = math.log1p(hi) + 1.0
    ratio = torch.exp(torch.where(pos, log_ratio.clamp(max=cap), log_ratio))  # (B, T)
    bounded = torch.where(pos, ratio.clamp(max=1 + hi), ratio.clamp(min=1 - lo))
    per_token = torch.where(keep, -adv * bounded, zero)  # (B, T)
    if not bool(torch.isfinite(per_token).all()):
        i = V._first(~torch.isfinite(per_token))
        raise ValueError(
            f"ppo_clip_loss overflows {cd} at kept index {i}: advantage {adv[i].item():.4g} and "
            f"log-ratio logp - old_logp = {log_ratio[i].item():.4g} give an unbounded term (a "
            "negative advantage is never clipped from above); recompute 'old_logp' from the "
            "current policy or scale down 'advantages'"
        )
    loss = per_token.sum() / keep.sum()
    if not bool(torch.isfinite(loss)):
        raise ValueError(
            f"ppo_clip_loss overflows {cd} when summing the per-token terms: scale down "
            "'advantages'"
        )
    return loss


def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    r"""Leave-one-out advantages (RLOO): each reward minus the mean of the *other* rewards of its group.

    For group g with rewards :math:`r_{g,1}, \dots, r_{g,n}` (Kool et al., 2019; Ahmadian et al.,
    2024, *Back to basics: revisiting REINFORCE-style optimization for learning from human
    feedback in LLMs*):

    .. math::

        A_{g,i} = r_{g,i} - \frac{1}{n-1} \sum_{j \ne i} r_{g,j}
                = \frac{n}{n-1}\,\big(r_{g,i} - \bar r_g\big)

    The baseline of sample i does not depend on sample i, so the policy-gradient estimate stays
    unbiased (the batch-mean baseline, which includes sample i, shrinks it by
    :math:`(n-1)/n`). TRL's ``RLOOTrainer`` computes the same
    ``baseline = (rlhf_reward.sum(0) - rlhf_reward) / (rloo_k - 1)``, on rewards that already
    include the sequence-level KL penalty ``-kl_coef * (logprobs - ref_logprobs).sum(1)``
    (``trl/trainer/rloo_trainer.py``, commit bfe2075, line 433).

    Parameters
    ----------
    rewards : torch.Tensor
        ``(G, n)``: G groups (prompts) of n >= 2 samples each; finite.

    Returns
    -------
    torch.Tensor
        ``(G, n)`` advantages (fp32 for fp16/bf16/fp32 input, fp64 for fp64); each group sums to 0
        up to rounding, and a constant group gives exactly 0.

    Examples
    --------
    >>> import torch
    >>> from ptcourse import rloo_advantages
    >>> rloo_advantages(torch.tensor([[1.0, 0.0, 0.0, 3.0]]))  # 1 - (0 + 0 + 3) / 3 = 0, ...
    tensor([[ 0.0000, -1.3333, -1.3333,  2.6667]])
    """
    V.float_tensor(rewards, "rewards")
    if rewards.dim() != 2:
        raise ValueError(f"'rewards' must have shape (G, n), got {tuple(rewards.shape)}")
    n = rewards.shape[1]
    if n < 2:
        raise ValueError(
            f"'rewards' needs n >= 2 samples per group (a leave-one-out baseline needs another "
            f"sample), got shape {tuple(rewards.shape)}"
        )
    V.finite(rewards, "rewards")
    out_dtype = V.compute_dtype(rewards.dtype)
    wd = torch.float32 if rewards.device.type == "mps" else torch.float64
    r = rewards.to(wd)  # (G, n)
    # centre with a per-group shift first: exact for a constant group, no overflow from the sum
    shift = r[:, :1]  # (G, 1)
    x = r - shift  # (G, n)
    others = (x.sum(-1, keepdim=True) - x) / (n - 1)  # (G, n) mean of the other n - 1
    out = (x - others).to(out_dtype)
    if not bool(torch.isfinite(out).all()):
        raise ValueError(f"'rewards' differences overflow {out_dtype}; pass smaller rewards")
    return out
