"""Named demos of the toy world, each returning one JSON-able result (``ptcourse demo NAME``).

A result is ``{"demo", "seed", "params", "final", "history", "start", "samples"}``: ``final``, the
``FINAL_METRICS`` measured by ``evaluate`` on 256 fresh answers (``null`` where one does not apply:
text metrics for the bandit, which adds ``tv``); ``history``, metric -> one value per logged step;
``start``, ``final`` of the starting model (the SFT model for ``rl``); ``samples``, a few answers.
The chapters, tests and command line call the same ``run_demo``: same seed and machine, same bits.

``progress`` events hold ``phase`` (the demo, or ``"checkpoints"`` while a cold cache trains them),
``step`` and ``steps`` (``None`` when unknown); the RL demos add the step's history row (``reward``,
``kl``, ``entropy``, ``hack_rate``, ...). Progress only reads: the result is the same without it.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import json
import math
from collections.abc import Callable

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from . import checkpoints
from .checkpoints import checkpoint_history, pretrained_model, sft_model
from .evaluation import evaluate
from .kl_bandit import BANDIT_REF_LOGITS, BANDIT_REWARDS, bandit, policy_summary
from .metrics import TRAINING_METRICS
from .model import TinyLM
from .policy_gradient import MAX_ENTROPY_COEF, RLConfig, rl
from .supervised import pretrain, sft

__all__ = ["DEMOS", "MAX_STEPS", "FINAL_METRICS", "demo_defaults", "run_demo", "to_json",
           "warm_checkpoints"]  # fmt: skip

#: name -> one-line description (shown by ``ptcourse demo --help``)
DEMOS = {
    "pretrain": "pre-train TinyLM on the grammar's web corpus (next-token loss)",
    "sft": "fine-tune the pretrained model on instruction -> answer demonstrations",
    "rl": "REINFORCE on the flawed reward with a KL leash to the SFT model (try --beta 0)",
    "grpo": "the same with GRPO group-normalised advantages and a k3 KL loss term",
    "bandit": "one-step bandit: sampled policy gradient vs the closed-form pi*",
}
#: where each demo's defaults live: its function's signature, or (rl, grpo) ``RLConfig``'s fields
_DEFAULTS = {"pretrain": pretrain, "sft": sft, "rl": RLConfig, "grpo": RLConfig, "bandit": bandit}
#: pretrain, sft: (the model training starts from, the cached checkpoint, the training loop)
_STAGES = {
    "pretrain": (lambda seed: TinyLM(seed=seed), pretrained_model, pretrain),
    "sft": (pretrained_model, sft_model, sft),
}
#: what ``final`` and ``start`` report
FINAL_METRICS = (*TRAINING_METRICS, "demo_perplexity")


def demo_defaults(name: str) -> dict:
    """The defaults of demo ``name``: ``steps`` and (rl, grpo, bandit) ``beta``, from its signature.

    >>> demo_defaults("bandit") == {"steps": 400, "beta": 0.3}  # bandit(steps=400, beta=0.3)
    True
    """
    if name not in DEMOS:
        raise ValueError(f"run_demo: unknown demo {name!r}; choose one of {', '.join(DEMOS)}")
    params = inspect.signature(_DEFAULTS[name]).parameters
    return {k: params[k].default for k in ("steps", "beta") if k in params}


#: The largest seed: torch seeds are 64-bit, and the training loops add the step to the seed.
MAX_SEED = 2**63 - 1

#: name -> the most ``steps`` a demo accepts: 10x its default, so a typo cannot start hours of run
MAX_STEPS = {name: 10 * demo_defaults(name)["steps"] for name in DEMOS}


def _is_int(value, lo: int, hi: float = math.inf) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def _check(name, beta, entropy_coef, steps, seed) -> None:
    demo_defaults(name)  # the name
    if steps is not None and not _is_int(steps, 1):
        raise ValueError(f"run_demo: 'steps' must be a positive int, got {steps!r}")
    if steps is not None and steps > MAX_STEPS[name]:
        raise ValueError(f"run_demo: 'steps' is at most {MAX_STEPS[name]} for the {name} demo "
                         f"(10x its default), got {steps}")  # fmt: skip
    if not _is_int(seed, 0, MAX_SEED):
        raise ValueError(f"run_demo: 'seed' must be an int from 0 to 2**63 - 1, got {seed!r}")
    if name in ("pretrain", "sft", "bandit") and entropy_coef:
        raise ValueError(f"run_demo: 'entropy_coef' applies to rl/grpo only, not to {name!r}")
    # entropy_coef is checked here, before the checkpoints are trained, not after
    if isinstance(entropy_coef, bool) or not isinstance(entropy_coef, (int, float, type(None))):
        raise ValueError(f"run_demo: 'entropy_coef' must be a number, got {entropy_coef!r}")
    if entropy_coef is not None and not 0 <= entropy_coef <= MAX_ENTROPY_COEF:
        raise ValueError(f"run_demo: 'entropy_coef' must be >= 0 and <= {MAX_ENTROPY_COEF:g}, "
                         f"got {entropy_coef!r}")  # fmt: skip
    if name in ("pretrain", "sft") and beta is not None:
        raise ValueError(f"run_demo: 'beta' applies to rl/grpo/bandit only, not to {name!r}")


def run_demo(
    name: str,
    *,
    beta: float | None = None,
    entropy_coef: float | None = None,
    steps: int | None = None,
    seed: int = 0,
    progress: Callable[[dict], None] | None = None,
) -> dict:
    """Run the demo ``name`` (one of ``DEMOS``) and return its JSON-able result.

    .. math::

        \\text{rl, grpo:}\\quad \\max_\\theta\\; \\mathbb{E}_{\\pi_\\theta}[r] - \\beta\\,
        \\mathrm{KL}(\\pi_\\theta\\|\\pi_{\\text{SFT}}) + c\\,\\mathcal{H}(\\pi_\\theta)

    ``beta`` is the KL coefficient of rl/grpo or bandit (checked by ``rl`` or ``bandit``),
    ``entropy_coef`` (default 0) the entropy bonus of rl/grpo, ``steps`` at most
    ``MAX_STEPS[name]``; ``None`` takes the demo's default (``demo_defaults(name)``). ``seed``
    seeds everything (checkpoints, rollouts, evaluation); ``progress`` is called with a dict
    ``{"phase", "step", "steps", ...}`` as training goes (module docstring). Bad arguments raise
    ValueError naming them.

    >>> out = run_demo("bandit", beta=0.5, steps=50)
    >>> sorted(out)  # the JSON contract
    ['demo', 'final', 'history', 'params', 'samples', 'seed', 'start']
    >>> seen = []
    >>> _ = run_demo("bandit", beta=0.5, steps=50, progress=seen.append)
    >>> seen[-1] == {"phase": "bandit", "step": 50, "steps": 50}
    True
    """
    _check(name, beta, entropy_coef, steps, seed)
    if progress is not None and not callable(progress):
        raise ValueError(f"run_demo: 'progress' must be callable or None, got {progress!r}")
    defaults = demo_defaults(name)
    steps = defaults["steps"] if steps is None else steps
    beta = defaults.get("beta") if beta is None else beta
    if name == "bandit":
        with _counting_steps(progress, "bandit", steps):
            params, final, hist, start, samples = _bandit_demo(beta, steps, seed)
    elif name in _STAGES:
        untrained, checkpoint, train = _STAGES[name]
        params = {"steps": steps}
        with _counting_steps(progress, "checkpoints"):
            base = untrained(seed)
        if steps == defaults["steps"]:
            with _counting_steps(progress, "checkpoints"):
                trained, hist = checkpoint(seed), checkpoint_history(name, seed)
        else:
            with _counting_steps(progress, name, steps):
                trained, hist = train(untrained(seed), steps=steps, seed=seed)
    else:
        entropy_coef = 0.0 if entropy_coef is None else entropy_coef
        advantage = "reinforce" if name == "rl" else "grpo"
        params = dict(beta=beta, entropy_coef=entropy_coef, steps=steps, advantage=advantage)
        with _counting_steps(progress, "checkpoints"):
            base = sft_model(seed)

        def report(row: dict) -> None:  # the rl loop's history row, as a progress event
            progress({"phase": name, "steps": steps, **row})

        callback = None if progress is None else report
        trained, hist = rl(sft_model(seed), base, **params, seed=seed, callback=callback)
    if name != "bandit":  # a text model: measured on 256 fresh answers, as is its start
        ev, start_ev = evaluate(trained, base), evaluate(base, base)
        final, start = ({k: e[k] for k in FINAL_METRICS} for e in (ev, start_ev))
        samples = ev["samples"]
    keys = ("demo", "seed", "params", "final", "history", "start", "samples")
    return dict(zip(keys, (name, seed, params, final, hist, start, samples), strict=True))


@contextlib.contextmanager
def _counting_steps(progress, phase: str, steps: int | None = None):
    """While the block runs, report every optimiser step of any loop to ``progress`` (via torch's
    global ``register_optimizer_step_post_hook``, so the loops need no callback)."""
    if progress is None:
        yield
        return
    count = itertools.count(1)
    handle = register_optimizer_step_post_hook(
        lambda *_: progress({"phase": phase, "step": next(count), "steps": steps})
    )
    try:
        yield
    finally:
        handle.remove()


def warm_checkpoints(seeds=(0,), progress: Callable[[dict], None] | None = None) -> list[str]:
    """Train (or load) the checkpoints the demos and chapters use, for each seed; return their names.

    With ``PTCOURSE_TOY_CACHE`` set they land there, so later processes (a demo, a chapter kernel)
    load them instead of training (``ptcourse demo --warm``). Seed 0's ship with the package:
    nothing to train or write for it. A seed outside 0..2**63 - 1 raises ValueError.

    >>> warm_checkpoints([0])
    ['pretrain seed 0 (shipped)', 'sft seed 0 (shipped)']
    """
    seeds = list(seeds)
    for s in seeds:
        if not _is_int(s, 0, MAX_SEED):
            raise ValueError(
                f"warm_checkpoints: 'seeds' must be ints from 0 to 2**63 - 1, got {s!r}"
            )
    done, shipped = [], checkpoints.manifest()
    for s in seeds:
        if all(checkpoints.shipped_name(stage, s) in shipped for stage in checkpoints.STAGES):
            done += [f"{stage} seed {s} (shipped)" for stage in checkpoints.STAGES]
            continue
        paths = [checkpoints._disk_path(stage, s) for stage in ("pretrain", "sft")]
        if any(p is not None and not p.exists() for p in paths):
            checkpoints._trained.cache_clear()  # trained in this process already: train to disk
        with _counting_steps(progress, "checkpoints"):
            for stage, checkpoint in (("pretrain", pretrained_model), ("sft", sft_model)):
                checkpoint(s)
                done.append(f"{stage} seed {s}")
    return done


def _bandit_demo(beta, steps, seed) -> tuple:
    """The bandit's ``params, final, history, start, samples``."""
    out = bandit(beta=beta, steps=steps, seed=seed)  # checks beta
    ref = torch.tensor(BANDIT_REF_LOGITS)
    start = policy_summary(ref, torch.tensor(BANDIT_REWARDS), ref)._asdict()
    none = {k: None for k in FINAL_METRICS if k not in start}  # the text metrics do not apply
    arms = zip(
        *(out[k] for k in ("arms", "ref_probs", "optimal_probs", "learned_probs")), strict=True
    )
    samples = [f"{a:>6}: ref {p0:.3f}  pi* {p1:.3f}  learned {p2:.3f}" for a, p0, p1, p2 in arms]
    params, final = {"beta": beta, "steps": steps}, {**out["final"], **none, "tv": out["tv"]}
    return params, final, out["history"], {**start, **none, "tv": None}, samples


def to_json(result: dict) -> str:
    """One line of JSON (keys in insertion order; NaN raises ValueError).

    >>> to_json({"demo": "x", "final": {"kl": 0.5}})
    '{"demo": "x", "final": {"kl": 0.5}}'
    """
    return json.dumps(result, allow_nan=False)
