"""The guard of each public core function: one call that checks all its arguments (private).

A public core function calls its guard once, first, so that its body reads as its formula. Guards
are built from the checks of :mod:`ptcourse._validate` and return what the formula needs (the bool
mask, the compute dtype, the checked coefficients).
"""

from __future__ import annotations

import torch

from . import _validate as V

__all__: list[str] = []


def logit_pair(p_logits, q_logits) -> None:
    """``p_logits`` and ``q_logits`` are tensors (the engine checks the rest, by name)."""
    V.tensor(p_logits, "p_logits")
    V.tensor(q_logits, "q_logits")


def logprob_pair(logp, logq, kind) -> None:
    """Log-probabilities of the same samples under p and q: same shape and device, ``logp`` > -inf."""
    V.logprob(logp, "logp")
    V.logprob(logq, "logq")
    V.alike(logp, "logp", logq, "logq")
    V.kind(kind)
    if logp.numel() and bool(torch.isneginf(logp).any()):
        raise ValueError(
            f"'logp' contains -inf: samples x ~ p cannot have p(x) = 0 (shape {tuple(logp.shape)})"
        )


def reward_shaping(scores, logp, ref_logp, mask, beta, kind):
    """The arguments of ``kl_penalized_rewards``; returns ``(keep, beta, compute dtype)``."""
    V.floats(scores=scores, logp=logp, ref_logp=ref_logp)
    if logp.dim() != 2:
        raise ValueError(f"'logp' must have shape (B, T), got {tuple(logp.shape)}")
    V.alike(logp, "logp", ref_logp, "ref_logp")
    V.same_device(logp, "logp", scores, "scores")
    if scores.shape != logp.shape[:1]:
        raise ValueError(
            f"'scores' must have shape (B,) = ({logp.shape[0]},), got {tuple(scores.shape)}"
        )
    keep = V.mask(mask, "mask", logp.shape, logp.device)  # (B, T)
    V.kind(kind)
    cd = V.compute_dtype(scores.dtype, logp.dtype, ref_logp.dtype)
    b = V.scalar(beta, "beta", allow_zero=True, dtype=cd)
    V.finite(scores, "scores")
    V.logprob(logp, "logp", where=keep)
    V.logprob(ref_logp, "ref_logp", where=keep)
    V.refuse(
        torch.isneginf(logp) & keep,
        lambda i: (
            f"'logp' is -inf at kept index {i}: a sampled token cannot have probability 0 "
            "under the policy that sampled it"
        ),
    )
    empty_rows = (~keep.any(-1)).nonzero().flatten()
    if empty_rows.numel():
        raise ValueError(
            f"'mask' keeps no token in rows {empty_rows[:8].tolist()} (shape {tuple(keep.shape)}): "
            "there is no last token to receive the score"
        )
    return keep, b, cd


def regularized_policy(ref_logits, rewards, beta):
    """The arguments of ``kl_regularized_policy``; returns ``(beta, compute dtype)``."""
    V.logits(ref_logits, "ref_logits")
    V.float_tensor(rewards, "rewards")
    V.same_device(ref_logits, "ref_logits", rewards, "rewards")
    cd = V.compute_dtype(ref_logits.dtype, rewards.dtype)
    b = V.scalar(beta, "beta", dtype=cd)
    try:  # rewards must broadcast to ref_logits' shape without enlarging it
        shape = torch.broadcast_shapes(ref_logits.shape, rewards.shape)
    except RuntimeError:
        shape = None
    if shape != ref_logits.shape:
        raise ValueError(
            f"'rewards' of shape {tuple(rewards.shape)} must broadcast to 'ref_logits' "
            f"{tuple(ref_logits.shape)}"
        )
    V.no_nan(ref_logits, "ref_logits")
    V.no_nan(rewards, "rewards")
    for name, t in (("rewards", rewards), ("ref_logits", ref_logits)):
        if bool(torch.isposinf(t).any()):
            raise ValueError(f"'{name}' contains +inf (shape {tuple(t.shape)})")
    return b, cd


_PAIR = ("policy_chosen_logp", "policy_rejected_logp", "ref_chosen_logp", "ref_rejected_logp")


