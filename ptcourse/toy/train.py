"""Training loops of the toy world: ``pretrain``, ``sft`` and ``rl``, each a few seconds on a CPU.

* ``pretrain``: next-token cross-entropy on the grammar's "web" corpus (Radford et al., 2018/2019).
* ``sft``: the same loss, ``ptcourse.sft_loss``, on instruction -> response demonstrations, with the
  prompt masked out of the labels (Ouyang et al., 2022, *InstructGPT*, step 1).
* ``rl``: policy-gradient fine-tuning on the flawed ``reward`` with a KL leash to a frozen reference.
  By default REINFORCE with a per-position baseline on the KL-shaped per-token rewards of
  ``ptcourse.kl_penalized_rewards`` (Williams, 1992; Ziegler et al., 2019; Ouyang et al., 2022);
  with ``advantage="grpo"`` group-normalised sequence advantages (``ptcourse.grpo_advantages``)
  and the KL as a k3 loss term (Shao et al., 2024, *DeepSeekMath*), averaged over all tokens of the
  batch as in DAPO (Yu et al., 2025) rather than per answer first. Both go through
  ``ptcourse.ppo_clip_loss`` (Schulman et al., 2017), with an optional entropy bonus.

Every loop returns ``(model, history)``; ``history`` maps a metric name to a list with one value per
logged step: ``step``, ``reward``, ``kl`` (exact KL(pi || pi_ref) of a response, summed over its
tokens, from ``ptcourse.token_stats``), ``entropy`` (nats per response token), ``demo_loglik``
(held-out demonstrations' mean log-likelihood per response token), ``distinct_2``,
``grammatical`` and ``hack_rate``. ``evaluate`` measures the same metrics on fresh samples.
distinct-2 grows less with more answers, so it is always averaged over blocks of 64 answers
(``DISTINCT_BLOCK``, one RL batch), which keeps histories, evaluations and baselines comparable.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math

import torch

from ..kl import kl_estimate, kl_penalized_rewards
from ..objectives import grpo_advantages, ppo_clip_loss
from ..sft import sft_loss
from ..stats import token_stats
from . import grammar
from .metrics import distinct_n, grammatical_rate, hack_rate
from .model import TinyLM
from .reward import reward
from .tokenizer import TOKENIZER

__all__ = [
    "PROMPT_LEN",
    "MAX_NEW_TOKENS",
    "DEFAULT_BETA",
    "PRETRAIN_STEPS",
    "SFT_STEPS",
    "RL_STEPS",
    "prompt_ids",
    "demo_batch",
    "response_mask",
    "train_demos",
    "heldout_demos",
    "demo_loglik",
    "sample",
    "evaluate",
    "pretrain",
    "sft",
    "rl",
    "next_token_logits",
    "next_token_distribution",
]

PROMPT_LEN = 5  # <bos> <q> describe NOUN <a>
MAX_NEW_TOKENS = 11  # longest sentence (10 words) + <eos>
DEFAULT_BETA = 0.5  # the default leash: keeps answers grammatical (see tests/toy)
PRETRAIN_STEPS = 200
SFT_STEPS = 150
RL_STEPS = 100
DISTINCT_BLOCK = 64  # distinct-2 is measured on blocks of this many answers (one RL batch)
_METRICS = ("reward", "kl", "entropy", "demo_loglik", "distinct_2", "grammatical", "hack_rate")


@contextlib.contextmanager
def _torch_threads(n: int = 1):
    """Run tiny-model work on ``n`` threads (faster than many for d=64, and reproducible)."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def prompt_ids(nouns: list[str]) -> torch.Tensor:
    """Return the prompt ids ``(B, PROMPT_LEN)`` for ``describe NOUN`` instructions.

    Examples
    --------
    >>> prompt_ids(["cat", "dog"]).shape  # (B, P)
    torch.Size([2, 5])
    """
    return TOKENIZER.batch([grammar.prompt(n) for n in nouns], eos=False)


