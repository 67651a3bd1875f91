"""The three course dials: their example data (:mod:`.examples`) and computation (:mod:`.states`).

* ``"temperature"``: :math:`T` -> the distribution :math:`\\mathrm{softmax}(z / T)` over ten
  example next tokens, and its entropy;
* ``"beta"``: the KL coefficient :math:`\\beta` -> the optimal policy
  :math:`\\pi^* \\propto \\pi_\\text{ref} \\exp(r / \\beta)` over eight example answers, its expected
  reward and its KL to the reference (Rafailov et al., 2023, eq. 4; Korbak et al., 2022);
* ``"estimators"``: the sample size :math:`n` -> the spread of the Monte-Carlo KL estimators
  k1, k2, k3 (Schulman, 2020, "Approximating KL divergence", http://joschu.net/blog/kl-approx.html).

The ipywidgets dials and the site's HTML dials (``press/dial_page.py``, one precomputed frame per
slider position) call the same state functions, so they never disagree. Imports torch and the core.
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
