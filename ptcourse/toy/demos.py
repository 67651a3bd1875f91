"""Named demos of the toy world, each returning one JSON-able result (``ptcourse demo NAME``).

Every demo returns ``{"demo", "seed", "params", "final", "history", "start", "samples"}``:

* ``final``: ``reward, kl, entropy, distinct_2, demo_loglik`` (plus ``demo_perplexity``,
  ``grammatical``, ``hack_rate``) measured by ``train.evaluate`` on 256 fresh answers (``null``
  where a metric does not apply, e.g. text metrics for the bandit);
* ``history``: metric -> list with one value per logged step;
* ``start``: the same metrics as ``final`` for the starting model (the SFT model for ``rl``);
* ``samples``: a few answers of the final model.

The chapters, the tests and the command line call the same ``run_demo``, so a number in the book
is the number an instructor gets live. Same seed, same machine: bitwise-identical result.
"""

from __future__ import annotations

import json

import torch

from ..entropy import entropy
from .bandit import BANDIT_REWARDS, bandit
from .checkpoints import checkpoint_history, pretrained_model, sft_model
from .model import TinyLM
from .train import DEFAULT_BETA, PRETRAIN_STEPS, RL_STEPS, SFT_STEPS, evaluate, pretrain, rl, sft

__all__ = ["DEMOS", "BANDIT_BETA", "BANDIT_STEPS", "run_demo", "to_json"]

BANDIT_BETA = 0.3
BANDIT_STEPS = 400
#: name -> one-line description (shown by ``ptcourse demo --help``)
DEMOS = {
    "pretrain": "pre-train TinyLM on the grammar's web corpus (next-token loss)",
    "sft": "fine-tune the pretrained model on instruction -> answer demonstrations",
    "rl": "REINFORCE on the flawed reward with a KL leash to the SFT model (try --beta 0)",
    "grpo": "the same with GRPO group-normalised advantages and a k3 KL loss term",
    "bandit": "one-step bandit: sampled policy gradient vs the closed-form pi*",
}
_FINAL = (
    "reward",
    "kl",
    "entropy",
    "distinct_2",
    "demo_loglik",
    "demo_perplexity",
    "grammatical",
    "hack_rate",
)


def _final(ev: dict) -> dict:
    return {k: ev[k] for k in _FINAL}


