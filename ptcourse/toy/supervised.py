"""Next-token training of the toy model, a few seconds each on a CPU: ``pretrain`` (cross-entropy
on the grammar's "web" corpus; Radford et al., 2018/2019) and ``sft`` (the same loss,
``ptcourse.sft_loss``, on instruction -> response demonstrations with the prompt masked out;
Ouyang et al., 2022, *InstructGPT*, step 1).

Both return ``(model, history)``: ``step``, ``loss`` and each ``metrics.TRAINING_METRICS`` name ->
one value per logged step, measured by ``evaluate`` on 64 fresh answers after that step's update.
"""

from __future__ import annotations

import copy

import torch

from ..sft import sft_loss
from . import grammar, seeding
from .data import demo_batch, torch_threads, train_demos
from .evaluation import evaluate
from .metrics import TRAINING_METRICS
from .model import TinyLM
from .tokenizer import TOKENIZER

__all__ = ["PRETRAIN_STEPS", "SFT_STEPS", "pretrain", "sft"]

PRETRAIN_STEPS = 200
SFT_STEPS = 150


def check_loop_args(steps, batch_size, lr) -> None:
    """Raise ValueError naming ``steps``, ``batch_size`` or ``lr`` when one is out of range."""
    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"'{name}' must be a positive int, got {value!r}")
    if not lr > 0:
        raise ValueError(f"'lr' must be > 0, got {lr!r}")


def new_history() -> dict[str, list]:
    """An empty history: ``step``, ``loss`` and every training metric, each an empty list."""
    return {"step": [], "loss": [], **{k: [] for k in TRAINING_METRICS}}


def _lm_loop(model, ids, labels, steps, batch_size, lr, seed, eval_every):
    """The next-token loop of ``pretrain`` and ``sft`` (KL is to the starting model)."""
    check_loop_args(steps, batch_size, lr)
    ref = copy.deepcopy(model).eval()
    gen = seeding.generator(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0, betas=(0.9, 0.98))
    history = new_history()
    with torch_threads():
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
                for k in TRAINING_METRICS:
                    history[k].append(ev[k])
    return model, history


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
    """Pre-train on the grammar's web corpus with the next-token loss; return (model, history).

    .. math::

        \\mathcal{L}(\\theta) = -\\frac{1}{N}\\sum_{i,t} \\log \\pi_\\theta(x^{(i)}_{t+1} \\mid x^{(i)}_{\\le t})

    ``model`` is trained in place (default: a fresh ``TinyLM(seed=seed)``) for ``steps`` AdamW steps
    of ``batch_size`` sentences at rate ``lr``, on ``grammar.corpus(n_sentences, seed)``; ``seed``
    seeds the corpus, the initialisation and the minibatches. The metrics are logged every
    ``eval_every`` steps (KL to the untrained initial model). Bad loop arguments raise ValueError.

    >>> model, hist = pretrain(steps=2, eval_every=1, n_sentences=100)
    >>> hist["step"], len(hist["loss"])  # one entry per logged step
    ([1, 2], 2)
    """
    model = model if model is not None else TinyLM(seed=seed)
    ids = TOKENIZER.batch(grammar.corpus(n_sentences, seed=seed))  # (N, T)
    labels = ids.masked_fill(ids == TOKENIZER.pad_id, -100)
    return _lm_loop(model, ids, labels, steps, batch_size, lr, seed, eval_every)


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
    """Supervised fine-tuning with ``ptcourse.sft_loss`` (prompt masked out); return (model, history).

    .. math::

        \\mathcal{L}_{\\text{SFT}}(\\theta) = -\\frac{1}{\\sum_i |y^{(i)}|}\\sum_i \\sum_t
        \\log \\pi_\\theta(y^{(i)}_t \\mid x^{(i)}, y^{(i)}_{<t})

    ``model`` is trained in place (copy it first to keep the original); ``kl`` in the history is
    to a frozen copy of the starting model. ``demos`` defaults to ``train_demos()``; the other
    arguments are ``pretrain``'s.

    >>> model, hist = sft(TinyLM(seed=0), steps=2, eval_every=1)
    >>> len(hist["demo_loglik"])  # one held-out log-likelihood per logged step
    2
    """
    ids, labels = demo_batch(demos if demos is not None else train_demos())  # (N, T)
    return _lm_loop(model, ids, labels, steps, batch_size, lr, seed, eval_every)
