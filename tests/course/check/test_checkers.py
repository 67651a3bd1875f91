"""The exercise checkers accept right answers and reject plausible wrong ones with the right message.

For every checker: ptcourse's reference and a learner-style solution pass; each wrong implementation in
WRONG raises AssertionError whose message names the property that failed (the regex next to it); and a
stub that raises NotImplementedError prints "not done yet" without raising.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn.functional as F

import ptcourse
from ptcourse import check

LN2 = math.log(2.0)


# ------------------------------------------------------------------------------------------------
# learner-style right answers (written the way the chapters' solutions are)
# ------------------------------------------------------------------------------------------------


def _lp(logits, targets):
    return torch.log_softmax(logits.float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def ok_token_logprobs(logits, targets, *, chunk_size=None):
    return _lp(logits, targets)


def ok_token_logprobs_manual(logits, targets, *, chunk_size=None):
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
        return (nll.sum(-1) / keep.sum(-1)).mean()
    return nll.sum() / keep.sum()


def ok_entropy(logits):
    logp = torch.log_softmax(logits.float(), dim=-1)
    p = logp.exp()
    return -(p * logp.masked_fill(p == 0, 0.0)).sum(-1)


def ok_entropy_categorical(logits):
    return torch.distributions.Categorical(logits=logits).entropy()


def ok_kl_divergence(p_logits, q_logits):
    lp, lq = torch.log_softmax(p_logits, -1), torch.log_softmax(q_logits, -1)
    p = lp.exp()
    return torch.where(p > 0, p * (lp - lq), 0.0).sum(-1)


def ok_kl_estimate(logp, logq, kind="k3"):
    log_r = logq - logp
    if kind == "k1":
        return -log_r
    if kind == "k2":
        return 0.5 * log_r**2
    return log_r.exp() - 1 - log_r


def ok_kl_regularized_policy(ref_logits, rewards, beta):
    return torch.log_softmax(torch.log_softmax(ref_logits, -1) + rewards / beta, dim=-1)


def ok_dpo_loss(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp,
                beta=0.1):  # fmt: skip
    margin = (policy_chosen_logp - ref_chosen_logp) - (policy_rejected_logp - ref_rejected_logp)
    return -F.logsigmoid(beta * margin).mean()


def ok_grpo_advantages(rewards, *, scale=True, eps=1e-4):
    centred = rewards - rewards.mean(-1, keepdim=True)
    if not scale:
        return centred
    return centred / (rewards.std(-1, keepdim=True) + eps)


def ok_ppo_clip_loss(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None):
    hi = clip_eps if clip_eps_high is None else clip_eps_high
    ratio = (logp - old_logp).exp()
    obj = torch.minimum(ratio * advantages, ratio.clamp(1 - clip_eps, 1 + hi) * advantages)
    mask = mask.bool()
    return -torch.where(mask, obj, 0.0).sum() / mask.sum()


RIGHT = {
    "token_logprobs": [ok_token_logprobs, ok_token_logprobs_manual],
    "sequence_logprob": [ok_sequence_logprob],
    "cross_entropy": [ok_cross_entropy],
    "sft_loss": [ok_sft_loss],
    "entropy": [ok_entropy, ok_entropy_categorical],
    "kl_divergence": [ok_kl_divergence],
    "kl_estimate": [ok_kl_estimate],
    "kl_regularized_policy": [ok_kl_regularized_policy],
    "dpo_loss": [ok_dpo_loss],
    "grpo_advantages": [ok_grpo_advantages],
    "ppo_clip_loss": [ok_ppo_clip_loss],
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
        s = rewards.std(dim, keepdim=True, unbiased=(std == "bessel"))
        return centred / (s + e) if eps_where == "std" else centred / s

    return grpo_advantages


def _ppo(reduce="min", sign=-1.0, use_mask=True, per_seq=False, inverse=False, use_high=True,
         eps_fixed=None):  # fmt: skip
    def ppo_clip_loss(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None):
        eps = clip_eps if eps_fixed is None else eps_fixed
        hi = clip_eps_high if (clip_eps_high is not None and use_high) else eps
        ratio = (old_logp - logp).exp() if inverse else (logp - old_logp).exp()
        a, b = ratio * advantages, ratio.clamp(1 - eps, 1 + hi) * advantages
        obj = {"min": torch.minimum(a, b), "max": torch.maximum(a, b), "clipped": b, "raw": a}
        m = mask.bool() if use_mask else torch.ones_like(mask, dtype=torch.bool)
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
        ("sign", _h_sign, r"never negative"),
        ("log2", _h_bits, r"bits"),
        ("softmax over dim 0", _h_wrong_dim, r"wrong dimension"),
        ("p * log p", _h_naive, r"NaN.*0 \* log 0"),
        ("no max subtraction", _h_overflow, r"NaN.*overflow"),
        ("torch.where gradient trap", _h_where_trap, r"gradient.*finite"),
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
        ("clamped log q", _kl_clamped, r"expected \+inf"),
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
        ("whole-batch normalisation", _grpo(whole=True), r"average to 0 within each group"),
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

WRONG_CASES = [
    pytest.param(name, fn, pattern, id=f"{name}-{label}")
    for name, cases in WRONG.items()
    for label, fn, pattern in cases
]


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise: write this function, then run the check below.")


# ------------------------------------------------------------------------------------------------
# tests
# ------------------------------------------------------------------------------------------------


def test_every_exercise_has_a_checker_named_after_its_ptcourse_function():
    """CHECKERS covers the eleven exercises, and each name is a public ptcourse function."""
    assert set(check.CHECKERS) == set(RIGHT) == set(WRONG)
    for name, checker in check.CHECKERS.items():
        assert getattr(check, name) is checker
        assert callable(getattr(ptcourse, name)), name


@pytest.mark.parametrize("name", sorted(check.CHECKERS))
def test_reference_passes_with_a_success_line(name, capsys):
    """ptcourse's own function passes its checker, which prints one success line and returns None."""
    assert check.CHECKERS[name](getattr(ptcourse, name)) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and f"{name}: correct" in out, out


