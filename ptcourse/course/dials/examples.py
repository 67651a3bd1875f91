"""The dials' fixed example data, slider settings and series colours (the course palette's).

Shared by :mod:`.states`, the site's HTML dials and the ipywidgets dials; the chapters' prose refers
to the data through glue.
"""

from __future__ import annotations

from ..style import GREY, PALETTE

__all__ = [
    "DIALS",
    "SLIDERS",
    "TEMPERATURE_PROMPT",
    "TEMPERATURE_TOKENS",
    "TEMPERATURE_LOGITS",
    "BETA_PROMPT",
    "BETA_ANSWERS",
    "BETA_REF_PROBS",
    "BETA_REWARDS",
    "ESTIMATOR_P_LOGITS",
    "ESTIMATOR_Q_LOGITS",
    "ESTIMATOR_KINDS",
    "ESTIMATOR_REPEATS",
    "ESTIMATOR_SEED",
    "ESTIMATOR_NS",
    "COLOURS",
]

DIALS = ("temperature", "beta", "estimators")

#: each dial's series colours, from the course palette: p(token); pi_ref, pi*; k1, k2, k3
COLOURS = {
    "temperature": (PALETTE[0],),
    "beta": (GREY, PALETTE[0]),
    "estimators": (PALETTE[3], PALETTE[4], PALETTE[2]),
}

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
    "temperature": dict(label="Temperature T", min=0.1, max=3.0, step=0.1, value=1.0),
    "beta": dict(label="KL coefficient β (log scale)", min=-1.3, max=1.0, step=0.1, value=0.0),
    "estimators": dict(
        label="Sample size n",
        min=0,
        max=len(ESTIMATOR_NS) - 1,
        step=1,
        value=ESTIMATOR_NS.index(16),
    ),
}
