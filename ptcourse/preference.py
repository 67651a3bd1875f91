r"""Direct preference losses on log-probability ratios of preference pairs.

DPO, Direct Preference Optimization (Rafailov et al., 2023): the KL-regularised reward maximiser
rewritten as a logistic loss. IPO, Identity Preference Optimisation (Azar et al., 2023, eq. 17):
DPO's margin regressed onto the finite target :math:`1/(2\tau)` instead of pushed without end.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import _guards as G
from . import _validate as V

__all__ = ["dpo_loss", "ipo_loss"]


def _logratios(pc, pr, rc, rr, cd) -> tuple[torch.Tensor, torch.Tensor]:
    """``log pi / pi_ref`` of the chosen and the rejected answers, ``(P,)`` each."""
    return pc.to(cd) - rc.detach().to(cd), pr.to(cd) - rr.detach().to(cd)  # the reference is frozen


def _margin(chosen: torch.Tensor, rejected: torch.Tensor) -> torch.Tensor:
    """``chosen - rejected`` (P,): infinite only where a log-ratio is (a log-probability of -inf);
    refused where both are the same infinity or where two finite log-ratios overflow."""
    diff = chosen - rejected  # (P,)
    V.refuse(
        torch.isnan(diff),
        lambda i: (
            f"the chosen and the rejected log-ratios are both {chosen[i].item()} at index "
            f"{i} ('ref_chosen_logp' and 'ref_rejected_logp' -inf?): their difference is undefined"
        ),
    )
    V.refuse(
        torch.isinf(diff) & torch.isfinite(chosen) & torch.isfinite(rejected),  # (P,)
        lambda i: (
            f"the margin of the finite log-ratios chosen {chosen[i].item():.4g} and "
            f"rejected {rejected[i].item():.4g} at index {i} overflows {diff.dtype} (the "
            "log-probabilities are far from the reference's): pass float64 log-probabilities"
        ),
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

    .. math:: \mathcal{L}_{\text{DPO}} = -\,\mathbb{E}\Big[\log \sigma\Big(\beta\big[
        (\log\pi(y_c) - \log\pi_{ref}(y_c)) - (\log\pi(y_r) - \log\pi_{ref}(y_r))\big]\Big)\Big]

    The arguments: sequence log-probabilities (e.g. :func:`ptcourse.sequence_logprob`) of the
    chosen and rejected answers under the policy and the frozen reference (detached, even when
    requiring grad), all ``(P,)`` (or any one shape). ``beta``, the implicit KL leash, must be
    > 0 (at 0 the loss is the constant :math:`\log 2`, below 0 it prefers the rejected answers).
    Returns a scalar fp32, :math:`\log 2` when the policy is the reference.

    >>> lp = torch.tensor([-5.0, -7.0])
    >>> dpo_loss(lp, lp, lp, lp)  # policy == reference: log 2
    tensor(0.6931)
    """
    logps = (policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp)
    cd, b = G.preference_pairs(*logps, "beta", beta)
    chosen, rejected = _logratios(*logps, cd)  # (P,) each
    z = b * _margin(chosen, rejected)  # (P,)
    V.refuse(
        torch.isinf(z) & torch.isfinite(chosen) & torch.isfinite(rejected),
        lambda i: (
            f"'beta' = {b:g} times the margin {(chosen - rejected)[i].item():.4g} at index "
            f"{i} overflows {z.dtype}: use a smaller beta or float64 log-probabilities"
        ),
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

    .. math:: \mathcal{L}_{\text{IPO}} = \mathbb{E}\big[(h - \tfrac{1}{2\tau})^2\big], \quad
        h = \rho_c - \rho_r, \quad \rho = \log\pi(y) - \log\pi_{ref}(y)

    Unlike DPO's, it stops paying for a wider margin at :math:`h = 1/(2\tau)`: a larger ``tau``
    (TRL's ``beta`` with ``loss_type="ipo"``) asks for a smaller one. ``chosen_tokens`` and
    ``rejected_tokens`` (counts > 0, both or neither) make it :math:`h = \rho_c/|y_c| -
    \rho_r/|y_r|`, as TRL's ``DPOTrainer`` does for IPO (``trl/trainer/dpo_trainer.py``,
    1.10.0.dev0). Log-probabilities as for :func:`dpo_loss`; ``tau > 0``. Returns a scalar fp32
    (fp64 for fp64 input), :math:`1/(4\tau^2)` when the policy is the reference; an infinite
    margin (a log-probability of -inf) raises a ValueError.

    >>> lp = torch.tensor([-5.0, -7.0])  # margin 0, then 1, for a target of 1
    >>> ipo_loss(lp, lp, lp, lp, tau=0.5), ipo_loss(lp + 1.0, lp, lp, lp, tau=0.5)
    (tensor(1.), tensor(0.))
    """
    logps = (policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp)
    cd, t = G.preference_pairs(*logps, "tau", tau, chosen_tokens, rejected_tokens)
    chosen, rejected = _logratios(*logps, cd)  # (P,) each
    if chosen_tokens is not None:
        chosen = _per_token(chosen, chosen_tokens, "chosen_tokens")  # (P,)
        rejected = _per_token(rejected, rejected_tokens, "rejected_tokens")  # (P,)
    h = _margin(chosen, rejected)  # (P,)
    V.refuse(
        ~torch.isfinite(h),
        lambda i: (
            f"the IPO margin is {h[i].item()} at index {i} (a log-probability of -inf): "
            "its squared distance to the target is infinite"
        ),
    )
    target = 1.0 / (2.0 * t)
    dist = (h - target).square()  # (P,)
    if target * target > torch.finfo(h.dtype).max and not bool(torch.isfinite(dist).all()):
        raise ValueError(  # even a margin of 0 overflows: tau's fault
            f"ipo_loss overflows {h.dtype}: the target margin 1/(2 tau) = {target:.3g} is "
            "too large for it; use a larger 'tau'"
        )
    V.refuse(
        ~torch.isfinite(dist),
        lambda i: (
            f"ipo_loss overflows {h.dtype} at index {i}: the margin h = {h[i].item():.4g} "
            f"is so far from the target 1/(2 tau) = {target:.3g} that its square does not fit (the "
            "policy is far from the reference); pass float64 log-probabilities"
        ),
    )
    return V.safe_mean(dist)


def _per_token(ratio: torch.Tensor, n: torch.Tensor, name: str) -> torch.Tensor:
    """A log-ratio ``(P,)`` over its answer's token count ``n``, refused where that overflows."""
    per_token = ratio / n.to(ratio.dtype)  # (P,)
    V.refuse(
        ~torch.isfinite(per_token) & torch.isfinite(ratio),
        lambda i: (
            f"'{name}' = {n[i].item():.4g} at index {i} is too small: the log-ratio "
            f"{ratio[i].item():.4g} divided by it overflows {ratio.dtype} (a token count is at "
            "least 1)"
        ),
    )
    return per_token
