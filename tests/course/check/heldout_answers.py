"""A held-out set of learner answers (issue 25): none is in learner_answers.py or the practice tests.

HELDOUT_WRONG maps a checker to (label, function, regex): plausible wrong answers of the classes issue
25 found the probes blind to (a max over the whole tensor, log of softmax at very different scales,
half precision cast up, two known shapes unpacked, a mask taken as lengths, ``labels >= 0``, flatten
then shift, one answer span, ratios in probability space, a dual clip, a fixed group size, a tau
looked up in a table, the single ``torch.where`` and ``nansum`` KL whose gradient is NaN at p = 0).
Every one of them passed its checker before the probes of that commit; the regex is the diagnosis.

HELDOUT_RIGHT are right answers written differently (logsumexp, float64 inside, einsum, a double
where, BCE-with-logits, F.mse_loss, expm1, a loop over rows): each must still pass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _global_max_lsm(logits):
    """log-softmax with ONE max for the whole tensor (not per row)."""
    z = logits.float() - logits.float().max()
    return z - z.exp().sum(-1, keepdim=True).log()


def _pick(lp, targets):
    return lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def tl_global_max(logits, targets, *, chunk_size=None):
    return _pick(_global_max_lsm(logits), targets)


def tl_half_then_cast(logits, targets, *, chunk_size=None):
    return _pick(torch.log_softmax(logits, -1), targets).float()


def tl_two_shapes(logits, targets, *, chunk_size=None):
    if logits.dim() == 2:
        return _pick(torch.log_softmax(logits.float(), -1), targets)
    B, T, V = logits.shape
    flat = torch.log_softmax(logits.float().reshape(B * T, V), -1)
    return _pick(flat, targets.reshape(B * T)).reshape(B, T)


def sl_mask_as_lengths(logits, targets, mask=None):
    lp = _pick(torch.log_softmax(logits.float(), -1), targets)
    if mask is None:
        return lp.sum(-1)
    lengths = mask.sum(-1, keepdim=True)
    keep = torch.arange(lp.shape[-1]) < lengths
    return torch.where(keep, lp, 0.0).sum(-1)


def sl_log_of_softmax(logits, targets, mask=None):
    lp = _pick(torch.log(torch.softmax(logits.float(), -1)), targets)
    return lp.sum(-1) if mask is None else torch.where(mask.bool(), lp, 0.0).sum(-1)


def sl_clamped(logits, targets, mask=None):
    lp = _pick(torch.log_softmax(logits.float(), -1), targets).clamp(min=-1e4)  # "no -inf"
    return lp.sum(-1) if mask is None else torch.where(mask.bool(), lp, 0.0).sum(-1)


def ce_log_of_softmax(logits, targets, mask=None):
    nll = -_pick(torch.log(torch.softmax(logits.float(), -1)), targets)
    if mask is None:
        return nll.mean()
    return torch.where(mask.bool(), nll, 0.0).sum() / mask.bool().sum()


def ce_inf_to_num(logits, targets, mask=None):
    nll = -_pick(torch.log_softmax(logits.float(), -1), targets)
    nll = torch.nan_to_num(nll)  # "no inf in my loss"
    if mask is None:
        return nll.mean()
    return torch.where(mask.bool(), nll, 0.0).sum() / mask.bool().sum()


def ce_mask_as_lengths(logits, targets, mask=None):
    nll = -_pick(torch.log_softmax(logits.float(), -1), targets)
    if mask is None:
        return nll.mean()
    keep = torch.arange(nll.shape[-1]) < mask.sum(-1, keepdim=True)
    return torch.where(keep, nll, 0.0).sum() / keep.sum()


def _sft(lg, lb, keep, average):
    nll = torch.where(keep, -_pick(torch.log_softmax(lg.float(), -1), lb.clamp(min=0)), 0.0)
    if average == "sequence":
        n = keep.sum(-1)
        return (nll.sum(-1)[n > 0] / n[n > 0]).mean()
    return nll.sum() / keep.sum()


def sft_labels_nonnegative(logits, labels, *, ignore_index=-100, average="token"):
    lg, lb = logits[:, :-1], labels[:, 1:]
    return _sft(lg, lb, lb >= 0, average)


def sft_flatten_then_shift(logits, labels, *, ignore_index=-100, average="token"):
    if average == "sequence":  # per row, rightly
        return _sft(logits[:, :-1], labels[:, 1:], labels[:, 1:] != ignore_index, average)
    V = logits.shape[-1]
    lg, lb = logits.reshape(-1, V)[:-1], labels.reshape(-1)[1:]  # one long sequence
    keep = lb != ignore_index
    nll = -_pick(torch.log_softmax(lg.float(), -1), lb.clamp(min=0))
    return torch.where(keep, nll, 0.0).sum() / keep.sum()


def sft_one_span(logits, labels, *, ignore_index=-100, average="token"):
    lg, lb = logits[:, :-1], labels[:, 1:]
    kept = lb != ignore_index
    start = kept.int().argmax(-1, keepdim=True)  # the answer starts here and runs to the end
    end = kept.shape[-1] - kept.flip(-1).int().argmax(-1, keepdim=True)
    pos = torch.arange(kept.shape[-1])
    span = (pos >= start) & (pos < end) & kept.any(-1, keepdim=True)
    return _sft(lg, lb, span, average)


def h_global_max(logits):
    lp = _global_max_lsm(logits)
    p = lp.exp()
    return -(p * torch.where(p > 0, lp, 0.0)).sum(-1)


def h_two_shapes(logits):
    if logits.dim() not in (2, 3):
        raise ValueError("logits must be (N, V) or (B, T, V)")
    lp = torch.log_softmax(logits.float(), -1)
    p = lp.exp()
    return -(p * torch.where(p > 0, lp, 0.0)).sum(-1)


def kl_nansum(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1)
    return (lp.exp() * (lp - lq)).nansum(-1)


def kl_where_outside(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1)
    p = lp.exp()
    return torch.where(p == 0, torch.zeros_like(p), p * (lp - lq)).sum(-1)


def est_probability_ratio(logp, logq, kind="k3"):
    r = logq.exp() / logp.exp()
    if kind == "k1":
        return -torch.log(r)
    if kind == "k2":
        return 0.5 * torch.log(r) ** 2
    if kind == "k3":
        return r - 1 - torch.log(r)
    raise ValueError(f"kind must be 'k1', 'k2' or 'k3', got {kind!r}")


def pol_global_max(ref_logits, rewards, beta):
    if beta <= 0:
        raise ValueError(f"beta must be positive, got {beta}")
    return _global_max_lsm(torch.log_softmax(ref_logits, -1) + rewards / beta)


def dpo_probability_ratio(pc, pr, rc, rr, beta=0.1):
    ratio = (pc.exp() / rc.exp()) / (pr.exp() / rr.exp())
    return -F.logsigmoid(beta * torch.log(ratio)).mean()


def grpo_groups_of_four(rewards, *, scale=True, eps=1e-4):
    g = rewards.reshape(-1, 4)
    centred = g - g.mean(-1, keepdim=True)
    out = centred / (g.std(-1, keepdim=True) + eps) if scale else centred
    return out.reshape(rewards.shape)


def _ppo_core(ratio, advantages, mask, clip_eps, clip_eps_high, dual=None):
    hi = clip_eps if clip_eps_high is None else clip_eps_high
    obj = torch.minimum(ratio * advantages, ratio.clamp(1 - clip_eps, 1 + hi) * advantages)
    if dual is not None:  # dual-clip PPO: bound the loss of negative advantages at dual * A
        obj = torch.where(advantages < 0, torch.maximum(obj, dual * advantages), obj)
    m = mask.bool()
    return -torch.where(m, obj, 0.0).sum() / m.sum()


def ppo_probability_ratio(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None):
    ratio = logp.exp() / old_logp.exp()
    return _ppo_core(ratio, advantages, mask, clip_eps, clip_eps_high)


def ppo_dual_clip(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None):
    ratio = (logp - old_logp.detach()).exp()
    return _ppo_core(ratio, advantages, mask, clip_eps, clip_eps_high, dual=3.0)


def ppo_mask_as_lengths(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None):
    ratio = (logp - old_logp.detach()).exp()
    prefix = torch.arange(logp.shape[-1]) < mask.sum(-1, keepdim=True)
    return _ppo_core(ratio, advantages, prefix, clip_eps, clip_eps_high)


def ipo_tau_table(pc, pr, rc, rr, tau=0.1):
    target = {0.1: 5.0, 0.5: 1.0, 2.0: 0.25}.get(tau, 5.0)  # the taus a learner saw tested
    h = (pc - rc.detach()) - (pr - rr.detach())
    return ((h - target) ** 2).mean()


HELDOUT_WRONG = {
    "token_logprobs": [
        ("one max for the whole tensor", tl_global_max, r"each row|own max"),
        ("log-softmax in float16, then cast", tl_half_then_cast, r"float16|half"),
        ("two known shapes unpacked", tl_two_shapes, r"raised|shape"),
    ],
    "sequence_logprob": [
        ("mask taken as lengths", sl_mask_as_lengths, r"not a prefix"),
        ("log(softmax)", sl_log_of_softmax, r"log_softmax|overflow|underflow"),
        ("a kept -inf clamped away", sl_clamped, r"kept token of probability 0"),
    ],
    "cross_entropy": [
        ("log(softmax)", ce_log_of_softmax, r"log_softmax|overflow|underflow"),
        ("infinite loss turned finite", ce_inf_to_num, r"kept token.*-inf|infinite"),
        ("mask taken as lengths", ce_mask_as_lengths, r"not a prefix"),
    ],
    "sft_loss": [
        ("labels >= 0 as the mask", sft_labels_nonnegative, r"ignore_index"),
        ("flatten, then shift", sft_flatten_then_shift, r"row|causal shift"),
        ("one answer span", sft_one_span, r"span|ignore_index"),
    ],
    "entropy": [
        ("one max for the whole tensor", h_global_max, r"each row|own max"),
        ("two known shapes", h_two_shapes, r"raised|any number of"),
    ],
    "kl_divergence": [
        ("nansum", kl_nansum, r"gradient .*NaN.*double where|gradient .*NaN.*BEFORE"),
        ("torch.where outside the product", kl_where_outside, r"gradient .*NaN.*BEFORE"),
    ],
    "kl_estimate": [
        ("ratio in probability space", est_probability_ratio, r"log space|-300"),
    ],
    "kl_regularized_policy": [
        ("one max for the whole tensor", pol_global_max, r"each row|own max"),
    ],
    "dpo_loss": [
        ("ratios in probability space", dpo_probability_ratio, r"log space|-300"),
    ],
    "grpo_advantages": [
        ("groups of 4 hard-coded", grpo_groups_of_four, r"group size|last dimension"),
    ],
    "ppo_clip_loss": [
        ("ratio in probability space", ppo_probability_ratio, r"log space|-300"),
        ("dual clip", ppo_dual_clip, r"dual|no lower bound|ratio"),
        ("mask taken as lengths", ppo_mask_as_lengths, r"not a prefix"),
    ],
    "ipo_loss": [
        ("tau from a table", ipo_tau_table, r"tau"),
    ],
}


# ------------------------------------------------------------------------------------------------
# right answers written differently
# ------------------------------------------------------------------------------------------------


def ok_tl_logsumexp_float64(logits, targets, *, chunk_size=None):
    x = logits.double()
    out = x.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(x, -1)
    return out.float()


def ok_sl_masked_fill(logits, targets, mask=None):
    lp = ok_tl_logsumexp_float64(logits, targets)
    return lp.sum(-1) if mask is None else lp.masked_fill(~mask.bool(), 0.0).sum(-1)


def ok_ce_reduction_none(logits, targets, mask=None):
    V = logits.shape[-1]
    nll = F.cross_entropy(logits.float().reshape(-1, V), targets.reshape(-1), reduction="none")
    nll = nll.reshape(targets.shape)
    if mask is None:
        return nll.mean()
    m = mask.bool()
    return nll[m].sum() / m.sum()


def ok_sft_loop(logits, labels, *, ignore_index=-100, average="token"):
    totals, counts = [], []
    for lg, lb in zip(logits[:, :-1], labels[:, 1:], strict=True):
        keep = lb != ignore_index
        lp = torch.log_softmax(lg.float(), -1)[keep]
        totals.append(-lp.gather(-1, lb[keep].unsqueeze(-1)).sum())
        counts.append(keep.sum())
    total, count = torch.stack(totals), torch.stack(counts)
    if average == "token":
        return total.sum() / count.sum()
    return (total[count > 0] / count[count > 0]).mean()


def ok_h_einsum(logits):
    lp = torch.log_softmax(logits.float(), -1)
    p = lp.exp()
    return -torch.einsum("...v,...v->...", p, torch.where(p > 0, lp, 0.0))


def ok_kl_double_where(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1)
    p = lp.exp()
    safe = torch.where(p > 0, lp - lq, 0.0)  # inner where: no -inf reaches the product
    return torch.where(p > 0, p * safe, 0.0).sum(-1)


def ok_est_expm1(logp, logq, kind="k3"):
    log_r = logq - logp
    table = {"k1": lambda: -log_r, "k2": lambda: log_r.square() / 2,
             "k3": lambda: torch.expm1(log_r) - log_r}  # fmt: skip
    if kind not in table:
        raise ValueError(f"unknown kind {kind!r}")
    return table[kind]()


def ok_dpo_bce(pc, pr, rc, rr, beta=0.1):
    z = beta * ((pc - rc.detach()) - (pr - rr.detach()))
    return F.binary_cross_entropy_with_logits(z, torch.ones_like(z))


def ok_grpo_var_mean(rewards, *, scale=True, eps=1e-4):
    var, mean = torch.var_mean(rewards, -1, keepdim=True)
    centred = rewards - mean
    return centred / (var.sqrt() + eps) if scale else centred


def ok_ppo_log_space(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None):
    log_ratio = logp - old_logp.detach()
    hi = clip_eps if clip_eps_high is None else clip_eps_high
    clipped = torch.clamp(log_ratio, torch.log1p(torch.tensor(-clip_eps)),
                          torch.log1p(torch.tensor(hi))).exp()  # fmt: skip
    obj = torch.min(log_ratio.exp() * advantages, clipped * advantages)
    m = mask.bool()
    return -torch.where(m, obj, 0.0).sum() / m.sum()


def ok_ipo_mse(pc, pr, rc, rr, tau=0.1):
    h = (pc - rc.detach()) - (pr - rr.detach())
    return F.mse_loss(h, torch.full_like(h, 1 / (2 * tau)))


def ok_pol_logsumexp(ref_logits, rewards, beta):
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    z = torch.log_softmax(ref_logits, -1) + rewards / beta
    return z - torch.logsumexp(z, -1, keepdim=True)


HELDOUT_RIGHT = {
    "token_logprobs": [ok_tl_logsumexp_float64],
    "sequence_logprob": [ok_sl_masked_fill],
    "cross_entropy": [ok_ce_reduction_none],
    "sft_loss": [ok_sft_loop],
    "entropy": [ok_h_einsum],
    "kl_divergence": [ok_kl_double_where],
    "kl_estimate": [ok_est_expm1],
    "kl_regularized_policy": [ok_pol_logsumexp],
    "dpo_loss": [ok_dpo_bce],
    "grpo_advantages": [ok_grpo_var_mean],
    "ppo_clip_loss": [ok_ppo_log_space],
    "ipo_loss": [ok_ipo_mse],
}
