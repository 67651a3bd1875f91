"""Learner answers for the checker tests: right ones written in several equivalent ways, and wrong ones.

RIGHT maps each exercise to correct solutions (log_softmax, torch.distributions, F.cross_entropy,
boolean indexing, a torch.where guard, ...). WRONG maps it to (label, function, regex): each is a named
mistake class, and the regex is the diagnosis the checker's message must contain.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LN2 = math.log(2.0)


# ------------------------------------------------------------------------------------------------
# learner-style right answers (written the way the chapters' solutions are)
# ------------------------------------------------------------------------------------------------


def _lp(logits, targets):
    return torch.log_softmax(logits.float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def ok_token_logprobs(logits, targets, *, chunk_size=None):
    return _lp(logits, targets)


def ok_token_logprobs_manual(logits, targets, *, chunk_size=None):
    logits = logits.float()
    m = logits.max(-1, keepdim=True).values
    z = logits - m
    lse = z.exp().sum(-1, keepdim=True).log()
    return (z - lse).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def ok_sequence_logprob(logits, targets, mask=None):
    lp = _lp(logits, targets)
    if mask is None:
        return lp.sum(-1)
    return torch.where(mask.bool(), lp, 0.0).sum(-1)


def ok_cross_entropy(logits, targets, mask=None):
    nll = -_lp(logits, targets)
    if mask is None:
        return nll.mean()
    mask = mask.bool()
    return torch.where(mask, nll, 0.0).sum() / mask.sum()


def ok_sft_loss(logits, labels, *, ignore_index=-100, average="token"):
    logits, labels = logits[:, :-1], labels[:, 1:]
    keep = labels != ignore_index
    nll = -_lp(logits, labels.clamp(min=0)) * 1.0
    nll = torch.where(keep, nll, 0.0)
    if average == "sequence":
        n = keep.sum(-1)
        return (nll.sum(-1)[n > 0] / n[n > 0]).mean()  # boolean indexing leaves empty rows out
    return nll.sum() / keep.sum()


def ok_sft_loss_F(logits, labels, *, ignore_index=-100, average="token"):
    lg, lb = logits[:, :-1], labels[:, 1:]
    nll = F.cross_entropy(lg.transpose(1, 2), lb, ignore_index=ignore_index, reduction="none")
    keep = (lb != ignore_index).float()
    if average == "token":
        return nll.sum() / keep.sum()
    n = keep.sum(-1)
    per_seq = torch.where(n > 0, nll.sum(-1) / n.clamp(min=1), 0.0)
    return per_seq.sum() / (n > 0).sum()


def ok_entropy(logits):
    logp = torch.log_softmax(logits.float(), dim=-1)
    p = logp.exp()
    return -(p * logp.masked_fill(p == 0, 0.0)).sum(-1)


def ok_entropy_categorical(logits):
    return torch.distributions.Categorical(logits=logits).entropy()


def ok_kl_divergence(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1)
    p = lp.exp()
    return (p * torch.where(p > 0, lp - lq, 0.0)).sum(-1)  # the where INSIDE the product


def _kl_single_where(p_logits, q_logits):
    """Right values, but a NaN gradient where p = 0 (this catalogue once listed it as right)."""
    lp, lq = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1)
    p = lp.exp()
    return torch.where(p > 0, p * (lp - lq), 0.0).sum(-1)


def ok_kl_estimate(logp, logq, kind="k3"):
    log_r = logq - logp
    if kind == "k1":
        return -log_r
    if kind == "k2":
        return 0.5 * log_r**2
    if kind == "k3":
        return log_r.exp() - 1 - log_r
    raise ValueError(f"kind must be 'k1', 'k2' or 'k3', got {kind!r}")


def ok_kl_regularized_policy(ref_logits, rewards, beta):
    if beta <= 0:
        raise ValueError(f"beta must be positive, got {beta}")
    return torch.log_softmax(torch.log_softmax(ref_logits, -1) + rewards / beta, dim=-1)


def ok_dpo_loss(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp,
                beta=0.1):  # fmt: skip
    rc, rr = ref_chosen_logp.detach(), ref_rejected_logp.detach()  # the frozen reference
    margin = (policy_chosen_logp - rc) - (policy_rejected_logp - rr)
    return -F.logsigmoid(beta * margin).mean()


def ok_grpo_advantages(rewards, *, scale=True, eps=1e-4):
    centred = rewards - rewards.mean(-1, keepdim=True)
    if not scale:
        return centred
    return centred / (rewards.std(-1, keepdim=True) + eps)


def ok_ppo_clip_loss(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None):
    hi = clip_eps if clip_eps_high is None else clip_eps_high
    ratio = (logp - old_logp.detach()).exp()
    obj = torch.minimum(ratio * advantages, ratio.clamp(1 - clip_eps, 1 + hi) * advantages)
    mask = mask.bool()
    return -torch.where(mask, obj, 0.0).sum() / mask.sum()


def ok_ppo_clip_loss_float_mask(logp, old_logp, advantages, mask, *, clip_eps=0.2,
                                clip_eps_high=None):  # fmt: skip
    high = clip_eps if clip_eps_high is None else clip_eps_high
    with torch.no_grad():
        old = old_logp.clone()
    ratio = torch.exp(logp - old)
    obj = torch.minimum(ratio * advantages, ratio.clamp(1 - clip_eps, 1 + high) * advantages)
    m = mask.float()
    return -(obj * m).sum() / m.sum()


def ok_kl_estimate_ref_detached(logp, logq, kind="k3"):
    return ok_kl_estimate(logp, logq.detach(), kind)  # q as the frozen reference


def ok_dpo_loss_torch_no_grad_ref(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp,
                                  ref_rejected_logp, beta=0.1):  # fmt: skip
    with torch.no_grad():
        ref_margin = ref_chosen_logp - ref_rejected_logp
    margin = (policy_chosen_logp - policy_rejected_logp) - ref_margin
    return -F.logsigmoid(beta * margin).mean()


def ok_cross_entropy_F(logits, targets, mask=None):
    nll = F.cross_entropy(logits.flatten(0, -2), targets.flatten(), reduction="none")
    if mask is None:
        return nll.mean()
    return nll[mask.flatten().bool()].mean()  # boolean indexing


def _kl_distributions(p_logits, q_logits):
    """Right values, but torch.distributions zeroes the p = 0 terms after the product: NaN gradient."""
    P, Q = (torch.distributions.Categorical(logits=x) for x in (p_logits, q_logits))
    return torch.distributions.kl_divergence(P, Q)


def ok_grpo_advantages_where_guard(rewards, *, scale=True, eps=1e-4):
    centred = rewards - rewards.mean(dim=-1, keepdim=True)
    if not scale:
        return centred
    std = rewards.std(dim=-1, keepdim=True)
    return torch.where(std > 0, centred / (std + eps), torch.zeros_like(centred))


def ok_sequence_logprob_float_mask(logits, targets, mask=None):
    lp = _lp(logits, targets)
    if mask is None:
        return lp.sum(-1)
    return lp.masked_fill(mask == 0, 0.0).sum(-1)


RIGHT = {
    "token_logprobs": [ok_token_logprobs, ok_token_logprobs_manual],
    "sequence_logprob": [ok_sequence_logprob, ok_sequence_logprob_float_mask],
    "cross_entropy": [ok_cross_entropy, ok_cross_entropy_F],
    "sft_loss": [ok_sft_loss, ok_sft_loss_F],
    "entropy": [ok_entropy, ok_entropy_categorical],
    "kl_divergence": [ok_kl_divergence],
    "kl_estimate": [ok_kl_estimate, ok_kl_estimate_ref_detached],
    "kl_regularized_policy": [ok_kl_regularized_policy],
    "dpo_loss": [ok_dpo_loss, ok_dpo_loss_torch_no_grad_ref],
    "grpo_advantages": [ok_grpo_advantages, ok_grpo_advantages_where_guard],
    "ppo_clip_loss": [ok_ppo_clip_loss, ok_ppo_clip_loss_float_mask],
}


# ------------------------------------------------------------------------------------------------
# plausible wrong answers: (label, function, regex the message must match)
# ------------------------------------------------------------------------------------------------


def _tl_wrong_dim(logits, targets, *, chunk_size=None):
    return torch.log_softmax(logits, dim=0).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def _tl_bits(logits, targets, *, chunk_size=None):
    return _lp(logits, targets) / LN2


def _tl_probs(logits, targets, *, chunk_size=None):
    return torch.softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def _tl_raw_logit(logits, targets, *, chunk_size=None):
    return logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def _tl_no_squeeze(logits, targets, *, chunk_size=None):
    return torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1))


def _tl_log_of_softmax(logits, targets, *, chunk_size=None):
    return torch.softmax(logits, -1).log().gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def _tl_no_max(logits, targets, *, chunk_size=None):
    e = logits.exp()
    return (e / e.sum(-1, keepdim=True)).log().gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def _tl_2d_only(logits, targets, *, chunk_size=None):
    return torch.log_softmax(logits, -1)[torch.arange(len(targets)), targets]


def _sl_mean(logits, targets, mask=None):
    lp = _lp(logits, targets)
    return lp.mean(-1) if mask is None else torch.where(mask.bool(), lp, 0).sum(-1) / mask.sum(-1)


def _sl_no_mask(logits, targets, mask=None):
    return _lp(logits, targets).sum(-1)


def _sl_inverted(logits, targets, mask=None):
    lp = _lp(logits, targets)
    return lp.sum(-1) if mask is None else torch.where(~mask.bool(), lp, 0).sum(-1)


def _sl_multiply(logits, targets, mask=None):
    lp = _lp(logits, targets)
    return lp.sum(-1) if mask is None else (lp * mask).sum(-1)


def _sl_where_needs_bool(logits, targets, mask=None):
    lp = _lp(logits, targets)
    return lp.sum(-1) if mask is None else torch.where(mask, lp, 0).sum(-1)


def _sl_batch_sum(logits, targets, mask=None):
    return _lp(logits, targets).sum(0)


def _ce_sign(logits, targets, mask=None):
    return -ok_cross_entropy(logits, targets, mask)


def _ce_sum(logits, targets, mask=None):
    nll = -_lp(logits, targets)
    return nll.sum() if mask is None else torch.where(mask.bool(), nll, 0).sum()


def _ce_bits(logits, targets, mask=None):
    return ok_cross_entropy(logits, targets, mask) / LN2


def _ce_no_mask(logits, targets, mask=None):
    return -_lp(logits, targets).mean()


def _ce_numel(logits, targets, mask=None):
    nll = -_lp(logits, targets)
    return nll.mean() if mask is None else torch.where(mask.bool(), nll, 0).sum() / mask.numel()


def _ce_per_seq(logits, targets, mask=None):
    nll = -_lp(logits, targets)
    if mask is None:
        return nll.mean()
    m = mask.bool()
    return (torch.where(m, nll, 0).sum(-1) / m.sum(-1)).mean()


def _ce_multiply(logits, targets, mask=None):
    nll = -_lp(logits, targets)
    return nll.mean() if mask is None else (nll * mask).sum() / mask.sum()


def _sft_no_shift(logits, labels, *, ignore_index=-100, average="token"):
    keep = labels != ignore_index
    nll = torch.where(keep, -_lp(logits, labels.clamp(min=0)), 0.0)
    if average == "sequence":
        return (nll.sum(-1) / keep.sum(-1)).mean()
    return nll.sum() / keep.sum()


def _sft_reverse_shift(logits, labels, *, ignore_index=-100, average="token"):
    return _sft_no_shift(logits[:, 1:], labels[:, :-1], ignore_index=ignore_index, average=average)


def _sft_always_sequence(logits, labels, *, ignore_index=-100, average="token"):
    return ok_sft_loss(logits, labels, ignore_index=ignore_index, average="sequence")


def _sft_always_token(logits, labels, *, ignore_index=-100, average="token"):
    return ok_sft_loss(logits, labels, ignore_index=ignore_index, average="token")


def _sft_hardcoded_ignore(logits, labels, *, ignore_index=-100, average="token"):
    return ok_sft_loss(logits, labels, ignore_index=-100, average=average)


def _sft_no_ignore(logits, labels, *, ignore_index=-100, average="token"):
    return -_lp(logits[:, :-1], labels[:, 1:]).mean()


def _sft_all_positions(logits, labels, *, ignore_index=-100, average="token"):
    lg, lb = logits[:, :-1], labels[:, 1:]
    keep = lb != ignore_index
    return torch.where(keep, -_lp(lg, lb.clamp(min=0)), 0.0).mean()


def _h_sign(logits):
    return -ok_entropy(logits)


def _h_bits(logits):
    return ok_entropy(logits) / LN2


def _h_wrong_dim(logits):
    lp = torch.log_softmax(logits, 0)
    return -(lp.exp() * lp).sum(-1)


def _h_naive(logits):
    p = torch.softmax(logits, -1)
    return -(p * p.log()).sum(-1)


def _h_overflow(logits):
    e = logits.exp()
    p = e / e.sum(-1, keepdim=True)
    return -torch.special.xlogy(p, p).sum(-1)


def _h_where_trap(logits):
    lp = torch.log_softmax(logits, -1)
    p = lp.exp()
    return -torch.where(p > 0, p * lp, 0.0).sum(-1)


def _h_sum_all(logits):
    return ok_entropy(logits).sum()


def _kl_swapped(p_logits, q_logits):
    return ok_kl_divergence(q_logits, p_logits)


def _kl_negative(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1)
    return (lq.exp() * (lp - lq)).sum(-1)


def _kl_bits(p_logits, q_logits):
    return ok_kl_divergence(p_logits, q_logits) / LN2


def _kl_mean(p_logits, q_logits):
    return ok_kl_divergence(p_logits, q_logits) / p_logits.shape[-1]


def _kl_wrong_dim(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, 0), torch.log_softmax(q_logits, 0)
    return (lp.exp() * (lp - lq)).sum(-1)


def _kl_unnormalised(p_logits, q_logits):
    return (p_logits.softmax(-1) * (p_logits - q_logits)).sum(-1)


def _kl_naive(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1)
    return (lp.exp() * (lp - lq)).sum(-1)


def _kl_torch_kl_div(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1)
    return F.kl_div(lq, lp, log_target=True, reduction="none").sum(-1)


def _kl_clamped(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1).clamp(min=-30)
    p = lp.exp()
    return torch.where(p > 0, p * (lp - lq), 0.0).sum(-1)


def _est(swap=False, k2_factor=0.5, k3_sign=1.0, default="k3", bits=False):
    def kl_estimate(logp, logq, kind=None):
        kind = kind or default
        log_r = (logp - logq) if swap else (logq - logp)
        out = {
            "k1": -log_r,
            "k2": k2_factor * log_r**2,
            "k3": k3_sign * (log_r.exp() - 1 - log_r),
        }[kind]
        return out / LN2 if bits else out

    return kl_estimate


def _pol_unnormalised(ref_logits, rewards, beta):
    return ref_logits + rewards / beta


def _pol_probs(ref_logits, rewards, beta):
    return ok_kl_regularized_policy(ref_logits, rewards, beta).exp()


def _pol_times_beta(ref_logits, rewards, beta):
    return torch.log_softmax(ref_logits + rewards * beta, -1)


def _pol_no_ref(ref_logits, rewards, beta):
    return torch.log_softmax(rewards / beta, -1)


def _pol_overflow(ref_logits, rewards, beta):
    w = ref_logits.softmax(-1) * torch.exp(rewards / beta)
    return (w / w.sum(-1, keepdim=True)).log()


def _pol_wrong_dim(ref_logits, rewards, beta):
    return torch.log_softmax(ref_logits + rewards / beta, 0)


def _dpo(fn_margin=None, beta_used=None, reduce="mean", logsig=True, sign=1.0):
    def dpo_loss(pc, pr, rc, rr, beta=0.1):
        b = beta if beta_used is None else beta_used
        m = fn_margin(pc, pr, rc, rr) if fn_margin else (pc - rc) - (pr - rr)
        ls = F.logsigmoid(b * m) if logsig else torch.log(torch.sigmoid(b * m))
        out = -ls.mean() if reduce == "mean" else -ls.sum()
        return sign * out

    return dpo_loss


def _grpo(std="bessel", eps_where="std", dim=-1, scale_mode="ok", eps_fixed=None, whole=False):
    def grpo_advantages(rewards, *, scale=True, eps=1e-4):
        e = eps if eps_fixed is None else eps_fixed
        if whole:
            centred = rewards - rewards.mean()
            return centred / (rewards.std() + e)
        centred = rewards - rewards.mean(dim, keepdim=True)
        do_scale = {"ok": scale, "always": True, "never": False}[scale_mode]
        if not do_scale:
            return centred
        if eps_where == "sqrt":
            return centred / torch.sqrt(rewards.var(dim, keepdim=True) + e)
        if std == "batch":
            s = rewards.std()
        else:
            s = rewards.std(dim, keepdim=True, unbiased=(std == "bessel"))
        if eps_where == "clamp":
            return centred / s.clamp_min(e)
        return centred / (s + e) if eps_where == "std" else centred / s

    return grpo_advantages


def _ppo(reduce="min", sign=-1.0, use_mask=True, per_seq=False, inverse=False, use_high=True,
         eps_fixed=None, ratio_of="exp", unsqueeze=False, float_where=False):  # fmt: skip
    def ppo_clip_loss(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None):
        eps = clip_eps if eps_fixed is None else eps_fixed
        hi = clip_eps_high if (clip_eps_high is not None and use_high) else eps
        ratio = (old_logp - logp).exp() if inverse else (logp - old_logp).exp()
        if ratio_of == "div":
            ratio = logp / old_logp
        if unsqueeze:
            advantages = advantages.unsqueeze(-1)
        a, b = ratio * advantages, ratio.clamp(1 - eps, 1 + hi) * advantages
        obj = {"min": torch.minimum(a, b), "max": torch.maximum(a, b), "clipped": b, "raw": a,
               "clip product": torch.minimum(a, a.clamp(1 - eps, 1 + hi))}  # fmt: skip
        m = (
            mask
            if float_where
            else mask.bool()
            if use_mask
            else torch.ones_like(mask, dtype=torch.bool)
        )
        x = torch.where(m, sign * obj[reduce], 0.0)
        return (x.sum(-1) / m.sum(-1)).mean() if per_seq else x.sum() / m.sum()

    return ppo_clip_loss


WRONG = {
    "token_logprobs": [
        ("softmax over dim 0", _tl_wrong_dim, r"wrong dimension"),
        ("log2", _tl_bits, r"bits"),
        ("probabilities", _tl_probs, r"never positive"),
        ("raw logit", _tl_raw_logit, r"never positive"),
        ("no squeeze", _tl_no_squeeze, r"shape .*squeeze"),
        ("log(softmax)", _tl_log_of_softmax, r"-inf.*log_softmax"),
        ("no max subtraction", _tl_no_max, r"NaN.*overflow"),
        ("2-D indexing only", _tl_2d_only, r"shape|raised"),
    ],
    "sequence_logprob": [
        ("mean", _sl_mean, r"SUM"),
        ("mask ignored", _sl_no_mask, r"ignored the mask"),
        ("mask inverted", _sl_inverted, r"wrong way round"),
        ("multiply by mask", _sl_multiply, r"NaN.*multiplying by the mask"),
        ("where with a float mask", _sl_where_needs_bool, r"raised.*mask\.bool\(\)"),
        ("sum over batch", _sl_batch_sum, r"shape"),
    ],
    "cross_entropy": [
        ("sign", _ce_sign, r"never\s+negative"),
        ("sum", _ce_sum, r"mean"),
        ("log2", _ce_bits, r"bits"),
        ("mask ignored", _ce_no_mask, r"ignored the mask"),
        ("divide by numel", _ce_numel, r"KEPT tokens"),
        ("per-sequence mean", _ce_per_seq, r"per sequence"),
        ("multiply by mask", _ce_multiply, r"NaN.*multiplying by the mask"),
    ],
    "sft_loss": [
        ("no causal shift", _sft_no_shift, r"causal shift"),
        ("shift the wrong way", _sft_reverse_shift, r"other way"),
        ("sequence mean for average='token'", _sft_always_sequence, r"per-sequence means"),
        ("ignores average", _sft_always_token, r"average='sequence'"),
        ("hard-coded -100", _sft_hardcoded_ignore, r"ignore_index"),
        ("ignore_index not handled", _sft_no_ignore, r"raised.*ignore_index"),
        ("divides by all positions", _sft_all_positions, r"kept labels"),
    ],
    "entropy": [
        ("sign", _h_sign, r"forgot the minus sign"),
        ("log2", _h_bits, r"bits"),
        ("softmax over dim 0", _h_wrong_dim, r"wrong dimension"),
        ("p * log p", _h_naive, r"NaN.*0 \* log 0"),
        ("no max subtraction", _h_overflow, r"NaN.*overflow"),
        (
            "torch.where gradient trap",
            _h_where_trap,
            r"gradient with respect to `logits` is NaN.*BEFORE multiplying",
        ),
        ("sums the batch", _h_sum_all, r"shape"),
    ],
    "kl_divergence": [
        ("KL(q||p)", _kl_swapped, r"swapped"),
        ("weights by q", _kl_negative, r"KL is negative for p=\[0\.7, 0\.3\], q=\[0\.2, 0\.8\]"),
        ("log2", _kl_bits, r"bits"),
        ("mean over the vocabulary", _kl_mean, r"don't average"),
        ("softmax over dim 0", _kl_wrong_dim, r"wrong dimension"),
        ("logits as log-probs", _kl_unnormalised, r"log_softmax"),
        ("p * (log p - log q)", _kl_naive, r"NaN.*0 \* log 0"),
        ("F.kl_div with log targets", _kl_torch_kl_div, r"NaN"),
        ("clamped log q", _kl_clamped, r"not \+inf.*infinite"),
        (
            "torch.where around the product",
            _kl_single_where,
            r"gradient with respect to `p_logits` is NaN.*BEFORE multiplying.*double where",
        ),
        (
            "torch.distributions.kl_divergence",
            _kl_distributions,
            r"gradient with respect to `p_logits` is NaN",
        ),
    ],
    "kl_estimate": [
        ("swapped log-ratio", _est(swap=True), r"swapped the log-ratio"),
        ("k2 without the half", _est(k2_factor=1.0), r"HALF"),
        ("k3 with the wrong sign", _est(k3_sign=-1.0), r"k3 .*never negative"),
        ("default kind k1", _est(default="k1"), r"default kind is 'k3'"),
        ("log2", _est(bits=True), r"bits"),
    ],
    "kl_regularized_policy": [
        ("not normalised", _pol_unnormalised, r"not normalised"),
        ("probabilities", _pol_probs, r"probabilities"),
        ("r * beta", _pol_times_beta, r"Divide the reward by beta"),
        ("no reference", _pol_no_ref, r"left out the reference"),
        ("exp overflow", _pol_overflow, r"overflows.*log space"),
        ("softmax over dim 0", _pol_wrong_dim, r"wrong dimension"),
    ],
    "dpo_loss": [
        ("chosen/rejected swapped", _dpo(lambda pc, pr, rc, rr: (pr - rr) - (pc - rc)), r"swapped"),
        ("no reference", _dpo(lambda pc, pr, rc, rr: pc - pr), r"left out the reference"),
        ("no beta", _dpo(beta_used=1.0), r"Multiply the margin by beta"),
        ("sum over pairs", _dpo(reduce="sum"), r"mean"),
        ("beta argument ignored", _dpo(beta_used=0.1), r"ignored the beta"),
        ("log(sigmoid)", _dpo(logsig=False), r"logsigmoid"),
        ("sign", _dpo(sign=-1.0), r"never\s+negative"),
    ],
    "grpo_advantages": [
        ("population std", _grpo(std="population"), r"Bessel"),
        ("eps inside sqrt", _grpo(eps_where="sqrt"), r"inside the square root"),
        ("no eps", _grpo(eps_where="none"), r"Add eps to the std"),
        ("whole-batch normalisation", _grpo(whole=True), r"whole batch"),
        ("std over dim 0", _grpo(dim=0), r"average to 0 within each group"),
        ("never scales", _grpo(scale_mode="never"), r"divide by \(std \+ eps\)"),
        ("scale=False ignored", _grpo(scale_mode="always"), r"scale=False only subtract"),
        ("eps argument ignored", _grpo(eps_fixed=1e-4), r"ignored the eps"),
    ],
    "ppo_clip_loss": [
        ("max instead of min", _ppo(reduce="max"), r"MINIMUM"),
        ("no minus sign", _ppo(sign=1.0), r"NEGATIVE"),
        ("mask ignored", _ppo(use_mask=False), r"ignored the mask"),
        ("per-sequence mean", _ppo(per_seq=True), r"token mean"),
        ("old over new", _ppo(inverse=True), r"new over old"),
        ("clipped term only", _ppo(reduce="clipped"), r"clipped\s+term alone"),
        ("no clipping", _ppo(reduce="raw"), r"forgot to clip"),
        ("clip_eps_high ignored", _ppo(use_high=False), r"clip_eps_high"),
        ("clip_eps ignored", _ppo(eps_fixed=0.2), r"ignored the clip_eps"),
    ],
}


# ------------------------------------------------------------------------------------------------
# the mistake classes of issue 13: no gradient, in place, musts, other shapes, specific diagnoses
# ------------------------------------------------------------------------------------------------


def _tl_half(logits, targets, *, chunk_size=None):
    return torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def _tl_detached(logits, targets, *, chunk_size=None):
    return _lp(logits, targets).detach()


def _tl_numpy(logits, targets, *, chunk_size=None):
    return _lp(logits, targets).numpy()


def _tl_sub_(logits, targets, *, chunk_size=None):
    logits.sub_(logits.max(-1, keepdim=True).values)  # changes the caller's logits
    return _lp(logits, targets)


def _tl_dim1(logits, targets, *, chunk_size=None):
    return torch.log_softmax(logits, 1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def _sl_targets_in_place(logits, targets, mask=None):
    if mask is not None:
        targets[~mask.bool()] = 0
    return ok_sequence_logprob(logits, targets, mask)


def _ce_dim0(logits, targets, mask=None):
    nll = -torch.log_softmax(logits, 0).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return nll.mean() if mask is None else nll[mask.bool()].mean()


def _ce_item(logits, targets, mask=None):
    return ok_cross_entropy(logits, targets, mask).item()


def _sft_shift_two(logits, labels, *, ignore_index=-100, average="token"):
    return _sft_no_shift(logits[:, :-2], labels[:, 2:], ignore_index=ignore_index, average=average)


def _sft_mask_forgotten(logits, labels, *, ignore_index=-100, average="token"):
    lg, lb = logits[:, :-1], labels[:, 1:]
    return -_lp(lg, lb.clamp(min=0)).mean()


def _sft_labels_in_place(logits, labels, *, ignore_index=-100, average="token"):
    keep = labels != ignore_index
    labels[labels == ignore_index] = 0  # changes the caller's labels
    lg, lb, k = logits[:, :-1], labels[:, 1:], keep[:, 1:]
    nll = torch.where(k, -_lp(lg, lb), 0.0)
    if average == "sequence":
        n = k.sum(-1)
        return (nll.sum(-1)[n > 0] / n[n > 0]).mean()
    return nll.sum() / k.sum()


def _sft_nan_empty_row(logits, labels, *, ignore_index=-100, average="token"):
    lg, lb = logits[:, :-1], labels[:, 1:]
    keep = lb != ignore_index
    nll = torch.where(keep, -_lp(lg, lb.clamp(min=0)), 0.0)
    if average == "sequence":
        return (nll.sum(-1) / keep.sum(-1)).mean()  # 0 / 0 for a row without labels
    return nll.sum() / keep.sum()


def _sft_detached(logits, labels, *, ignore_index=-100, average="token"):
    return ok_sft_loss(logits.detach(), labels, ignore_index=ignore_index, average=average)


def _h_dim1(logits):
    lp = torch.log_softmax(logits, 1)
    return -(lp.exp() * lp).sum(-1)


def _h_sum_dim0(logits):
    logp = torch.log_softmax(logits, -1)
    return -(logp.exp() * logp.masked_fill(logp == -math.inf, 0.0)).sum(0)


def _h_float(logits):
    return float(ok_entropy(logits).sum())


def _h_detached(logits):
    return ok_entropy(logits.detach())


def _h_clamp_(logits):
    logits.clamp_(min=-1e4)  # changes the caller's logits
    return ok_entropy(logits)


def _kl_dim1(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, 1), torch.log_softmax(q_logits, 1)
    return (lp.exp() * (lp - lq)).sum(-1)


def _kl_q_detached(p_logits, q_logits):
    return ok_kl_divergence(p_logits, q_logits.detach())


def _est_no_error(logp, logq, kind="k3"):
    return ok_kl_estimate(logp, logq, kind if kind in ("k1", "k2") else "k3")


def _est_key_error(logp, logq, kind="k3"):
    log_r = logq - logp
    return {"k1": lambda: -log_r, "k2": lambda: 0.5 * log_r**2,
            "k3": lambda: log_r.exp() - 1 - log_r}[kind]()  # fmt: skip


def _est_vague_error(logp, logq, kind="k3"):
    if kind not in ("k1", "k2", "k3"):
        raise ValueError("unknown estimator")
    return ok_kl_estimate(logp, logq, kind)


def _pol_any_beta(ref_logits, rewards, beta):
    return torch.log_softmax(torch.log_softmax(ref_logits, -1) + rewards / beta, dim=-1)


def _pol_dim1(ref_logits, rewards, beta):
    if beta <= 0:
        raise ValueError("beta must be positive")
    return torch.log_softmax(ref_logits + rewards / beta, 1)


def _dpo_beta_one_side(pc, pr, rc, rr, beta=0.1):
    return -F.logsigmoid(beta * (pc - rc) - (pr - rr)).mean()


def _dpo_item(pc, pr, rc, rr, beta=0.1):
    return ok_dpo_loss(pc, pr, rc, rr, beta).item()


def _dpo_detached(pc, pr, rc, rr, beta=0.1):
    return ok_dpo_loss(pc.detach(), pr.detach(), rc, rr, beta)


def _dpo_ref_trained(pc, pr, rc, rr, beta=0.1):
    return -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()  # the reference gets gradient


def _grpo_sub_(rewards, *, scale=True, eps=1e-4):
    rewards.sub_(rewards.mean(-1, keepdim=True))  # changes the caller's rewards
    return ok_grpo_advantages(rewards, scale=scale, eps=eps)


def _ppo_logp_clamp_(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None):
    logp.clamp_(max=-1.0)  # changes the caller's logp
    return ok_ppo_clip_loss(logp, old_logp, advantages, mask, clip_eps=clip_eps,
                            clip_eps_high=clip_eps_high)  # fmt: skip


WRONG["token_logprobs"] += [
    ("half precision kept", _tl_half, r"float32"),
    (".detach()", _tl_detached, r"carries no gradient"),
    (".numpy()", _tl_numpy, r"not a torch tensor"),
    ("logits.sub_ in place", _tl_sub_, r"changed its argument `logits` in place"),
    ("softmax over dim 1", _tl_dim1, r"wrong dimension"),
]
WRONG["sequence_logprob"] += [
    ("targets changed in place", _sl_targets_in_place, r"changed its argument `targets`"),
]
WRONG["cross_entropy"] += [
    ("softmax over dim 0", _ce_dim0, r"wrong dimension"),
    (".item()", _ce_item, r"returned a float, not a torch tensor"),
]
WRONG["sft_loss"] += [
    ("shifted by two", _sft_shift_two, r"shifted by two"),
    ("mask forgotten", _sft_mask_forgotten, r"forgot the mask"),
    ("labels changed in place", _sft_labels_in_place, r"changed its argument `labels` in place"),
    ("NaN for a row with no label", _sft_nan_empty_row, r"NaN.*keeps no label"),
    (".detach()", _sft_detached, r"carries no gradient"),
]
WRONG["entropy"] += [
    ("softmax over dim 1", _h_dim1, r"wrong dimension"),
    ("sum over dim 0", _h_sum_dim0, r"shape"),
    ("float()", _h_float, r"not a torch tensor"),
    (".detach()", _h_detached, r"carries no gradient"),
    ("logits.clamp_ in place", _h_clamp_, r"changed its argument `logits` in place"),
]
WRONG["kl_divergence"] += [
    ("softmax over dim 1", _kl_dim1, r"Wrong dimension.*LAST dimension"),
    ("q detached", _kl_q_detached, r"gradient to `q_logits`"),
]
WRONG["kl_estimate"] += [
    ("unknown kind accepted", _est_no_error, r"accepted \S+ instead of raising ValueError"),
    ("KeyError for an unknown kind", _est_key_error, r"raised KeyError, not ValueError"),
    ("ValueError that does not name kind", _est_vague_error, r"does not name `kind`"),
]
WRONG["kl_regularized_policy"] += [
    ("beta <= 0 accepted", _pol_any_beta, r"accepted \S+ instead of raising ValueError"),
    ("softmax over dim 1", _pol_dim1, r"Wrong dimension.*LAST dimension"),
]
WRONG["dpo_loss"] += [
    ("beta on one side", _dpo_beta_one_side, r"not one side"),
    (".item()", _dpo_item, r"not a torch tensor"),
    ("policy detached", _dpo_detached, r"carries no gradient"),
    ("reference not detached", _dpo_ref_trained, r"sends gradient into `ref_chosen_logp`"),
]
WRONG["grpo_advantages"] += [
    ("std over the whole batch", _grpo(std="batch"), r"std of the whole batch"),
    ("std.clamp_min(eps)", _grpo(eps_where="clamp"), r"clamp_min"),
    ("rewards.sub_ in place", _grpo_sub_, r"changed its argument `rewards` in place"),
]
WRONG["ppo_clip_loss"] += [
    ("old_logp not detached", _ppo(), r"sends gradient into `old_logp`"),
    ("ratio logp / old_logp", _ppo(ratio_of="div"), r"not logp / old_logp"),
    ("clip applied to rho * A", _ppo(reduce="clip product"), r"not the product"),
    ("advantages unsqueezed", _ppo(unsqueeze=True), r"without unsqueeze"),
    ("torch.where with a float mask", _ppo(float_where=True), r"raised.*mask\.bool\(\)"),
    ("logp.clamp_ in place", _ppo_logp_clamp_, r"changed its argument `logp` in place"),
]