@pytest.mark.parametrize(
    "name, fn",
    [pytest.param(n, f, id=f"{n}-{f.__name__}") for n, fs in RIGHT.items() for f in fs],
)
def test_learner_style_solution_passes(name, fn, capsys):
    """A right answer written the way a learner would (log_softmax, torch.where, ...) passes."""
    check.CHECKERS[name](fn)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("name, fn, pattern", WRONG_CASES)
def test_wrong_implementation_is_rejected_with_the_property_named(name, fn, pattern):
    """A plausible wrong answer raises AssertionError naming the property it breaks."""
    with pytest.raises(AssertionError) as info:
        check.CHECKERS[name](fn)
    message = str(info.value)
    assert re.search(pattern, message, flags=re.S), f"message does not match {pattern!r}: {message}"
    assert message.startswith("your "), message


@pytest.mark.parametrize("name", sorted(check.CHECKERS))
def test_stub_prints_not_done_yet_and_does_not_raise(name, capsys):
    """The student stub (raises NotImplementedError) makes the checker print 'not done yet'."""
    assert check.CHECKERS[name](_stub) is None
    out = capsys.readouterr().out
    assert check.NOT_DONE in out and name in out, out


def test_other_exceptions_become_assertion_errors_that_show_the_input():
    """A crash inside the learner's function is reported as an AssertionError naming the input."""

    def broken(logits):
        raise RuntimeError("boom")

    with pytest.raises(AssertionError, match=r"raised RuntimeError: boom -- for uniform logits"):
        check.entropy(broken)


def test_checker_does_not_see_inputs_mutated_in_place():
    """A function that edits its inputs in place cannot corrupt the reference's copy."""

    def in_place(logits):
        out = ok_entropy(logits)
        logits.fill_(0.0)
        return out

    check.entropy(in_place)


def test_checker_rejects_a_non_function():
    """Passing the result instead of the function gets a clear TypeError."""
    with pytest.raises(TypeError, match=r"check\.entropy\(entropy\)"):
        check.entropy(torch.zeros(3))
