"""The dials' pure computations, with ptcourse's core: one function per dial from knob to numbers.

:func:`readout` is the line of numbers under a slider. The ipywidgets and the HTML dials call both.
"""

from __future__ import annotations

import functools
import math

import torch

from ptcourse.kl import kl_divergence, kl_estimate, kl_regularized_policy
from ptcourse.spread import entropy

from . import examples as ex

__all__ = [
    "temperature_state",
    "beta_state",
    "estimators_state",
    "estimator_xlim",
    "slider_values",
    "readout",
    "state",
    "check_name",
    "fmt_beta",
]


def _check_positive(name: str, value: float) -> float:
    """``value`` as a positive finite float, or a ValueError naming the argument."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def temperature_state(T: float) -> dict:
    r"""Next-token distribution of the example logits at temperature ``T`` (> 0), and its entropy.

    .. math::

        p_i(T) = \frac{\exp(z_i / T)}{\sum_j \exp(z_j / T)}, \qquad
        H(p) = -\sum_i p_i \log p_i \quad \text{(nats)}

    Returns ``T``, ``prompt``, ``tokens`` (10 str), ``logits``, ``probs`` (10 floats each),
    ``entropy`` (nats) and ``max_entropy`` (:math:`\log 10`). A bad ``T`` is a ValueError.

    >>> s = temperature_state(1.0)
    >>> s["tokens"][0], round(s["probs"][0], 3)  # the most likely next token and its probability
    ('mat', 0.496)
    >>> round(s["entropy"], 3), round(temperature_state(3.0)["entropy"], 3)  # hotter -> flatter
    (1.598, 2.193)
    """
    T = _check_positive("T", T)
    scaled = torch.tensor(ex.TEMPERATURE_LOGITS, dtype=torch.float64) / T  # (V,)
    return {
        "T": T,
        "prompt": ex.TEMPERATURE_PROMPT,
        "tokens": list(ex.TEMPERATURE_TOKENS),
        "logits": list(ex.TEMPERATURE_LOGITS),
        "probs": torch.softmax(scaled, dim=-1).tolist(),
        "entropy": float(entropy(scaled)),
        "max_entropy": math.log(len(ex.TEMPERATURE_TOKENS)),
    }


def beta_state(beta: float) -> dict:
    r"""The KL-regularised optimal policy on the example answers at KL coefficient ``beta`` (> 0).

    .. math::

        \pi^*(y) = \frac{\pi_\text{ref}(y)\, \exp(r(y) / \beta)}
                        {\sum_{y'} \pi_\text{ref}(y')\, \exp(r(y') / \beta)}, \qquad
        \mathrm{KL}(\pi^* \,\|\, \pi_\text{ref}) = \sum_y \pi^*(y) \log \frac{\pi^*(y)}{\pi_\text{ref}(y)}

    :math:`\pi^*` maximises :math:`\mathbb{E}_\pi[r] - \beta\, \mathrm{KL}(\pi \,\|\, \pi_\text{ref})`
    (Rafailov et al., 2023, eq. 4): large :math:`\beta` returns it to :math:`\pi_\text{ref}`, small
    puts all its mass on the answer the flawed reward overpays. Returns ``beta``, ``prompt``,
    ``answers`` (8 str), ``ref_probs``, ``rewards``, ``probs`` (8 floats each), ``expected_reward``
    :math:`\mathbb{E}_{\pi^*}[r]`, ``ref_expected_reward`` and ``kl`` (nats). A bad ``beta`` is a
    ValueError.

    >>> s = beta_state(1.0)
    >>> round(s["expected_reward"], 3), round(s["ref_expected_reward"], 3)  # pi* earns more ...
    (0.757, 0.592)
    >>> round(s["kl"], 3)  # ... at a price in KL (nats)
    0.08
    """
    beta = _check_positive("beta", beta)
    ref_logits = torch.tensor(ex.BETA_REF_PROBS, dtype=torch.float64).log()  # (Y,)
    rewards = torch.tensor(ex.BETA_REWARDS, dtype=torch.float64)  # (Y,)
    logpi = kl_regularized_policy(ref_logits, rewards, beta)  # (Y,) normalised log-probs
    probs = logpi.exp()
    return {
        "beta": beta,
        "prompt": ex.BETA_PROMPT,
        "answers": list(ex.BETA_ANSWERS),
        "ref_probs": list(ex.BETA_REF_PROBS),
        "rewards": list(ex.BETA_REWARDS),
        "probs": probs.tolist(),
        "expected_reward": float((probs * rewards).sum()),
        "ref_expected_reward": float((ref_logits.exp() * rewards).sum()),
        "kl": float(kl_divergence(logpi, ref_logits)),
    }


def estimators_state(
    n: int, *, repeats: int = ex.ESTIMATOR_REPEATS, seed: int = ex.ESTIMATOR_SEED
) -> dict:
    r"""Spread of the mean-of-``n`` Monte-Carlo estimates k1, k2, k3 of KL(p‖q), over repeats.

    Draw :math:`x_1, \dots, x_n \sim p` (a ``torch.Generator`` seeded with ``seed``), let
    :math:`\log r_i = \log q(x_i) - \log p(x_i)` and average one of (:func:`ptcourse.kl_estimate`;
    Schulman, 2020, "Approximating KL divergence")

    .. math::

        k_1 = -\log r, \qquad k_2 = \tfrac12 (\log r)^2, \qquad k_3 = (r - 1) - \log r .

    k1 and k3 are unbiased, k2 biased; k2 and k3 have low variance; spreads shrink like
    :math:`1/\sqrt{n}`. ``n`` must be an int >= 1 and ``repeats`` an int >= 2 (else ValueError).
    Returns ``n``, ``repeats``, ``seed``, ``kinds``, ``p_logits``, ``q_logits``, ``true_kl`` (nats)
    and, keyed by kind, ``mean``, ``std`` and ``quantiles`` (5, 25, 50, 75, 95 %) over the repeats.

    >>> s = estimators_state(16)
    >>> round(s["true_kl"], 4)  # exact KL(p||q) in nats
    0.0678
    >>> s["std"]["k3"] < s["std"]["k1"]  # k3 is far less noisy than k1 for close p, q
    True
    """
    for name, v, low in (("n", n, 1), ("repeats", repeats, 2)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(f"{name} must be an int >= {low}, got {v!r}")
    p_logits = torch.tensor(ex.ESTIMATOR_P_LOGITS, dtype=torch.float64)  # (V,)
    q_logits = torch.tensor(ex.ESTIMATOR_Q_LOGITS, dtype=torch.float64)  # (V,)
    logp_all = torch.log_softmax(p_logits, dim=-1)
    logq_all = torch.log_softmax(q_logits, dim=-1)
    gen = torch.Generator().manual_seed(seed)
    x = torch.multinomial(logp_all.exp(), repeats * n, replacement=True, generator=gen)
    x = x.view(repeats, n)  # (R, n) token ids drawn from p
    levels = torch.tensor([0.05, 0.25, 0.5, 0.75, 0.95], dtype=torch.float64)
    mean, std, quantiles = {}, {}, {}
    for kind in ex.ESTIMATOR_KINDS:
        # k(x) depends on x alone: evaluate it once per outcome, then look the samples up.
        est = kl_estimate(logp_all, logq_all, kind=kind).double()[x].mean(dim=-1)  # (R,)
        mean[kind] = float(est.mean())
        std[kind] = float(est.std())
        quantiles[kind] = torch.quantile(est, levels).tolist()
    return {
        "n": n,
        "repeats": repeats,
        "seed": seed,
        "kinds": list(ex.ESTIMATOR_KINDS),
        "p_logits": list(ex.ESTIMATOR_P_LOGITS),
        "q_logits": list(ex.ESTIMATOR_Q_LOGITS),
        "true_kl": float(kl_divergence(p_logits, q_logits)),
        "mean": mean,
        "std": std,
        "quantiles": quantiles,
    }


@functools.lru_cache(maxsize=1)
def estimator_xlim() -> tuple[float, float]:
    """Fixed x-range of the estimators figure: the n = 1 whiskers (the widest) plus a margin.

    >>> lo, hi = estimator_xlim()
    >>> lo < estimators_state(1)["true_kl"] < hi  # the true KL is always in view
    True
    """
    st = estimators_state(1)
    lo = min(st["quantiles"][k][0] for k in st["kinds"])
    hi = max(st["quantiles"][k][4] for k in st["kinds"])
    pad = 0.08 * (hi - lo)
    return round(lo - pad, 3), round(hi + pad, 3)


def slider_values(name: str) -> list:
    """The knob values at each slider position of dial ``name`` (T, beta or n), in order.

    >>> slider_values("estimators")[:4]  # sample sizes n at the first four positions
    [1, 2, 3, 4]
    """
    s = ex.SLIDERS[check_name(name)]
    count = int(round((s["max"] - s["min"]) / s["step"])) + 1
    positions = [s["min"] + i * s["step"] for i in range(count)]
    if name == "temperature":
        return [round(v, 6) for v in positions]
    if name == "beta":
        return [10 ** round(v, 6) for v in positions]
    return [ex.ESTIMATOR_NS[int(v)] for v in positions]


def check_name(name: str) -> str:
    """``name`` if it is one of ``DIALS``, else a ValueError.

    >>> check_name("beta")
    'beta'
    """
    if name not in ex.DIALS:
        raise ValueError(f"name must be one of {ex.DIALS}, got {name!r}")
    return name


def readout(name: str, state: dict) -> str:
    """One line with the knob value and the numbers of a dial's ``state`` (shown under the slider).

    >>> readout("temperature", temperature_state(1.0))
    'T = 1.00 · entropy = 1.598 nats (uniform: 2.303)'
    """
    if check_name(name) == "temperature":
        return (
            f"T = {state['T']:.2f} · entropy = {state['entropy']:.3f} nats "
            f"(uniform: {state['max_entropy']:.3f})"
        )
    if name == "beta":
        return (
            f"β = {fmt_beta(state['beta'])} · expected reward = {state['expected_reward']:.3f} "
            f"(π_ref: {state['ref_expected_reward']:.3f}) · KL(π*‖π_ref) = {state['kl']:.3f} nats"
        )
    std = ", ".join(f"{k} = {state['std'][k]:.4f}" for k in state["kinds"])
    return (
        f"n = {state['n']} · std over {state['repeats']} repeats: {std} · "
        f"true KL = {state['true_kl']:.4f} nats"
    )


def fmt_beta(beta: float) -> str:
    """``beta`` with three decimals below 0.1, else two.

    >>> fmt_beta(0.05), fmt_beta(1.0)
    ('0.050', '1.00')
    """
    return f"{beta:.3f}" if beta < 0.1 else f"{beta:.2f}"


def state(name: str, value) -> dict:
    """The state of dial ``name`` at knob ``value`` (T, beta or n), from the functions above.

    >>> state("beta", 1.0) == beta_state(1.0)  # one computation behind widget and HTML
    True
    """
    funcs = {"temperature": temperature_state, "beta": beta_state, "estimators": estimators_state}
    return funcs[check_name(name)](value)
