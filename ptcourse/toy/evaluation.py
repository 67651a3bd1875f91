"""Measuring a toy model: held-out log-likelihood and the metrics of a batch of sampled answers.

``batch_metrics`` computes every number of ``metrics.METRICS`` a history, evaluation or demo
reports from one batch of sampled answers, so a training loop's log and ``evaluate`` measure alike:
``reward``, ``kl`` (exact KL(π ‖ π_ref) of an answer, summed over its tokens, from
``ptcourse.token_stats``), ``entropy`` (nats per answer token), ``demo_loglik`` (held-out
demonstrations' mean log-likelihood per answer token), ``distinct_2``, ``grammatical``, ``hack_rate``.
"""

from __future__ import annotations

import math

import torch

from ..stats import TokenStats, token_stats
from .data import demo_batch, heldout_batch, nouns_for, response_mask, torch_threads
from .metrics import TRAINING_METRICS, distinct_2, grammatical_rate, hack_rate
from .model import TinyLM
from .proxy_reward import reward
from .sampling import rollout

__all__ = ["demo_loglik", "evaluate", "batch_metrics"]


@torch.no_grad()
def demo_loglik(model: TinyLM, pairs: list[tuple[str, str]] | None = None) -> float:
    """Mean log-likelihood per response token of demonstrations (default: the held-out set).

    .. math::

        \\bar\\ell = \\frac{1}{\\sum_i |y^{(i)}|} \\sum_i \\sum_t \\log \\pi_\\theta(y^{(i)}_t \\mid x^{(i)},
        y^{(i)}_{<t}), \\qquad \\text{perplexity} = e^{-\\bar\\ell}

    >>> from ptcourse.toy import sft_model
    >>> demo_loglik(sft_model()) > demo_loglik(TinyLM(seed=0))  # SFT beats an untrained model
    True
    """
    ids, labels = demo_batch(pairs) if pairs is not None else heldout_batch()
    with torch_threads():
        logits = model(ids)  # (B, T, V)
    mask = labels[:, 1:] != -100  # (B, T-1)
    logp = token_stats(logits[:, :-1], ids[:, 1:]).logp  # (B, T-1)
    return float((logp * mask).sum() / mask.sum())


def batch_metrics(
    st: TokenStats, mask: torch.Tensor, scores: torch.Tensor, texts: list[str], model: TinyLM
) -> dict[str, float]:
    """The ``TRAINING_METRICS`` of one batch of sampled answers.

    ``st``: the batch's ``token_stats`` ``(B, T-1)`` against the reference, ``mask`` its answer mask
    ``(B, T-1)``, ``scores`` the rewards ``(B,)`` of ``texts``; ``demo_loglik`` of ``model`` now.

    >>> m = TinyLM(seed=0)
    >>> ids, texts = rollout(m, ["cat"] * 4)
    >>> st = token_stats(m(ids)[:, :-1], ids[:, 1:], m(ids)[:, :-1])
    >>> out = batch_metrics(st, response_mask(ids), reward(texts), texts, m)
    >>> tuple(out) == TRAINING_METRICS, out["kl"]  # every logged metric; KL to itself is 0
    (True, 0.0)
    """
    maskf = mask.float()
    values = {
        "reward": float(scores.mean()),
        "kl": float((st.kl.detach() * maskf).sum(1).mean()),
        "entropy": float((st.entropy.detach() * maskf).sum() / maskf.sum()),
        "demo_loglik": demo_loglik(model),
        "distinct_2": distinct_2(texts),
        "grammatical": grammatical_rate(texts),
        "hack_rate": hack_rate(texts),
    }
    return {k: values[k] for k in TRAINING_METRICS}


def evaluate(
    model: TinyLM,
    ref: TinyLM | None = None,
    *,
    n: int = 256,
    temperature: float = 1.0,
    seed: int = 12345,
) -> dict:
    """Measure a model on ``n`` fresh answers (balanced over the nouns).

    .. math::

        \\text{kl} = \\frac{1}{n}\\sum_i \\sum_t \\mathrm{KL}\\big(\\pi(\\cdot \\mid s^{(i)}_t) \\,\\|\\,
        \\pi_{\\text{ref}}(\\cdot \\mid s^{(i)}_t)\\big), \\qquad s^{(i)} \\sim \\pi

    Returns the floats of ``TRAINING_METRICS`` (``kl`` 0 when ``ref`` is None),
    ``demo_perplexity`` and ``length``, and ``samples`` (the first 8 answers).

    >>> m = TinyLM(seed=0)
    >>> evaluate(m, m, n=16)["kl"]  # a model against itself
    0.0
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"evaluate: 'n' must be an int >= 1, got {n!r}")
    ids, texts = rollout(model, nouns_for(n), temperature=temperature, seed=seed)
    with torch.no_grad(), torch_threads():
        logits = model(ids)  # (B, T, V)
        ref_logits = ref(ids) if ref is not None else logits
        st = token_stats(logits[:, :-1], ids[:, 1:], ref_logits[:, :-1])  # fields (B, T-1)
        out: dict = batch_metrics(st, response_mask(ids), reward(texts), texts, model)
    out["demo_perplexity"] = math.exp(-out["demo_loglik"])
    out["length"] = sum(len(t.split()) for t in texts) / len(texts)
    out["samples"] = texts[:8]
    return out
