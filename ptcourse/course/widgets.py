"""The course dials as ipywidgets, for a live kernel (Jupyter, Colab).

``dial("temperature")`` (T -> the next-token distribution and its entropy), ``dial("beta")``
(beta -> pi* = pi_ref exp(r/beta) / Z, its reward and KL), ``dial("estimators")`` (n -> the spread
of the KL estimators k1, k2, k3): a ``VBox`` of a slider, a line of numbers and a PNG figure,
redrawn when the slider moves. A chapter's ``{dial} NAME`` is this call in the rendered notebooks,
and the kernel-free HTML dial of ``press/dial_page.py`` on the site; both take their numbers from
:mod:`ptcourse.dials` (sources there). ipywidgets and matplotlib are imported inside the builders.
"""

from __future__ import annotations

import html
import io

from ptcourse.course import dials

__all__ = ["dial", "temperature_dial", "beta_dial", "estimators_dial", "figure"]

_INK = "#1b1b1b"


def dial(name: str):
    """The ipywidgets dial ``name`` (one of ``dials.DIALS``): end a cell with it, or ``display`` it.

    >>> dial("entropy")
    Traceback (most recent call last):
    ...
    ValueError: name must be one of ('temperature', 'beta', 'estimators'), got 'entropy'
    """
    if name not in dials.DIALS:
        raise ValueError(f"name must be one of {dials.DIALS}, got {name!r}")
    return _BUILDERS[name]()