def demo_batch(pairs: list[tuple[str, str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode (prompt, response) pairs as ``ids`` and SFT ``labels`` (prompt, padding -> -100).

    .. math::

        \\text{labels}_t = \\begin{cases} \\text{ids}_t & t \\text{ in the response (and its <eos>)} \\\\
        -100 & \\text{otherwise} \\end{cases}

    Examples
    --------
    >>> ids, labels = demo_batch([("<q> describe cat <a>", "the cat is small .")])
    >>> ids.shape, int((labels != -100).sum())  # (B, T); 5 response tokens + <eos>
    (torch.Size([1, 11]), 6)
    """
    ids = TOKENIZER.batch([f"{p} {r}" for p, r in pairs])  # (B, T)
    labels = ids.clone()
    labels[:, :PROMPT_LEN] = -100
    labels[ids == TOKENIZER.pad_id] = -100
    return ids, labels


def response_mask(ids: torch.Tensor) -> torch.Tensor:
    """Mask ``(B, T-1)`` of the shifted targets ``ids[:, 1:]`` that belong to the response.

    Response tokens up to and including the first ``<eos>`` are kept (whatever they are: a
    sampled ``<pad>`` before the end counts as a token); the prompt and what follows ``<eos>`` are
    not.

    Examples
    --------
    >>> ids, _ = demo_batch([("<q> describe cat <a>", "the cat is small .")])
    >>> response_mask(ids).sum().item()  # 5 words + <eos>
    6
    """
    pos = torch.arange(1, ids.shape[1], device=ids.device)  # position of each target
    is_eos = (ids[:, 1:] == TOKENIZER.eos_id) & (pos >= PROMPT_LEN)  # (B, T-1)
    after_eos = (is_eos.cumsum(1) - is_eos.long()) > 0  # strictly after the first <eos>
    return (pos >= PROMPT_LEN) & ~after_eos


@functools.lru_cache(maxsize=1)
def _demo_sets() -> tuple[tuple, tuple]:
    train = grammar.demonstrations(2000, seed=1)
    held = grammar.demonstrations(64, seed=2, exclude=set(train))
    return tuple(train), tuple(held)


@functools.lru_cache(maxsize=1)
def _heldout_batch() -> tuple[torch.Tensor, torch.Tensor]:
    return demo_batch(heldout_demos())


def train_demos() -> list[tuple[str, str]]:
    """Return the 2000 SFT training demonstrations (fixed)."""
    return list(_demo_sets()[0])


def heldout_demos() -> list[tuple[str, str]]:
    """Return 64 held-out demonstrations, disjoint from ``train_demos()`` (fixed)."""
    return list(_demo_sets()[1])


@torch.no_grad()
def demo_loglik(model: TinyLM, pairs: list[tuple[str, str]] | None = None) -> float:
    """Mean log-likelihood per response token of demonstrations (default: the held-out set).

    .. math::

        \\bar\\ell = \\frac{1}{\\sum_i |y^{(i)}|} \\sum_i \\sum_t \\log \\pi_\\theta(y^{(i)}_t \\mid x^{(i)},
        y^{(i)}_{<t}), \\qquad \\text{perplexity} = e^{-\\bar\\ell}

    Examples
    --------
    >>> from ptcourse.toy import sft_model
    >>> demo_loglik(sft_model()) > demo_loglik(TinyLM(seed=0))  # SFT beats an untrained model
    True
    """
    ids, labels = demo_batch(pairs) if pairs is not None else _heldout_batch()
    logits = model(ids)  # (B, T, V)
    mask = labels[:, 1:] != -100  # (B, T-1)
    logp = token_stats(logits[:, :-1], ids[:, 1:]).logp  # (B, T-1)
    return float((logp * mask).sum() / mask.sum())


def _texts(ids: torch.Tensor) -> list[str]:
    """Decode each answer up to its first ``<eos>``, special tokens left visible."""
    out = []
    for row in ids[:, PROMPT_LEN:].tolist():
        if TOKENIZER.eos_id in row:
            row = row[: row.index(TOKENIZER.eos_id)]
        out.append(TOKENIZER.decode(row, skip_special=False))
    return out


def _nouns(n: int, gen: torch.Generator | None = None) -> list[str]:
    if gen is None:  # balanced: every noun equally often
        return [grammar.NOUNS[i % len(grammar.NOUNS)] for i in range(n)]
    idx = torch.randint(len(grammar.NOUNS), (n,), generator=gen)
    return [grammar.NOUNS[i] for i in idx.tolist()]


def sample(
    model: TinyLM,
    n: int = 8,
    *,
    nouns: list[str] | None = None,
    temperature: float = 1.0,
    seed: int = 0,
) -> list[str]:
    """Return ``n`` decoded answers of ``model`` to ``describe NOUN`` prompts.

    Examples
    --------
    >>> len(sample(TinyLM(seed=0), 3, seed=0))
    3
    """
    nouns = nouns or _nouns(n)
    with _torch_threads():
        ids = model.generate(prompt_ids(nouns), MAX_NEW_TOKENS, temperature=temperature, seed=seed)
    return _texts(ids)


def _batch_metrics(model, ref, ids, texts) -> dict[str, float]:
    """Metrics of one batch of sampled ``ids`` (B, T) under ``model`` and the reference."""
    with torch.no_grad():
        logits = model(ids)  # (B, T, V)
        ref_logits = ref(ids) if ref is not None else logits
        st = token_stats(logits[:, :-1], ids[:, 1:], ref_logits[:, :-1])
        mask = response_mask(ids).float()  # (B, T-1)
        return _summary(st, mask, reward(texts), texts, model)


def _distinct_2(texts: list[str]) -> float:
    """distinct-2 averaged over blocks of ``DISTINCT_BLOCK`` answers (it depends on the count)."""
    blocks = [texts[i : i + DISTINCT_BLOCK] for i in range(0, len(texts), DISTINCT_BLOCK)]
    return sum(distinct_n(b, 2) for b in blocks) / len(blocks)


def _summary(st, mask, scores, texts, model) -> dict[str, float]:
    return {
        "reward": float(scores.mean()),
        "kl": float((st.kl.detach() * mask).sum(1).mean()),
        "entropy": float((st.entropy.detach() * mask).sum() / mask.sum()),
        "demo_loglik": demo_loglik(model),
        "distinct_2": _distinct_2(texts),
        "grammatical": grammatical_rate(texts),
        "hack_rate": hack_rate(texts),
    }


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

    Returns a dict with ``reward, kl, entropy, demo_loglik, demo_perplexity, distinct_2,
    grammatical, hack_rate, length`` (floats) and ``samples`` (the first 8 answers). ``kl`` is 0
    when ``ref`` is None.

    Examples
    --------
    >>> m = TinyLM(seed=0)
    >>> evaluate(m, m, n=16)["kl"]  # a model against itself
    0.0
    """
    with _torch_threads():
        ids = model.generate(
            _prompts_balanced(n), MAX_NEW_TOKENS, temperature=temperature, seed=seed
        )
        texts = _texts(ids)
        out = _batch_metrics(model, ref, ids, texts)
    out["demo_perplexity"] = math.exp(-out["demo_loglik"])
    out["length"] = sum(len(t.split()) for t in texts) / len(texts)
    out["samples"] = texts[:8]
    return out


def _prompts_balanced(n: int) -> torch.Tensor:
    return prompt_ids(_nouns(n))


def _lm_loop(model, ids, labels, *, steps, batch_size, lr, seed, eval_every, ref):
    """Shared next-token training loop of ``pretrain`` and ``sft``."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0, betas=(0.9, 0.98))
    history: dict[str, list] = {"step": [], "loss": [], **{k: [] for k in _METRICS}}
    for step in range(steps):
        idx = torch.randint(ids.shape[0], (batch_size,), generator=gen)
        logits = model(ids[idx])  # (B, T, V)
        loss = sft_loss(logits, labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (step + 1) % eval_every == 0 or step == steps - 1:
            ev = evaluate(model, ref, n=64, seed=seed + step)
            history["step"].append(step + 1)
            history["loss"].append(float(loss.detach()))
            for k in _METRICS:
                history[k].append(ev[k])
    return model, history


def _check_common(steps, batch_size, lr):
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"'steps' must be a positive int, got {steps!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"'batch_size' must be a positive int, got {batch_size!r}")
    if not lr > 0:
        raise ValueError(f"'lr' must be > 0, got {lr!r}")


def pretrain(
    model: TinyLM | None = None,
    *,
    steps: int = PRETRAIN_STEPS,
    batch_size: int = 64,
    lr: float = 3e-3,
    n_sentences: int = 4000,
    seed: int = 0,
    eval_every: int = 50,
) -> tuple[TinyLM, dict]:
    """Pre-train on the grammar's web corpus with the next-token loss.

    .. math::

        \\mathcal{L}(\\theta) = -\\frac{1}{N}\\sum_{i,t} \\log \\pi_\\theta(x^{(i)}_{t+1} \\mid x^{(i)}_{\\le t})

    Parameters
    ----------
    model : TinyLM, optional
        Model to train in place (default: a fresh ``TinyLM(seed=seed)``).
    steps, batch_size, lr : int, int, float
        Optimiser steps, sentences per step, AdamW learning rate.
    n_sentences : int
        Size of the corpus (``grammar.corpus(n_sentences, seed)``).
    seed : int
        Seed of the corpus, the initialisation and the minibatches.
    eval_every : int
        Log the metrics every this many steps (KL is to the untrained initial model).

    Returns
    -------
    (TinyLM, dict)
        The trained model and its history.

    Examples
    --------
    >>> model, hist = pretrain(steps=2, eval_every=1, n_sentences=100)
    >>> hist["step"], len(hist["loss"])  # one entry per logged step
    ([1, 2], 2)
    """
    _check_common(steps, batch_size, lr)
    model = model if model is not None else TinyLM(seed=seed)
    ref = copy.deepcopy(model).eval()
    ids = TOKENIZER.batch(grammar.corpus(n_sentences, seed=seed))  # (N, T)
    labels = ids.masked_fill(ids == TOKENIZER.pad_id, -100)
    with _torch_threads():
        return _lm_loop(
            model,
            ids,
            labels,
            steps=steps,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            eval_every=eval_every,
            ref=ref,
        )


def sft(
    model: TinyLM,
    *,
    steps: int = SFT_STEPS,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    eval_every: int = 25,
    demos: list[tuple[str, str]] | None = None,
) -> tuple[TinyLM, dict]:
    """Supervised fine-tuning on demonstrations with ``ptcourse.sft_loss`` (prompt masked out).

    .. math::

        \\mathcal{L}_{\\text{SFT}}(\\theta) = -\\frac{1}{\\sum_i |y^{(i)}|}\\sum_i \\sum_t
        \\log \\pi_\\theta(y^{(i)}_t \\mid x^{(i)}, y^{(i)}_{<t})

    ``model`` is trained in place (copy it first to keep the original); ``kl`` in the history is
    measured against a frozen copy of the starting model.

    Examples
    --------
    >>> model, hist = sft(TinyLM(seed=0), steps=2, eval_every=1)
    >>> len(hist["demo_loglik"])  # one held-out log-likelihood per logged step
    2
    """
    _check_common(steps, batch_size, lr)
    ref = copy.deepcopy(model).eval()
    ids, labels = demo_batch(demos if demos is not None else train_demos())  # (N, T)
    with _torch_threads():
        return _lm_loop(
            model,
            ids,
            labels,
            steps=steps,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            eval_every=eval_every,
            ref=ref,
        )


def rl(
    policy: TinyLM,
    ref: TinyLM | None = None,
    *,
    beta: float = DEFAULT_BETA,
    entropy_coef: float = 0.0,
    steps: int = RL_STEPS,
    batch_size: int = 64,
    lr: float = 5e-4,
    advantage: str = "reinforce",
    group_size: int = 8,
    kl_kind: str = "k1",
    clip_eps: float = 0.2,
    ppo_epochs: int = 1,
    temperature: float = 1.0,
    seed: int = 0,
) -> tuple[TinyLM, dict]:
    """Optimise the flawed ``reward`` by policy gradient, leashed to ``ref`` by a KL penalty.

    .. math::

        \\max_\\theta\\; \\mathbb{E}_{y \\sim \\pi_\\theta(\\cdot\\mid x)}\\big[r(y)\\big]
        - \\beta\\,\\mathrm{KL}\\big(\\pi_\\theta \\,\\|\\, \\pi_{\\text{ref}}\\big)
        + c\\,\\mathcal{H}(\\pi_\\theta)

    ``advantage="reinforce"``: per-token rewards
    :math:`r_t = -\\beta\\,\\hat k(y_t) + r(y)\\,\\mathbb 1[t = \\text{last}]`
    (``kl_penalized_rewards``), returns-to-go minus their batch mean at each position.
    ``advantage="grpo"``: ``batch_size / group_size`` prompts with ``group_size`` answers each,
    advantages ``grpo_advantages`` of the scores, plus :math:`\\beta\\,\\hat k_3` in the loss.
    Either way the loss is ``ppo_clip_loss`` (``ppo_epochs`` passes over each batch) minus
    ``entropy_coef`` times the mean token entropy.

    Parameters
    ----------
    policy : TinyLM
        Trained in place (copy it first to keep the original).
    ref : TinyLM, optional
        Frozen reference (default: a copy of ``policy`` at the start).
    beta : float
        KL coefficient, >= 0 (0 = no leash).
    entropy_coef : float
        Weight of the entropy bonus, >= 0.
    steps, batch_size, lr : int, int, float
        Policy updates, answers per update, Adam learning rate.
    advantage : {"reinforce", "grpo"}
    group_size : int
        Answers per prompt for GRPO (must divide ``batch_size``).
    kl_kind : {"k1", "k2", "k3"}
        Estimator inside ``kl_penalized_rewards`` (REINFORCE).
    clip_eps, ppo_epochs : float, int
        PPO clip range and passes per batch (1 pass = plain policy gradient).
    temperature : float
        Sampling temperature of the rollouts.
    seed : int
        Seed of the rollouts.

    Returns
    -------
    (TinyLM, dict)
        The policy and its history, one entry per step, measured on that step's rollouts.

    Examples
    --------
    >>> pol, hist = rl(TinyLM(seed=0), steps=2, batch_size=8)
    >>> sorted(hist)[:4], len(hist["reward"])
    (['demo_loglik', 'distinct_2', 'entropy', 'grammatical'], 2)
    """
    _check_common(steps, batch_size, lr)
    if not (isinstance(beta, (int, float)) and beta >= 0 and math.isfinite(beta)):
        raise ValueError(f"rl: 'beta' must be a finite number >= 0, got {beta!r}")
    if not (isinstance(entropy_coef, (int, float)) and entropy_coef >= 0):
        raise ValueError(f"rl: 'entropy_coef' must be >= 0, got {entropy_coef!r}")
    if advantage not in ("reinforce", "grpo"):
        raise ValueError(f"rl: 'advantage' must be 'reinforce' or 'grpo', got {advantage!r}")
    if advantage == "grpo" and (group_size < 2 or batch_size % group_size):
        raise ValueError(
            f"rl: 'group_size'={group_size} must be >= 2 and divide batch_size={batch_size}"
        )
    if not (isinstance(ppo_epochs, int) and ppo_epochs >= 1):
        raise ValueError(f"rl: 'ppo_epochs' must be an int >= 1, got {ppo_epochs!r}")
    if not temperature > 0:
        raise ValueError(f"rl: 'temperature' must be > 0, got {temperature!r}")
    if kl_kind not in ("k1", "k2", "k3"):
        raise ValueError(f"rl: 'kl_kind' must be 'k1', 'k2' or 'k3', got {kl_kind!r}")
    if not any(p.requires_grad for p in policy.parameters()):
        raise ValueError(
            "rl: 'policy' has no trainable parameters (requires_grad is off); "
            "pass a fresh model, e.g. toy.sft_model(), or call policy.requires_grad_(True)"
        )
    ref = ref if ref is not None else copy.deepcopy(policy)  # only ever run under no_grad
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(policy.parameters(), lr=lr, betas=(0.9, 0.98))
    history: dict[str, list] = {"step": [], "loss": [], **{k: [] for k in _METRICS}}
    with _torch_threads():
        for step in range(steps):
            if advantage == "grpo":
                nouns = [
                    n for n in _nouns(batch_size // group_size, gen) for _ in range(group_size)
                ]
            else:
                nouns = _nouns(batch_size, gen)
            ids = policy.generate(
                prompt_ids(nouns), MAX_NEW_TOKENS, temperature=temperature, generator=gen
            )  # (B, T)
            texts = _texts(ids)
            scores = reward(texts)  # (B,)
            mask = response_mask(ids)  # (B, T-1)
            maskf = mask.float()
            with torch.no_grad():
                ref_logits = ref(ids)[:, :-1]  # (B, T-1, V)
            for epoch in range(ppo_epochs):
                st = token_stats(policy(ids)[:, :-1], ids[:, 1:], ref_logits)  # fields (B, T-1)
                if epoch == 0:  # the policy that sampled the rollouts
                    first, old_logp = st, st.logp.detach()
                    adv = _advantages(
                        advantage, scores, old_logp, st.ref_logp, mask, beta, kl_kind, group_size
                    )  # (B, T-1)
                loss = ppo_clip_loss(st.logp, old_logp, adv, mask, clip_eps=clip_eps)
                if advantage == "grpo" and beta > 0:
                    k3 = kl_estimate(st.logp, st.ref_logp, kind="k3")  # (B, T-1)
                    loss = loss + beta * (k3 * maskf).sum() / maskf.sum()
                if entropy_coef > 0:
                    loss = loss - entropy_coef * (st.entropy * maskf).sum() / maskf.sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            history["step"].append(step + 1)
            history["loss"].append(float(loss.detach()))
            for k, v in _summary(first, maskf, scores, texts, policy).items():
                history[k].append(v)
    return policy, history


def _advantages(kind, scores, logp, ref_logp, mask, beta, kl_kind, group_size):
    """Per-token advantages ``(B, T-1)`` for the policy-gradient loss."""
    maskf = mask.float()
    if kind == "grpo":
        a = grpo_advantages(scores.view(-1, group_size)).reshape(-1)  # (B,)
        return a[:, None] * maskf
    ref_logp = ref_logp.detach()
    rewards = kl_penalized_rewards(scores, logp, ref_logp, mask, beta, kind=kl_kind)  # (B, T-1)
    returns = rewards.flip(1).cumsum(1).flip(1) * maskf  # (B, T-1) reward-to-go
    baseline = returns.sum(0) / maskf.sum(0).clamp_min(1)  # (T-1,) mean over the batch
    return (returns - baseline) * maskf


def _context_ids(context: str) -> torch.Tensor:
    ids = TOKENIZER.encode(context)
    if not ids or ids[0] != TOKENIZER.bos_id:
        ids = [TOKENIZER.bos_id, *ids]
    return torch.tensor([ids])  # (1, T)


@torch.no_grad()
def next_token_logits(model: TinyLM, context: str) -> torch.Tensor:
    """Return the logits ``(V,)`` of the token after ``context`` (``<bos>`` is prepended).

    Examples
    --------
    >>> next_token_logits(TinyLM(seed=0), "the cat").shape  # (V,), one per vocabulary word
    torch.Size([33])
    """
    with _torch_threads():
        return model(_context_ids(context))[0, -1].float()  # (V,)


def next_token_distribution(
    model: TinyLM, context: str, *, temperature: float = 1.0
) -> torch.Tensor:
    """Return the next-token probabilities ``(V,)`` after ``context`` at ``temperature``.

    .. math::

        p(v \\mid \\text{context}) = \\mathrm{softmax}(z / \\tau)_v

    The labels of the entries are ``TOKENIZER.vocab``.

    Examples
    --------
    >>> p = next_token_distribution(TinyLM(seed=0), "the", temperature=2.0)
    >>> round(float(p.sum()), 6)  # a distribution over the 33 words
    1.0
    """
    if not temperature > 0:
        raise ValueError(f"next_token_distribution: 'temperature' must be > 0, got {temperature!r}")
    return torch.softmax(next_token_logits(model, context) / temperature, dim=-1)