def preference_pairs(pc, pr, rc, rr, coef_name, coef, chosen_tokens=None, rejected_tokens=None):
    """Log-probs ``(P,)`` of preference pairs, the coefficient ``coef_name`` and optional token
    counts; returns ``(compute dtype, coefficient)``."""
    args = dict(zip(_PAIR, (pc, pr, rc, rr), strict=True))
    for name, t in args.items():
        V.float_tensor(t, name)
        V.alike(pc, "policy_chosen_logp", t, name)
        V.logprob(t, name)
    if pc.numel() == 0:
        raise ValueError("'policy_chosen_logp' is empty: no preference pair to average over")
    for side, p, r in (("chosen", pc, rc), ("rejected", pr, rr)):  # -inf - (-inf) is NaN
        V.refuse(
            torch.isneginf(p) & torch.isneginf(r),
            lambda i, s=side: (
                f"'policy_{s}_logp' and 'ref_{s}_logp' are both -inf at index "
                f"{i}: the log-ratio -inf - (-inf) is undefined"
            ),
        )
    cd = V.compute_dtype(*(t.dtype for t in args.values()))
    c = V.scalar(coef, coef_name, dtype=cd)
    if (chosen_tokens is None) != (rejected_tokens is None):
        raise ValueError("'chosen_tokens' and 'rejected_tokens' must be given together, or neither")
    if chosen_tokens is not None:
        for name, n in (("chosen_tokens", chosen_tokens), ("rejected_tokens", rejected_tokens)):
            V.tensor(n, name)
            if n.dtype == torch.bool or n.is_complex():
                raise TypeError(f"'{name}' must hold real token counts, got dtype {n.dtype}")
            V.alike(pc, "policy_chosen_logp", n, name)
            if n.is_floating_point():
                V.finite(n, name)
            if not bool((n > 0).all()):
                raise ValueError(f"'{name}' must be > 0 everywhere, got {n.min().item()}")
    return cd, c


def policy_ratios(logp, old_logp, advantages, mask, clip_eps, clip_eps_high):
    """The arguments of ``ppo_clip_loss``; returns ``(keep, lower clip, upper clip, dtype)``."""
    V.floats(logp=logp, old_logp=old_logp, advantages=advantages)
    V.alike(logp, "logp", old_logp, "old_logp")
    V.same_device(logp, "logp", advantages, "advantages")
    # each size of advantages is logp's or 1, (B, T) or (B, 1): stricter than broadcasting, where
    # (B,) against (B, T) would broadcast along T when B == T, mixing up the sequences' advantages
    a, b = advantages.shape, logp.shape
    if len(a) != len(b) or any(x not in (1, y) for x, y in zip(a, b, strict=True)):
        hint = ""
        if len(a) == len(b) - 1 and a == b[:-1]:
            hint = f"; for one value per sequence pass advantages[..., None] (shape {(*a, 1)})"
        raise ValueError(
            f"'advantages' must have the shape of 'logp' {tuple(b)}, or size 1 where it is "
            f"constant (e.g. (B, 1) per sequence), got {tuple(a)}{hint}"
        )
    keep = V.mask(mask, "mask", logp.shape, logp.device)
    V.nonempty(keep, "mask")
    lo = V.scalar(clip_eps, "clip_eps", below=1.0)
    hi = lo if clip_eps_high is None else V.scalar(clip_eps_high, "clip_eps_high")
    V.logprob(logp, "logp", where=keep)
    V.logprob(old_logp, "old_logp", where=keep)
    V.finite(advantages, "advantages", where=keep if a == b else None)
    V.refuse(
        torch.isneginf(logp) & torch.isneginf(old_logp) & keep,
        lambda i: (
            f"'logp' and 'old_logp' are both -inf at kept index {i}: the ratio "
            "exp(-inf - (-inf)) is undefined (mask that token out)"
        ),
    )
    return keep, lo, hi, V.compute_dtype(logp.dtype, old_logp.dtype, advantages.dtype)


def group_rewards(rewards, why: str) -> None:
    """Finite rewards ``(G, n)`` of groups of ``n >= 2`` answers (``why``: what one would break)."""
    V.float_tensor(rewards, "rewards")
    if rewards.dim() != 2:
        raise ValueError(f"'rewards' must have shape (G, n), got {tuple(rewards.shape)}")
    if rewards.shape[1] < 2:
        raise ValueError(
            f"'rewards' needs n >= 2 samples per group ({why}), got shape {tuple(rewards.shape)}"
        )
    V.finite(rewards, "rewards")


def group_scaling(rewards, scale, eps, scales) -> tuple[str, float]:
    """The arguments of ``grpo_advantages``; returns ``(scale as one of scales, eps)``."""
    group_rewards(rewards, "the Bessel std of one sample is undefined")
    if isinstance(scale, str):
        if scale not in scales:  # a TypeError, as for a non-bool (a truthy "no" was once True)
            raise TypeError(f"'scale' must be one of {scales} or True / False, got {scale!r}")
    elif V._is_bool(scale):  # python or numpy; a truthy 1 or tensor is refused by name
        scale = "group" if scale else "none"
    else:
        raise TypeError(f"'scale' must be True or False, got {scale!r}")
    return scale, V.scalar(eps, "eps", allow_zero=True)