def run_demo(
    name: str,
    *,
    beta: float | None = None,
    entropy_coef: float | None = None,
    steps: int | None = None,
    seed: int = 0,
) -> dict:
    """Run the demo ``name`` and return its JSON-able result.

    .. math::

        \\text{rl, grpo:}\\quad \\max_\\theta\\; \\mathbb{E}_{\\pi_\\theta}[r] - \\beta\\,
        \\mathrm{KL}(\\pi_\\theta\\|\\pi_{\\text{SFT}}) + c\\,\\mathcal{H}(\\pi_\\theta)

    Parameters
    ----------
    name : str
        One of ``DEMOS``: ``pretrain, sft, rl, grpo, bandit``.
    beta : float, optional
        KL coefficient (``rl``/``grpo``: >= 0, default ``DEFAULT_BETA``; ``bandit``: > 0).
    entropy_coef : float, optional
        Entropy bonus (``rl``/``grpo``), default 0.
    steps : int, optional
        Steps of the demo's training loop (defaults: pretrain 200, sft 150, rl/grpo 100,
        bandit 400).
    seed : int
        Seed of everything (checkpoints, rollouts, evaluation).

    Examples
    --------
    >>> out = run_demo("bandit", beta=0.5, steps=50)
    >>> sorted(out)  # the JSON contract
    ['demo', 'final', 'history', 'params', 'samples', 'seed', 'start']
    """
    if name not in DEMOS:
        raise ValueError(f"run_demo: unknown demo {name!r}; choose one of {', '.join(DEMOS)}")
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        raise ValueError(f"run_demo: 'steps' must be a positive int, got {steps!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"run_demo: 'seed' must be an int >= 0, got {seed!r}")
    if beta is not None and not beta >= 0:
        raise ValueError(f"run_demo: 'beta' must be >= 0, got {beta!r}")
    if entropy_coef is not None and not entropy_coef >= 0:
        raise ValueError(f"run_demo: 'entropy_coef' must be >= 0, got {entropy_coef!r}")
    if name in ("pretrain", "sft", "bandit") and entropy_coef:
        raise ValueError(f"run_demo: 'entropy_coef' applies to rl/grpo only, not to {name!r}")
    if name in ("pretrain", "sft") and beta is not None:
        raise ValueError(f"run_demo: 'beta' applies to rl/grpo/bandit only, not to {name!r}")

    params: dict
    if name == "pretrain":
        steps = steps or PRETRAIN_STEPS
        params = {"steps": steps}
        start = TinyLM(seed=seed)
        if steps == PRETRAIN_STEPS:
            model, hist = pretrained_model(seed), checkpoint_history("pretrain", seed)
        else:
            model, hist = pretrain(TinyLM(seed=seed), steps=steps, seed=seed)
    elif name == "sft":
        steps = steps or SFT_STEPS
        params = {"steps": steps}
        start = pretrained_model(seed)
        if steps == SFT_STEPS:
            model, hist = sft_model(seed), checkpoint_history("sft", seed)
        else:
            model, hist = sft(pretrained_model(seed), steps=steps, seed=seed)
    elif name in ("rl", "grpo"):
        steps = steps or RL_STEPS
        beta = DEFAULT_BETA if beta is None else float(beta)
        entropy_coef = float(entropy_coef or 0.0)
        advantage = "reinforce" if name == "rl" else "grpo"
        params = {
            "beta": beta,
            "entropy_coef": entropy_coef,
            "steps": steps,
            "advantage": advantage,
        }
        start = sft_model(seed)
        model, hist = rl(
            sft_model(seed),
            start,
            beta=beta,
            entropy_coef=entropy_coef,
            steps=steps,
            advantage=advantage,
            seed=seed,
        )
    else:
        return _bandit_demo(beta, steps, seed)
    ev = evaluate(model, start)
    return {
        "demo": name,
        "seed": seed,
        "params": params,
        "final": _final(ev),
        "history": hist,
        "start": _final(evaluate(start, start)),
        "samples": ev["samples"],
    }


def _bandit_demo(beta, steps, seed) -> dict:
    beta = BANDIT_BETA if beta is None else float(beta)
    if beta == 0:
        raise ValueError("run_demo: the bandit's pi* divides by beta; 'beta' must be > 0")
    steps = steps or BANDIT_STEPS
    out = bandit(beta=beta, steps=steps, seed=seed)
    ref = torch.tensor(out["ref_probs"])
    r = torch.tensor(BANDIT_REWARDS)
    none = {
        "distinct_2": None,
        "demo_loglik": None,
        "demo_perplexity": None,
        "grammatical": None,
        "hack_rate": None,
    }
    start = {
        "reward": float((ref * r).sum()),
        "kl": 0.0,
        "entropy": float(entropy(ref.log())),  # 0 log 0 = 0 for an arm with zero probability
        **none,
        "tv": None,
    }
    arms = zip(
        out["arms"], out["ref_probs"], out["optimal_probs"], out["learned_probs"], strict=True
    )
    return {
        "demo": "bandit",
        "seed": seed,
        "params": {"beta": beta, "steps": steps},
        "final": {**out["final"], **none, "tv": out["tv"]},
        "history": out["history"],
        "start": start,
        "samples": [
            f"{a:>6}: ref {p0:.3f}  pi* {p1:.3f}  learned {p2:.3f}" for a, p0, p1, p2 in arms
        ],
    }


def to_json(result: dict) -> str:
    """Serialise a demo result as one line of JSON (keys in insertion order, no NaN).

    Examples
    --------
    >>> to_json({"demo": "x", "final": {"kl": 0.5}})
    '{"demo": "x", "final": {"kl": 0.5}}'
    """
    return json.dumps(result, allow_nan=False)
