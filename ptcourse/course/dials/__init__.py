"""The three course dials: their example data (:mod:`.examples`) and their computation (:mod:`.states`).

Each dial turns one knob and shows what the three quantities do:

* ``"temperature"``: :math:`T` -> the next-token distribution :math:`\\mathrm{softmax}(z / T)` over
  ten example tokens, and its entropy;
* ``"beta"``: the KL coefficient :math:`\\beta` -> the KL-regularised optimal policy
  :math:`\\pi^* \\propto \\pi_\\text{ref} \\exp(r / \\beta)` over eight example answers, its expected
  reward and its KL to the reference (Rafailov et al., 2023, eq. 4; Korbak et al., 2022);
* ``"estimators"``: the sample size :math:`n` -> the spread of the Monte-Carlo KL estimators
  k1, k2, k3 (Schulman, 2020, "Approximating KL divergence", http://joschu.net/blog/kl-approx.html).

The ipywidgets dials (:mod:`ptcourse.course.widgets`) and the kernel-free HTML dials of the site
(``press/dial_page.py``, one precomputed frame per slider position) call the same state functions,
so the two can never disagree. Only torch and the ptcourse core are imported.
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
