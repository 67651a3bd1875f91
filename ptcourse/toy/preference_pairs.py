r"""Preference pairs on the toy world, and the offline and on-policy loops that train on them.

``preference_pairs`` samples two answers per prompt and always *chooses* the higher toy ``reward``
(ties dropped): the labels of a rule or a verifier. ``sequence_logprobs``: each answer's
log-likelihood, prompt masked out. ``train_on_pairs``: full-batch Adam on fixed pairs with
``ptcourse.dpo_loss`` (Rafailov et al., 2023) or ``ptcourse.ipo_loss`` (Azar et al., 2023), logging
the margin and how far the chosen and rejected log-likelihoods moved (likelihood displacement,
Razin et al., 2024). ``on_policy_dpo``: rounds of fresh pairs from the *current* policy, each
followed by a few DPO steps (iterative / online DPO: Xu et al., 2023; Guo et al., 2024).
"""

from __future__ import annotations

import torch

from ..logprobs import sequence_logprob
from ..objectives import dpo_loss, ipo_loss
from . import seeding
from .data import nouns_for, response_mask, torch_threads
from .model import TinyLM
from .proxy_reward import reward
from .sampling import rollout

__all__ = [
    "PAIR_LOSSES",
    "on_policy_dpo",
    "preference_pairs",
    "sequence_logprobs",
    "train_on_pairs",
]

#: The pair losses ``train_on_pairs`` accepts.
PAIR_LOSSES = ("dpo", "ipo")


def sequence_logprobs(model: TinyLM, ids: torch.Tensor) -> torch.Tensor:
    r"""Log-likelihood :math:`\log\pi(y\mid x) = \sum_t \log\pi(y_t\mid x, y_{<t})` of each answer, ``(B,)``.

    >>> m = TinyLM(seed=0)
    >>> ids, _ = rollout(m, ["cat", "dog"])
    >>> bool((sequence_logprobs(m, ids) < 0).all())  # a probability below 1 for each answer
    True
    """
    logits = model(ids)[:, :-1]  # (B, T-1, V): position t predicts token t+1
    return sequence_logprob(logits, ids[:, 1:], response_mask(ids))  # (B,)


@torch.no_grad()
def preference_pairs(
    model: TinyLM, n_prompts: int, *, seed: int = 0
) -> dict[str, torch.Tensor | list[str]]:
    """Sample two answers for each of ``n_prompts`` random prompts; the higher ``reward`` is chosen.

    Returns ``{"chosen": (P, T), "rejected": (P, T), "nouns": [...]}`` for the P pairs that are
    not ties (every label deterministic: the better answer always wins).

    >>> from ptcourse.toy import decode_answers, sft_model
    >>> pairs = preference_pairs(sft_model(), 16, seed=0)
    >>> c, r = (reward(decode_answers(pairs[k])) for k in ("chosen", "rejected"))
    >>> bool((c > r).all())  # the chosen answer always scores higher
    True
    """
    if not (isinstance(n_prompts, int) and n_prompts >= 1):
        raise ValueError(f"preference_pairs: 'n_prompts' must be an int >= 1, got {n_prompts!r}")
    gen = seeding.generator(seed)
    nouns = nouns_for(n_prompts, gen)
    ids, texts = rollout(model, [n for n in nouns for _ in range(2)], generator=gen)  # (2P, T)
    scores = reward(texts).view(-1, 2)  # (P, 2)
    first_wins = scores[:, 0] > scores[:, 1]  # (P,)
    keep = scores[:, 0] != scores[:, 1]  # (P,) ties have no winner
    answers = ids.view(n_prompts, 2, -1)  # (P, 2, T)
    chosen = torch.where(first_wins[:, None], answers[:, 0], answers[:, 1])[keep]
    rejected = torch.where(first_wins[:, None], answers[:, 1], answers[:, 0])[keep]
    kept_nouns = [n for n, k in zip(nouns, keep.tolist(), strict=True) if k]
    return {"chosen": chosen, "rejected": rejected, "nouns": kept_nouns}


