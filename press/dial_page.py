"""The kernel-free HTML dials: one precomputed frame per slider position, an inline script, no kernel.

:func:`html_dial` emits a self-contained snippet (slider, numbers, SVG figure, inline script). The
script and the style are real files beside this module, ``dial.js`` and ``dial.css``, inlined into each snippet so a page needs nothing else.
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import math
from pathlib import Path

from _html import KernelFreeHTML

from ptcourse.course.dials.examples import (
    BETA_ANSWERS,
    BETA_PROMPT,
    BETA_REWARDS,
    COLOURS,
    SLIDERS,
    TEMPERATURE_PROMPT,
    TEMPERATURE_TOKENS,
)
from ptcourse.course.dials.states import (
    check_name,
    estimator_xlim,
    fmt_beta,
    readout,
    slider_values,
    state,
)

__all__ = ["DialHTML", "html_dial"]


@functools.cache
def _asset(name: str) -> str:
    """The text of ``dial.js`` or ``dial.css``, shipped next to this module."""
    return Path(__file__).with_name(name).read_text(encoding="utf-8")


def _alt(name: str, state: dict) -> str:
    """Alt text describing the figure of a dial at ``state``."""
    probs = state.get("probs", [])
    i = max(range(len(probs)), key=probs.__getitem__, default=0)  # the most likely row
    if name == "temperature":
        return (
            f"Horizontal bar chart of the next-token probabilities of {len(state['tokens'])} "
            f"example tokens after '{state['prompt']}' at temperature T = {state['T']:.2f}; "
            f"the most likely token is '{state['tokens'][i]}' with probability "
            f"{state['probs'][i]:.2f}, and the entropy is {state['entropy']:.2f} nats."
        )
    if name == "beta":
        return (
            f"Horizontal bar chart comparing the reference policy π_ref (grey) with the "
            f"KL-regularised optimal policy π* (blue) over {len(state['answers'])} answers to "
            f"'{state['prompt']}' at β = {fmt_beta(state['beta'])}; π* puts its largest "
            f"probability, {state['probs'][i]:.2f}, on '{state['answers'][i]}'."
        )
    widest = max(state["kinds"], key=state["std"].__getitem__)
    return (
        f"Box plots of the mean-of-n KL estimates k1, k2 and k3 over {state['repeats']} repeats "
        f"at n = {state['n']}, with the true KL {state['true_kl']:.3f} marked by a dashed line; "
        f"boxes span the 25-75% quantiles and whiskers the 5-95% quantiles; {widest} is the "
        f"widest (std {state['std'][widest]:.3f})."
    )


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
            frame["valuetext"] = f"β = {fmt_beta(st['beta'])}"
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
            series=[{"name": "p(token) at temperature T", "color": COLOURS["temperature"][0]}],
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
                {"name": "π_ref (reference)", "color": COLOURS["beta"][0]},
                {"name": "π* (optimal at β)", "color": COLOURS["beta"][1]},
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
                {"name": k, "color": c}
                for k, c in zip(("k1", "k2", "k3"), COLOURS["estimators"], strict=True)
            ],
            legend=False,
            xmin=lo,
            xmax=hi,
            xlabel="mean-of-n estimate of KL(p‖q) in nats (box 25–75%, whiskers 5–95%)",
            ref={"value": _round(states[0]["true_kl"]), "label": "true KL"},
        )
    spec["xticks"] = _nice_ticks(spec["xmin"], spec["xmax"])
    return spec


_COUNTER = itertools.count(1)


class DialHTML(KernelFreeHTML):
    """A kernel-free dial: an HTML snippet (slider + numbers + SVG figure + inline script).

    Jupyter and myst-nb display it through ``_repr_html_``; ``str()`` gives the HTML too.
    """


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
    name = check_name(name)
    spec = _spec(name)
    slider = SLIDERS[name]
    uid = f"ptc-dial-{name}-{next(_COUNTER)}"
    default = int(round((slider["value"] - slider["min"]) / slider["step"]))
    first = spec["frames"][default]
    label = html.escape(slider["label"])
    spec_json = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    script = f"{_asset('dial.js').strip()}({json.dumps(uid)}, {spec_json});"
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
        f"<style>{_asset('dial.css').strip()}</style>",
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
