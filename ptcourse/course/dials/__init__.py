"""The three course dials: their example data and their computation.

Each dial turns one knob and shows what the three quantities do:

* ``"temperature"``: temperature :math:`T` -> the next-token distribution
  :math:`\\mathrm{softmax}(z / T)` over ten example tokens, and its entropy;
* ``"beta"``: the KL coefficient :math:`\\beta` -> the KL-regularised optimal policy
  :math:`\\pi^* \\propto \\pi_\\text{ref} \\exp(r / \\beta)` over eight example answers, with its expected
  reward and its KL to the reference (Rafailov et al., 2023, eq. 4; Korbak et al., 2022);
* ``"estimators"``: the sample size :math:`n` -> the spread of the Monte-Carlo KL estimators
  k1, k2, k3 (Schulman, 2020, "Approximating KL divergence", http://joschu.net/blog/kl-approx.html).

The package holds two modules:

* :mod:`.examples`: the example data and the slider settings (``DIALS``, ``SLIDERS``, ...);
* :mod:`.states`: a pure function per dial (:func:`temperature_state`, :func:`beta_state`,
  :func:`estimators_state`) that does the computation with the core functions of ptcourse,
  returning plain numbers and lists, and :func:`readout`, the line of numbers under a slider.

Both the ipywidgets dials of :mod:`ptcourse.widgets` (for Jupyter and Colab) and the
kernel-free HTML dials of the site call the state functions, so the two can never
disagree.

The kernel-free dial of the published site (``press/dial_page.py``, built by the book, not shipped)
precomputes one frame per slider position from the same state functions. This package imports only
torch and the ptcourse core (no matplotlib, no ipywidgets).
"""

from __future__ import annotations

from . import examples
from .examples import *  # noqa: F403  (the example data and slider settings, examples.__all__)
from .states import (
    beta_state,
    estimator_xlim,
    estimators_state,
    readout,
    slider_values,
    state,
    temperature_state,
)

__all__ = [
    *examples.__all__,
    "temperature_state",
    "beta_state",
    "estimators_state",
    "readout",
    "state",
    "estimator_xlim",
    "slider_values",
]