def train_on_pairs(
    policy: TinyLM,
    ref: TinyLM,
    pairs: dict,
    *,
    loss: str = "dpo",
    beta: float = 0.5,
    steps: int = 30,
    lr: float = 1e-3,
) -> tuple[TinyLM, dict[str, list[float]]]:
    r"""Full-batch Adam on fixed pairs with the DPO loss (``beta``) or the IPO loss (``tau = beta``).

    History rows (one per step, measured before the step's update): ``loss``, ``margin`` (mean
    :math:`h = (\log\pi - \log\pi_{ref})(y_c) - (\log\pi - \log\pi_{ref})(y_r)`), ``accuracy``
    (fraction of pairs with :math:`h > 0`), ``chosen`` and ``rejected`` (mean
    :math:`\log\pi - \log\pi_{ref}` of each side: both below 0 is likelihood displacement).

    >>> from ptcourse.toy import sft_model
    >>> ref = sft_model()  # each call a fresh copy
    >>> _, hist = train_on_pairs(sft_model(), ref, preference_pairs(ref, 16), steps=3)
    >>> round(hist["loss"][0], 4), hist["margin"][0]  # policy == reference: log 2, margin 0
    (0.6931, 0.0)
    """
    if loss not in PAIR_LOSSES:
        raise ValueError(f"train_on_pairs: 'loss' must be one of {PAIR_LOSSES}, got {loss!r}")
    if not (isinstance(steps, int) and steps >= 1):
        raise ValueError(f"train_on_pairs: 'steps' must be an int >= 1, got {steps!r}")
    chosen, rejected = pairs["chosen"], pairs["rejected"]
    fn = dpo_loss if loss == "dpo" else ipo_loss
    opt = torch.optim.Adam(policy.parameters(), lr=lr)
    keys = ("loss", "margin", "accuracy", "chosen", "rejected")
    hist: dict[str, list[float]] = {k: [] for k in keys}
    with torch_threads():
        with torch.no_grad():
            ref_c, ref_r = sequence_logprobs(ref, chosen), sequence_logprobs(ref, rejected)  # (P,)
        for _ in range(steps):
            pol_c, pol_r = sequence_logprobs(policy, chosen), sequence_logprobs(policy, rejected)
            value = fn(pol_c, pol_r, ref_c, ref_r, beta)
            with torch.no_grad():
                moved_c, moved_r = pol_c - ref_c, pol_r - ref_r  # (P,) each
                h = moved_c - moved_r  # (P,)
            row = (value.detach(), h.mean(), (h > 0).float().mean(), moved_c.mean(), moved_r.mean())
            for k, v in zip(keys, row, strict=True):
                hist[k].append(float(v))
            opt.zero_grad(set_to_none=True)
            value.backward()
            opt.step()
    return policy, hist


def on_policy_dpo(
    policy: TinyLM,
    ref: TinyLM,
    *,
    rounds: int = 5,
    n_prompts: int = 64,
    steps_per_round: int = 6,
    beta: float = 0.5,
    lr: float = 1e-3,
    seed: int = 0,
) -> tuple[TinyLM, dict[str, list[float]]]:
    """DPO on pairs sampled from the policy being trained: ``rounds`` x (fresh pairs, a few steps).

    Round r samples ``n_prompts`` pairs from the current policy (seed ``seed + r``), labels them
    with the toy reward and takes ``steps_per_round`` DPO steps on them (one round is offline
    DPO). The history concatenates the rounds' rows (see ``train_on_pairs``).

    >>> from ptcourse.toy import sft_model
    >>> _, hist = on_policy_dpo(sft_model(), sft_model(), rounds=2, n_prompts=8, steps_per_round=1)
    >>> len(hist["loss"])  # 2 rounds of 1 step
    2
    """
    if not (isinstance(rounds, int) and rounds >= 1):
        raise ValueError(f"on_policy_dpo: 'rounds' must be an int >= 1, got {rounds!r}")
    hist: dict[str, list[float]] = {}
    for r in range(rounds):
        pairs = preference_pairs(policy, n_prompts, seed=seed + r)
        policy, h = train_on_pairs(
            policy, ref, pairs, loss="dpo", beta=beta, steps=steps_per_round, lr=lr
        )
        for k, v in h.items():
            hist.setdefault(k, []).extend(v)
    return policy, hist
