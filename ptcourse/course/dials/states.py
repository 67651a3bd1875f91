"""The three course dials: their example data, their computation, and kernel-free HTML/JS versions.

Each dial turns one knob and shows what the three quantities do:

* ``"temperature"``: temperature :math:`T` -> the next-token distribution
  :math:`\\mathrm{softmax}(z / T)` over ten example tokens, and its entropy;
* ``"beta"``: the KL coefficient :math:`\\beta` -> the KL-regularised optimal policy
  :math:`\\pi^* \\propto \\pi_\\text{ref} \\exp(r / \\beta)` over eight example answers, with its expected
  reward and its KL to the reference (Rafailov et al., 2023, eq. 4; Korbak et al., 2022);
* ``"estimators"``: the sample size :math:`n` -> the spread of the Monte-Carlo KL estimators
  k1, k2, k3 (Schulman, 2020, "Approximating KL divergence", http://joschu.net/blog/kl-approx.html).

A pure function per dial (:func:`temperature_state`, :func:`beta_state`, :func:`estimators_state`)
holds the example data and does the computation with the core functions of ptcourse, returning plain
numbers and lists. Both the ipywidgets dials of :mod:`ptcourse.widgets` (for Jupyter and Colab) and the
kernel-free HTML dials built here (for the static site) call these functions, so the two can never
disagree.

The kernel-free dial (:func:`html_dial`) precomputes one frame per slider position at build time and
emits a self-contained HTML snippet: a labelled ``<input type="range">``, an ``<output>`` with the
numbers, and an inline SVG figure that a few lines of inline JavaScript redraw from the precomputed
frames when the slider moves. No external script, no network, no Python at reading time. This module
imports only torch and the ptcourse core (no matplotlib, no ipywidgets).
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import math

import torch

from ptcourse.entropy import entropy
from ptcourse.kl import kl_divergence, kl_estimate, kl_regularized_policy

__all__ = [
    "DIALS",
    "SLIDERS",
    "DialHTML",
    "temperature_state",
    "beta_state",
    "estimators_state",
    "readout",
    "state",
    "estimator_xlim",
    "slider_values",
    "html_dial",
    "temperature_html",
    "beta_html",
    "estimators_html",
]

DIALS = ("temperature", "beta", "estimators")

# --------------------------------------------------------------------------------------------------
# Example data (fixed; the chapters' prose refers to it through glue, never by typed numbers)
# --------------------------------------------------------------------------------------------------

TEMPERATURE_PROMPT = "The cat sat on the"
TEMPERATURE_TOKENS = ("mat", "floor", "sofa", "bed", "rug", "roof", "chair", "lap", "piano", "moon")
TEMPERATURE_LOGITS = (3.2, 2.1, 1.7, 1.3, 1.1, 0.6, 0.3, 0.0, -1.0, -2.5)

BETA_PROMPT = "What is 6 x 7?"
# A reward model with a flaw: it overpays for enthusiasm ("42!!! Great q!"), which the reference
# policy rarely says. Small beta lets pi* chase that flaw; large beta keeps pi* near pi_ref.
BETA_ANSWERS = (
    "42",
    "It is 42.",
    "6 x 7 = 42",
    "42!!! Great q!",
    "About 40",
    "48",
    "41",
    "Not sure",
)
BETA_REF_PROBS = (0.25, 0.20, 0.15, 0.02, 0.10, 0.10, 0.08, 0.10)
BETA_REWARDS = (0.8, 0.9, 1.0, 1.6, 0.1, 0.0, 0.0, 0.2)

# Two close next-token distributions p (the policy, which we sample from) and q (the reference).
ESTIMATOR_P_LOGITS = (1.0, 0.6, 0.2, -0.2, -0.6, -1.0)
ESTIMATOR_Q_LOGITS = (0.5, 0.9, 0.3, -0.6, -0.2, -1.4)
ESTIMATOR_KINDS = ("k1", "k2", "k3")
ESTIMATOR_REPEATS = 1000
ESTIMATOR_SEED = 0
# Sample sizes on the slider: about sqrt(2) apart, 1 .. 1024.
ESTIMATOR_NS = (1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, 91, 128, 181, 256, 362, 512, 724, 1024)

# Slider settings shared by the ipywidgets and the HTML dials. For "beta" the slider moves
# log10(beta); for "estimators" it moves the index into ESTIMATOR_NS.
SLIDERS = {
    "temperature": {"label": "Temperature T", "min": 0.1, "max": 3.0, "step": 0.1, "value": 1.0},
    "beta": {
        "label": "KL coefficient β (log scale)",
        "min": -1.3,
        "max": 1.0,
        "step": 0.1,
        "value": 0.0,
    },
    "estimators": {
        "label": "Sample size n",
        "min": 0,
        "max": len(ESTIMATOR_NS) - 1,
        "step": 1,
        "value": ESTIMATOR_NS.index(16),
    },
}


def _check_positive(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise ValueError naming the argument."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


# --------------------------------------------------------------------------------------------------
# The pure computations
# --------------------------------------------------------------------------------------------------


def temperature_state(T: float) -> dict:
    r"""Next-token distribution of the example logits at temperature ``T``, and its entropy.

    .. math::

        p_i(T) = \frac{\exp(z_i / T)}{\sum_j \exp(z_j / T)}, \qquad
        H(p) = -\sum_i p_i \log p_i \quad \text{(nats)}

    Parameters
    ----------
    T : float
        Temperature, > 0. Below 1 sharpens the distribution, above 1 flattens it.

    Returns
    -------
    dict
        ``T``, ``prompt``, ``tokens`` (10 str), ``logits`` and ``probs`` (lists of 10 floats),
        ``entropy`` (nats, from :func:`ptcourse.entropy`) and ``max_entropy`` (:math:`\log 10`).

    Examples
    --------
    >>> s = temperature_state(1.0)
    >>> s["tokens"][0], round(s["probs"][0], 3)  # the most likely next token and its probability
    ('mat', 0.496)
    >>> round(s["entropy"], 3), round(temperature_state(3.0)["entropy"], 3)  # hotter -> flatter
    (1.598, 2.193)
    """
    T = _check_positive("T", T)
    logits = torch.tensor(TEMPERATURE_LOGITS, dtype=torch.float64)  # (V,)
    scaled = logits / T  # (V,)
    probs = torch.softmax(scaled, dim=-1)  # (V,)
    return {
        "T": T,
        "prompt": TEMPERATURE_PROMPT,
        "tokens": list(TEMPERATURE_TOKENS),
        "logits": list(TEMPERATURE_LOGITS),
        "probs": probs.tolist(),
        "entropy": float(entropy(scaled)),
        "max_entropy": math.log(len(TEMPERATURE_TOKENS)),
    }


def beta_state(beta: float) -> dict:
    r"""The KL-regularised optimal policy on the example answers at KL coefficient ``beta``.

    .. math::

        \pi^*(y) = \frac{\pi_\text{ref}(y)\, \exp(r(y) / \beta)}
                        {\sum_{y'} \pi_\text{ref}(y')\, \exp(r(y') / \beta)}, \qquad
        \mathbb{E}_{\pi^*}[r], \qquad
        \mathrm{KL}(\pi^* \,\|\, \pi_\text{ref}) = \sum_y \pi^*(y) \log \frac{\pi^*(y)}{\pi_\text{ref}(y)}

    :math:`\pi^*` maximises :math:`\mathbb{E}_\pi[r] - \beta\, \mathrm{KL}(\pi \,\|\, \pi_\text{ref})`.
    As :math:`\beta \to \infty` it returns to :math:`\pi_\text{ref}`; as :math:`\beta \to 0` it puts
    all its mass on the highest-reward answer, here the one the flawed reward overpays.

    Parameters
    ----------
    beta : float
        KL coefficient, > 0.

    Returns
    -------
    dict
        ``beta``, ``prompt``, ``answers`` (8 str), ``ref_probs``, ``rewards``, ``probs`` (lists of 8
        floats; ``probs`` from :func:`ptcourse.kl_regularized_policy`), ``expected_reward``,
        ``ref_expected_reward`` and ``kl`` (nats, from :func:`ptcourse.kl_divergence`).

    Examples
    --------
    >>> s = beta_state(1.0)
    >>> round(s["expected_reward"], 3), round(s["ref_expected_reward"], 3)  # pi* earns more ...
    (0.757, 0.592)
    >>> round(s["kl"], 3)  # ... at a price in KL (nats)
    0.08
    """
    beta = _check_positive("beta", beta)
    ref_logits = torch.tensor(BETA_REF_PROBS, dtype=torch.float64).log()  # (Y,)
    rewards = torch.tensor(BETA_REWARDS, dtype=torch.float64)  # (Y,)
    logpi = kl_regularized_policy(ref_logits, rewards, beta)  # (Y,) normalised log-probs
    probs = logpi.exp()  # (Y,)
    return {
        "beta": beta,
        "prompt": BETA_PROMPT,
        "answers": list(BETA_ANSWERS),
        "ref_probs": list(BETA_REF_PROBS),
        "rewards": list(BETA_REWARDS),
        "probs": probs.tolist(),
        "expected_reward": float((probs * rewards).sum()),
        "ref_expected_reward": float((ref_logits.exp() * rewards).sum()),
        "kl": float(kl_divergence(logpi, ref_logits)),
    }


def estimators_state(
    n: int, *, repeats: int = ESTIMATOR_REPEATS, seed: int = ESTIMATOR_SEED
) -> dict:
    r"""Spread of the mean-of-``n`` Monte-Carlo estimates k1, k2, k3 of KL(p‖q) over many repeats.

    Draw :math:`x_1, \dots, x_n \sim p`, let :math:`\log r_i = \log q(x_i) - \log p(x_i)`, and average
    one of (:func:`ptcourse.kl_estimate`)

    .. math::

        k_1 = -\log r, \qquad k_2 = \tfrac12 (\log r)^2, \qquad k_3 = (r - 1) - \log r .

    k1 and k3 are unbiased for :math:`\mathrm{KL}(p \,\|\, q)`; k2 is biased but has low variance;
    k3 has low variance too. Repeating the draw ``repeats`` times shows each estimator's spread,
    which shrinks like :math:`1/\sqrt{n}`.

    Parameters
    ----------
    n : int
        Samples per estimate, >= 1.
    repeats : int
        How many independent estimates to draw, >= 2.
    seed : int
        Seed of the ``torch.Generator``; same seed, same numbers.

    Returns
    -------
    dict
        ``n``, ``repeats``, ``seed``, ``kinds`` (``["k1", "k2", "k3"]``), ``true_kl`` (nats, from
        :func:`ptcourse.kl_divergence`), and per kind: ``mean`` and ``std`` (over repeats) and
        ``quantiles`` (the 5, 25, 50, 75 and 95 % quantiles), each a dict keyed by kind.

    Examples
    --------
    >>> s = estimators_state(16)
    >>> round(s["true_kl"], 4)  # exact KL(p||q) in nats
    0.0678
    >>> s["std"]["k3"] < s["std"]["k1"]  # k3 is far less noisy than k1 for close p, q
    True
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 2:
        raise ValueError(f"repeats must be an int >= 2, got {repeats!r}")
    p_logits = torch.tensor(ESTIMATOR_P_LOGITS, dtype=torch.float64)  # (V,)
    q_logits = torch.tensor(ESTIMATOR_Q_LOGITS, dtype=torch.float64)  # (V,)
    logp_all = torch.log_softmax(p_logits, dim=-1)  # (V,)
    logq_all = torch.log_softmax(q_logits, dim=-1)  # (V,)
    gen = torch.Generator().manual_seed(seed)
    x = torch.multinomial(logp_all.exp(), repeats * n, replacement=True, generator=gen)
    x = x.view(repeats, n)  # (R, n) token ids drawn from p
    levels = torch.tensor([0.05, 0.25, 0.5, 0.75, 0.95], dtype=torch.float64)
    mean, std, quantiles = {}, {}, {}
    for kind in ESTIMATOR_KINDS:
        # k(x) depends on x alone: evaluate it once per outcome, then look the samples up.
        per_outcome = kl_estimate(logp_all, logq_all, kind=kind).double()  # (V,)
        est = per_outcome[x].mean(dim=-1)  # (R,) mean of n samples
        mean[kind] = float(est.mean())
        std[kind] = float(est.std())
        quantiles[kind] = torch.quantile(est, levels).tolist()
    return {
        "n": n,
        "repeats": repeats,
        "seed": seed,
        "kinds": list(ESTIMATOR_KINDS),
        "p_logits": list(ESTIMATOR_P_LOGITS),
        "q_logits": list(ESTIMATOR_Q_LOGITS),
        "true_kl": float(kl_divergence(p_logits, q_logits)),
        "mean": mean,
        "std": std,
        "quantiles": quantiles,
    }


@functools.lru_cache(maxsize=1)
def estimator_xlim() -> tuple[float, float]:
    """Fixed x-range of the estimators figure: the n = 1 whiskers (the widest) plus a margin.

    Examples
    --------
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

    Examples
    --------
    >>> slider_values("estimators")[:4]  # sample sizes n at the first four positions
    [1, 2, 3, 4]
    """
    s = SLIDERS[_check_name(name)]
    count = int(round((s["max"] - s["min"]) / s["step"])) + 1
    positions = [s["min"] + i * s["step"] for i in range(count)]
    if name == "temperature":
        return [round(v, 6) for v in positions]
    if name == "beta":
        return [10 ** round(v, 6) for v in positions]
    return [ESTIMATOR_NS[int(v)] for v in positions]


def _check_name(name: str) -> str:
    if name not in DIALS:
        raise ValueError(f"name must be one of {DIALS}, got {name!r}")
    return name


def readout(name: str, state: dict) -> str:
    """One line with the knob value and the numbers of a dial's ``state`` (shown under the slider).

    Examples
    --------
    >>> readout("temperature", temperature_state(1.0))  # what the reader sees under the slider
    'T = 1.00 · entropy = 1.598 nats (uniform: 2.303)'
    """
    if _check_name(name) == "temperature":
        return (
            f"T = {state['T']:.2f} · entropy = {state['entropy']:.3f} nats "
            f"(uniform: {state['max_entropy']:.3f})"
        )
    if name == "beta":
        return (
            f"β = {_fmt_beta(state['beta'])} · expected reward = {state['expected_reward']:.3f} "
            f"(π_ref: {state['ref_expected_reward']:.3f}) · KL(π*‖π_ref) = {state['kl']:.3f} nats"
        )
    std = ", ".join(f"{k} = {state['std'][k]:.4f}" for k in state["kinds"])
    return (
        f"n = {state['n']} · std over {state['repeats']} repeats: {std} · "
        f"true KL = {state['true_kl']:.4f} nats"
    )


def _fmt_beta(beta: float) -> str:
    return f"{beta:.3f}" if beta < 0.1 else f"{beta:.2f}"


def _alt(name: str, state: dict) -> str:
    """Alt text describing the figure of a dial at ``state``."""
    if name == "temperature":
        i = max(range(len(state["probs"])), key=state["probs"].__getitem__)
        return (
            f"Horizontal bar chart of the next-token probabilities of {len(state['tokens'])} "
            f"example tokens after '{state['prompt']}' at temperature T = {state['T']:.2f}; "
            f"the most likely token is '{state['tokens'][i]}' with probability "
            f"{state['probs'][i]:.2f}, and the entropy is {state['entropy']:.2f} nats."
        )
    if name == "beta":
        i = max(range(len(state["probs"])), key=state["probs"].__getitem__)
        return (
            f"Horizontal bar chart comparing the reference policy π_ref (grey) with the "
            f"KL-regularised optimal policy π* (blue) over {len(state['answers'])} answers to "
            f"'{state['prompt']}' at β = {_fmt_beta(state['beta'])}; π* puts its largest "
            f"probability, {state['probs'][i]:.2f}, on '{state['answers'][i]}'."
        )
    widest = max(state["kinds"], key=state["std"].__getitem__)
    return (
        f"Box plots of the mean-of-n KL estimates k1, k2 and k3 over {state['repeats']} repeats "
        f"at n = {state['n']}, with the true KL {state['true_kl']:.3f} marked by a dashed line; "
        f"boxes span the 25-75% quantiles and whiskers the 5-95% quantiles; {widest} is the "
        f"widest (std {state['std'][widest]:.3f})."
    )


def state(name: str, value) -> dict:
    """The state of dial ``name`` at knob ``value`` (T, beta or n); dispatches to the functions above.

    Examples
    --------
    >>> state("beta", 1.0) == beta_state(1.0)  # one computation behind widget and HTML
    True
    """
    if _check_name(name) == "temperature":
        return temperature_state(value)
    if name == "beta":
        return beta_state(value)
    return estimators_state(value)


# --------------------------------------------------------------------------------------------------
# Kernel-free HTML dials
# --------------------------------------------------------------------------------------------------


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick positions covering [lo, hi]."""
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.ceil(lo / step - 1e-9) * step
    ticks = []
    t = start
    while t <= hi + 1e-9:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _round(xs, digits: int = 5):
    if isinstance(xs, (list, tuple)):
        return [_round(x, digits) for x in xs]
    return round(float(xs), digits)


def _spec(name: str) -> dict:
    """Everything the JavaScript needs to draw every frame of dial ``name``."""
    slider = SLIDERS[name]
    values = slider_values(name)
    states = [state(name, v) for v in values]
    frames = []
    for st in states:
        frame = {"readout": readout(name, st), "alt": _alt(name, st)}
        if name == "temperature":
            frame["valuetext"] = f"T = {st['T']:.2f}"
            frame["values"] = [_round(st["probs"])]
            frame["notes"] = [f"{p:.2f}" for p in st["probs"]]
        elif name == "beta":
            frame["valuetext"] = f"β = {_fmt_beta(st['beta'])}"
            frame["values"] = [_round(st["ref_probs"]), _round(st["probs"])]
            frame["notes"] = [f"{p:.2f}" for p in st["probs"]]
        else:
            frame["valuetext"] = f"n = {st['n']}"
            frame["values"] = [
                _round(st["quantiles"][k] + [st["mean"][k]]) for k in st["kinds"]
            ]  # per row: q05, q25, q50, q75, q95, mean
            frame["notes"] = [f"std {st['std'][k]:.3f}" for k in st["kinds"]]
        frames.append(frame)
    spec = {
        "min": slider["min"],
        "max": slider["max"],
        "step": slider["step"],
        "width": 480,
        "frames": frames,
    }
    if name == "temperature":
        spec.update(
            type="bars",
            height=290,
            margin={"l": 64, "r": 44, "t": 28, "b": 42},
            rows=list(TEMPERATURE_TOKENS),
            series=[{"name": "p(token) at temperature T", "color": "#1f4e99"}],
            legend=True,
            xmin=0.0,
            xmax=1.0,
            xlabel=f"probability of the next token after '{TEMPERATURE_PROMPT}'",
            ref=None,
        )
    elif name == "beta":
        spec.update(
            type="bars",
            height=300,
            margin={"l": 136, "r": 44, "t": 28, "b": 42},
            rows=[f"{a} (r={r:.1f})" for a, r in zip(BETA_ANSWERS, BETA_REWARDS, strict=True)],
            series=[
                {"name": "π_ref (reference)", "color": "#9aa4b1"},
                {"name": "π* (optimal at β)", "color": "#1f4e99"},
            ],
            legend=True,
            xmin=0.0,
            xmax=1.0,
            xlabel=f"probability of each answer to '{BETA_PROMPT}'",
            ref=None,
        )
    else:
        lo, hi = estimator_xlim()
        spec.update(
            type="boxes",
            height=210,
            margin={"l": 112, "r": 70, "t": 24, "b": 42},
            rows=["k1 = −log r", "k2 = ½(log r)²", "k3 = (r−1) − log r"],
            series=[
                {"name": "k1", "color": "#b5400b"},
                {"name": "k2", "color": "#6f42c1"},
                {"name": "k3", "color": "#1d7a36"},
            ],
            legend=False,
            xmin=lo,
            xmax=hi,
            xlabel="mean-of-n estimate of KL(p‖q) in nats (box 25–75%, whiskers 5–95%)",
            ref={"value": _round(states[0]["true_kl"]), "label": "true KL"},
        )
    spec["xticks"] = _nice_ticks(spec["xmin"], spec["xmax"])
    return spec


_CSS = """
div.ptc-dial{background:#fff;color:#1b1b1b;border:1px solid #8c959f;border-radius:8px;
padding:.6em .9em;margin:1em 0;max-width:580px;font-size:.95rem;line-height:1.4}
div.ptc-dial label,div.ptc-dial output,div.ptc-dial p{color:#1b1b1b;background:#fff}
div.ptc-dial label{font-weight:600;display:block}
div.ptc-dial input.ptc-dial-slider{width:100%;accent-color:#1f4e99;margin:.3em 0}
div.ptc-dial output.ptc-dial-value{display:block;font-family:monospace;font-size:.9rem;
min-height:2.6em}
div.ptc-dial svg.ptc-dial-figure{display:block;width:100%;height:auto;background:#fff}
"""

# Draws one frame into the SVG. Generic over the two figure types: "bars" (one horizontal bar per
# row and series, probabilities on a fixed 0..1 axis) and "boxes" (one box plot per row).
_JS = """
(function () {
  var root = document.getElementById(%(id)s);
  if (!root || root.getAttribute("data-ready") === "1") { return; }
  root.setAttribute("data-ready", "1");
  var S = %(spec)s;
  var slider = root.querySelector("input.ptc-dial-slider");
  var out = root.querySelector("output.ptc-dial-value");
  var svg = root.querySelector("svg.ptc-dial-figure");
  var NS = "http://www.w3.org/2000/svg", INK = "#1b1b1b", GRID = "#d0d7de";
  var W = S.width, H = S.height, M = S.margin;
  function el(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    svg.appendChild(e);
    return e;
  }
  function X(v) {
    v = Math.max(S.xmin, Math.min(S.xmax, v));
    return M.l + (v - S.xmin) / (S.xmax - S.xmin) * (W - M.l - M.r);
  }
  function draw(f) {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    el("title", {}, f.alt);
    svg.setAttribute("aria-label", f.alt);
    var rowH = (H - M.t - M.b) / S.rows.length, ns = S.series.length;
    S.xticks.forEach(function (t) {
      el("line", {x1: X(t), x2: X(t), y1: M.t, y2: H - M.b, stroke: GRID});
      el("text", {x: X(t), y: H - M.b + 14, "text-anchor": "middle", "font-size": 11, fill: INK},
         String(t));
    });
    el("text", {x: (M.l + W - M.r) / 2, y: H - 8, "text-anchor": "middle", "font-size": 11,
                fill: INK}, S.xlabel);
    var lx = M.l;
    (S.legend ? S.series : []).forEach(function (s) {
      el("rect", {x: lx, y: 8, width: 10, height: 10, fill: s.color});
      el("text", {x: lx + 14, y: 17, "font-size": 11, fill: INK}, s.name);
      lx += 24 + 6.2 * s.name.length;
    });
    S.rows.forEach(function (label, r) {
      var y0 = M.t + r * rowH, yc = y0 + rowH / 2, v;
      el("text", {x: M.l - 6, y: yc + 4, "text-anchor": "end", "font-size": 11, fill: INK}, label);
      if (S.type === "bars") {
        var bh = rowH * 0.8 / ns;
        for (var s = 0; s < ns; s++) {
          v = f.values[s][r];
          el("rect", {x: X(0), y: y0 + rowH * 0.1 + s * bh, width: Math.max(X(v) - X(0), 0.5),
                      height: bh, fill: S.series[s].color});
        }
        el("text", {x: X(v) + 4, y: y0 + rowH * 0.1 + (ns - 0.5) * bh + 4, "font-size": 10,
                    fill: INK}, f.notes[r]);
      } else {
        var q = f.values[r], c = S.series[r].color, bh2 = rowH * 0.5;
        el("line", {x1: X(q[0]), x2: X(q[4]), y1: yc, y2: yc, stroke: c, "stroke-width": 2});
        el("rect", {x: X(q[1]), y: yc - bh2 / 2, width: Math.max(X(q[3]) - X(q[1]), 1),
                    height: bh2, fill: c, "fill-opacity": 0.35, stroke: c, "stroke-width": 2});
        el("line", {x1: X(q[2]), x2: X(q[2]), y1: yc - bh2 / 2, y2: yc + bh2 / 2, stroke: c,
                    "stroke-width": 3});
        el("circle", {cx: X(q[5]), cy: yc, r: 3.5, fill: "#fff", stroke: INK});
        el("text", {x: W - M.r + 6, y: yc + 4, "font-size": 11, fill: INK}, f.notes[r]);
      }
    });
    if (S.ref) {
      el("line", {x1: X(S.ref.value), x2: X(S.ref.value), y1: M.t - 4, y2: H - M.b,
                  stroke: INK, "stroke-dasharray": "4 3", "stroke-width": 1.5});
      el("text", {x: X(S.ref.value) + 3, y: M.t - 6, "font-size": 10, fill: INK}, S.ref.label);
    }
    el("line", {x1: M.l, x2: M.l, y1: M.t, y2: H - M.b, stroke: INK});
  }
  function update() {
    var i = Math.round((parseFloat(slider.value) - S.min) / S.step);
    var f = S.frames[Math.max(0, Math.min(S.frames.length - 1, i))];
    draw(f);
    out.textContent = f.readout;
    slider.setAttribute("aria-valuetext", f.valuetext);
  }
  slider.addEventListener("input", update);
  slider.addEventListener("change", update);
  update();
})();
"""

_COUNTER = itertools.count(1)


class DialHTML:
    """A kernel-free dial: an HTML snippet (slider + numbers + SVG figure + inline script).

    Jupyter and myst-nb display it through ``_repr_html_``; ``str()`` gives the HTML too.
    """

    def __init__(self, name: str, html_text: str):
        self.name = name
        self.html = html_text

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"DialHTML({self.name!r}, {len(self.html)} characters of HTML)"


def html_dial(name: str) -> DialHTML:
    """Build the kernel-free HTML/JS dial ``name`` (``"temperature"``, ``"beta"``, ``"estimators"``).

    Every slider position is precomputed here; in the page the inline script only looks frames up.
    Markup contract (relied on by the site's browser tests)::

        <div class="ptc-dial" data-dial="NAME" id="ptc-dial-NAME-K">
          <label for="…">…</label>
          <input type="range" class="ptc-dial-slider" id="…" min max step value aria-label>
          <output class="ptc-dial-value" for="…">T = 1.00 · entropy = … nats …</output>
          <svg class="ptc-dial-figure" role="img" aria-label="…"><title>…</title>…</svg>
          <script>…</script>
        </div>

    Examples
    --------
    >>> d = html_dial("temperature")
    >>> 'data-dial="temperature"' in d._repr_html_()  # the snippet a notebook cell displays
    True
    """
    name = _check_name(name)
    spec = _spec(name)
    slider = SLIDERS[name]
    uid = f"ptc-dial-{name}-{next(_COUNTER)}"
    default = int(round((slider["value"] - slider["min"]) / slider["step"]))
    first = spec["frames"][default]
    label = html.escape(slider["label"])
    spec_json = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    script = _JS % {"id": json.dumps(uid), "spec": spec_json}
    caption = {
        "temperature": "Move the slider: low T sharpens the next-token distribution "
        "(low entropy), high T flattens it.",
        "beta": "Move the slider: small β lets π* chase the reward (even its flaw), "
        "large β keeps π* on π_ref.",
        "estimators": "Move the slider: every estimator's spread shrinks like 1/√n, "
        "but k1 stays far noisier than k3.",
    }[name]
    parts = [
        f'<div class="ptc-dial" data-dial="{name}" id="{uid}">',
        f"<style>{_CSS.strip()}</style>",
        f'<label for="{uid}-slider">{label}</label>',
        f'<input type="range" class="ptc-dial-slider" id="{uid}-slider" '
        f'min="{slider["min"]}" max="{slider["max"]}" step="{slider["step"]}" '
        f'value="{slider["value"]}" aria-label="{label}" '
        f'aria-valuetext="{html.escape(first["valuetext"])}">',
        f'<output class="ptc-dial-value" id="{uid}-value" for="{uid}-slider" aria-live="polite">'
        f"{html.escape(first['readout'])}</output>",
        f'<svg class="ptc-dial-figure" id="{uid}-figure" role="img" '
        f'viewBox="0 0 {spec["width"]} {spec["height"]}" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="{html.escape(first["alt"])}"><title>{html.escape(first["alt"])}</title></svg>',
        f"<p>{html.escape(caption)}</p>",
        f"<script>{script}</script>",
        "</div>",
    ]
    return DialHTML(name, "\n".join(parts))


def temperature_html() -> DialHTML:
    """Kernel-free temperature -> entropy dial (see :func:`html_dial`)."""
    return html_dial("temperature")


def beta_html() -> DialHTML:
    """Kernel-free beta -> pi* dial (see :func:`html_dial`)."""
    return html_dial("beta")


def estimators_html() -> DialHTML:
    """Kernel-free sample size -> KL-estimator spread dial (see :func:`html_dial`)."""
    return html_dial("estimators")