def sft_labels(logits, labels, ignore_index, average) -> int:
    """The arguments of ``sft_loss``; returns ``ignore_index`` as an int. The labels are checked as
    the loss uses them, shifted: ``labels[:, 1:]`` must keep a token, its kept values in ``[0, V)``."""
    V.logits(logits)
    V.tensor(labels, "labels")
    ig = V.integer(ignore_index, "ignore_index")
    if average not in ("token", "sequence"):
        raise ValueError(f"'average' must be 'token' or 'sequence', got {average!r}")
    if logits.dim() != 3:
        raise ValueError(f"'logits' must have shape (B, T, V), got {tuple(logits.shape)}")
    if labels.shape != logits.shape[:2]:
        raise ValueError(
            f"'labels' must have shape (B, T) = {tuple(logits.shape[:2])} to match 'logits' "
            f"{tuple(logits.shape)}, got {tuple(labels.shape)}"
        )
    V.integer_dtype(labels, "labels")
    V.same_device(logits, "logits", labels, "labels")
    info = torch.iinfo(labels.dtype)
    if not info.min <= ig <= info.max:
        # uint8 labels cannot hold -100: writing -100 into them stores 156, a real token id
        int64 = torch.iinfo(torch.int64)
        exc = TypeError if int64.min <= ig <= int64.max else ValueError
        raise exc(
            f"'labels' of dtype {labels.dtype} (values {info.min}..{info.max}) cannot hold "
            f"'ignore_index'={ig}: a value written into them wraps around to a real token id; "
            "use int64 labels" + ("" if exc is TypeError else " and an int64 'ignore_index'")
        )
    later = labels[:, 1:].long()  # what the shifted targets hold: the last position predicts none
    kept = later[later != ig]
    if not kept.numel():
        raise ValueError(
            f"'labels' keeps no token after the causal shift (every label in labels[:, 1:] of "
            f"shape {tuple(labels.shape)} equals ignore_index={ig})"
        )
    vocab = logits.shape[-1]
    lo, hi = int(kept.min()), int(kept.max())
    if lo < 0 or hi >= vocab:
        raise ValueError(
            f"'labels' must lie in [0, V) = [0, {vocab}) or equal ignore_index={ig}, "
            f"got kept values in [{lo}, {hi}]"
        )
    return ig


def token_targets(logits, targets, mask, *, sequences: bool = False):
    """Logits ``(..., V)``, targets ``(...)`` and an optional mask that keeps a token; returns the
    bool mask (all True without one for ``sequences``, None without one otherwise)."""
    V.logits(logits)
    V.tensor(targets, "targets")
    if sequences and logits.dim() < 2:
        raise ValueError(
            f"'logits' must have shape (..., T, V) with a target dimension, got {tuple(logits.shape)}"
        )
    if mask is None and not sequences:
        return None
    if mask is None:
        keep = torch.ones(targets.shape, dtype=torch.bool, device=targets.device)
    else:
        keep = V.mask(mask, "mask", targets.shape, targets.device)
    V.nonempty(keep, "mask")
    return keep


def loss_terms(per_token, mask, mode, num_tokens, num_seqs, modes):
    """The arguments of ``aggregate_loss``; returns ``(keep, dtype, num_tokens, num_seqs)``."""
    V.float_tensor(per_token, "per_token")
    if per_token.dim() != 2:
        raise ValueError(f"'per_token' must have shape (B, T), got {tuple(per_token.shape)}")
    keep = V.mask(mask, "mask", per_token.shape, per_token.device)
    V.nonempty(keep, "mask")
    if mode not in modes:
        raise ValueError(f"'mode' must be one of {modes}, got {mode!r}")
    if mode == "token-mean" and num_seqs is not None:
        raise ValueError("'num_seqs' is for the seq-mean modes; token-mean takes 'num_tokens'")
    if mode != "token-mean" and num_tokens is not None:
        raise ValueError(f"'num_tokens' is for token-mean; {mode!r} takes 'num_seqs'")
    V.finite(per_token, "per_token", where=keep)
    cd = V.compute_dtype(per_token.dtype)
    if num_tokens is not None:
        num_tokens = V.scalar(num_tokens, "num_tokens", dtype=cd)
    if num_seqs is not None:
        num_seqs = V.scalar(num_seqs, "num_seqs", dtype=cd)
    return keep, cd, num_tokens, num_seqs


def reward_pairs(chosen_rewards, rejected_rewards, margin):
    """The arguments of ``bradley_terry_loss``; returns ``(dtype, margin)``, the margin None, a
    float, or a detached tensor ``(P,)`` in that dtype."""
    V.floats(chosen_rewards=chosen_rewards, rejected_rewards=rejected_rewards)
    V.alike(chosen_rewards, "chosen_rewards", rejected_rewards, "rejected_rewards")
    if chosen_rewards.numel() == 0:
        raise ValueError("'chosen_rewards' is empty: no preference pair to average over")
    V.finite(chosen_rewards, "chosen_rewards")
    V.finite(rejected_rewards, "rejected_rewards")
    cd = V.compute_dtype(chosen_rewards.dtype, rejected_rewards.dtype)
    if margin is None:
        return cd, None
    if isinstance(margin, torch.Tensor) and margin.numel() != 1:
        V.float_tensor(margin, "margin")
        V.alike(chosen_rewards, "chosen_rewards", margin, "margin")
        V.finite(margin, "margin")
        if bool((margin < 0).any()):
            raise ValueError(f"'margin' must be >= 0, got {margin.min().item()} somewhere")
        return cd, margin.detach().to(cd)
    return cd, V.scalar(margin, "margin", allow_zero=True, dtype=cd)