def figure(name: str, state: dict):
    """A pyplot-free matplotlib ``Figure`` picturing dial ``name`` at ``state`` (``dials.state``).

    >>> fig = figure("temperature", dials.temperature_state(0.5))
    >>> tuple(float(x) for x in fig.axes[0].get_xlim())  # fixed 0..1 axis: the bars visibly move
    (0.0, 1.0)
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 3.4 if name != "estimators" else 2.6), dpi=100, facecolor="white")
    ax = fig.add_subplot()
    ax.set_facecolor("white")
    if name == "temperature":
        rows, probs = state["tokens"], state["probs"]
        y = list(range(len(rows)))
        colour = dials.COLOURS["temperature"][0]
        ax.barh(y, probs, color=colour, label="p(token) at temperature T")
        for yi, p in zip(y, probs, strict=True):
            ax.text(p + 0.01, yi, f"{p:.2f}", va="center", fontsize=8, color=_INK)
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel(f"probability of the next token after '{state['prompt']}'")
        ax.set_title(f"T = {state['T']:.2f}, entropy = {state['entropy']:.3f} nats", fontsize=10)
    elif name == "beta":
        rows = [f"{a} (r={r:.1f})" for a, r in zip(state["answers"], state["rewards"], strict=True)]
        y = list(range(len(rows)))
        bars = [("ref_probs", "π_ref (reference)", -0.2), ("probs", "π* (optimal at β)", 0.2)]
        for (key, label, dy), colour in zip(bars, dials.COLOURS["beta"], strict=True):
            ax.barh([v + dy for v in y], state[key], height=0.4, color=colour, label=label)
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel(f"probability of each answer to '{state['prompt']}'")
        ax.set_title(
            f"β = {state['beta']:.3g}: E[r] = {state['expected_reward']:.3f}, "
            f"KL(π*‖π_ref) = {state['kl']:.3f} nats",
            fontsize=10,
        )
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    elif name == "estimators":
        rows = state["kinds"]
        y = list(range(len(rows)))
        boxes = ("whislo", "q1", "med", "q3", "whishi")  # quantiles 5, 25, 50, 75, 95 %
        stats = [
            {"label": k, **dict(zip(boxes, state["quantiles"][k], strict=True))}
            | {"mean": state["mean"][k], "fliers": []}
            for k in rows
        ]
        kw = {"positions": y, "showmeans": True, "widths": 0.5, "patch_artist": True}
        try:  # matplotlib >= 3.10
            bp = ax.bxp(stats, orientation="horizontal", **kw)
        except TypeError:  # older matplotlib, as Colab may have
            bp = ax.bxp(stats, vert=False, **kw)
        for patch, c in zip(bp["boxes"], dials.COLOURS["estimators"], strict=True):
            patch.set_facecolor(c)
            patch.set_alpha(0.45)
        ax.axvline(state["true_kl"], color=_INK, linestyle="--", linewidth=1.2, label="true KL")
        ax.set_xlim(*dials.estimator_xlim())
        ax.set_xlabel("mean-of-n estimate of KL(p‖q), nats (box 25–75%, whiskers 5–95%)")
        ax.set_title(f"n = {state['n']}, {state['repeats']} repeats", fontsize=10)
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    else:
        raise ValueError(f"name must be one of {dials.DIALS}, got {name!r}")
    ax.set_yticks(y, rows)
    ax.invert_yaxis()
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


def _build(name: str, slider, value_of):
    """VBox(slider, numbers, figure) whose numbers and figure follow ``slider``."""
    import ipywidgets as widgets
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    numbers = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))
    image = widgets.Image(format="png", layout=widgets.Layout(max_width="560px"))

    def update(change=None):
        state = dials.state(name, value_of(slider.value))
        numbers.value = f"<code>{html.escape(dials.readout(name, state))}</code>"
        fig, png = figure(name, state), io.BytesIO()
        FigureCanvasAgg(fig)
        fig.savefig(png, format="png", facecolor="white")
        image.value = png.getvalue()

    slider.observe(update, names="value")
    update()
    box = widgets.VBox([slider, numbers, image])
    box.add_class("ptc-dial-widget")
    # Handles for tests and for learners who want to drive the dial from code.
    box.slider, box.numbers, box.image, box.update = slider, numbers, image, update
    return box


def temperature_dial(T: float = 1.0):
    """ipywidgets dial: temperature ``T`` -> next-token distribution and its entropy.

    >>> d = temperature_dial()
    >>> d.slider.value = 2.0  # moving the slider from code updates the numbers
    >>> d.numbers.value.startswith("<code>T = 2.00")
    True
    """
    import ipywidgets as widgets

    s = dials.SLIDERS["temperature"]
    slider = widgets.FloatSlider(
        value=T,
        min=s["min"],
        max=s["max"],
        step=s["step"],
        description="T",
        readout_format=".2f",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="480px"),
    )
    return _build("temperature", slider, float)


def beta_dial(beta: float = 1.0):
    """ipywidgets dial: KL coefficient ``beta`` (log slider) -> pi*, its reward and KL.

    >>> d = beta_dial()
    >>> d.slider.value = 0.1  # small beta: pi* chases the reward
    >>> "β = 0.10" in d.numbers.value
    True
    """
    import ipywidgets as widgets

    s = dials.SLIDERS["beta"]
    slider = widgets.FloatLogSlider(
        value=beta,
        base=10,
        min=s["min"],
        max=s["max"],
        step=s["step"],
        description="β",
        readout_format=".3g",
        layout=widgets.Layout(width="480px"),
    )
    return _build("beta", slider, float)


def estimators_dial(n: int = 16):
    """ipywidgets dial: sample size ``n`` (one of ``dials.ESTIMATOR_NS``, else ValueError) ->
    spread of the KL estimators k1, k2, k3.

    >>> d = estimators_dial()
    >>> d.slider.value = 256  # more samples per estimate: every spread shrinks
    >>> "n = 256" in d.numbers.value
    True
    """
    import ipywidgets as widgets

    if n not in dials.ESTIMATOR_NS:
        raise ValueError(f"n must be one of {dials.ESTIMATOR_NS}, got {n!r}")
    slider = widgets.SelectionSlider(
        options=list(dials.ESTIMATOR_NS),
        value=n,
        description="n",
        layout=widgets.Layout(width="480px"),
    )
    return _build("estimators", slider, int)


_BUILDERS = {"temperature": temperature_dial, "beta": beta_dial, "estimators": estimators_dial}
