"""Exercise checkers: one per exercise, named after the function the learner writes.

``check.entropy(entropy)`` takes the learner's function (the signature of the ptcourse function of that
name) and tests it against ptcourse's reference on small, fixed, seeded inputs: values (and
``torch.nn.functional`` where it has the function), properties (KL >= 0, 0 <= H <= log V, ...), the edge
cases learners get wrong (-inf logits, masks as bool and as 0/1 floats, 3-D inputs that expose the
wrong dimension, overflow), the gradient of a backward pass, the "musts" of the exercise statement, and
that the learner's function leaves its inputs as they were. The harness (:mod:`.harness`) does the
calling, comparing and timing; one module per chapter group holds the checkers.

Outcomes, each printed as one line and returned as a :class:`CheckResult` (``passed``, ``checks``):

* right answer -> "✓ entropy: correct -- all ... checks passed." (a hint follows when it is very slow);
* the function still raises ``NotImplementedError`` (the student stub) -> "not done yet", so a student
  notebook runs end to end;
* wrong answer -> :class:`CheckFailed` (an ``AssertionError``): what failed, the small input, returned
  vs expected, and the diagnosis; IPython shows it as that short block, without a traceback;
* a function that never returns is stopped after a few seconds and reported as such.

Every checker runs in well under a second on a CPU. This package imports only torch and ptcourse's core
(no hypothesis: it is not installed in Colab).

>>> from ptcourse import check
>>> def entropy(logits):
...     raise NotImplementedError("Exercise: write this function")
>>> check.entropy(entropy).status  # a stub never raises: it reports that the exercise is still open
… entropy: not done yet -- write the function `entropy` you define in this exercise, then run this cell again.
'not done'
"""

from __future__ import annotations

from collections.abc import Callable

from . import kl as _kl
from . import likelihood as _likelihood
from . import preference as _preference
from . import sft as _sft
from . import toolkit as _toolkit
from ._report import NOT_DONE, CheckFailed, CheckResult
from .kl import kl_divergence, kl_estimate
from .likelihood import cross_entropy, sequence_logprob, token_logprobs
from .practice_prefs import ipo_loss, prediction
from .practice_rl import bradley_terry_loss
from .preference import dpo_loss, kl_regularized_policy
from .sft import sft_loss
from .spread import entropy
from .toolkit import grpo_advantages, ppo_clip_loss

__all__ = [
    "CHECKERS",
    "MUSTS",
    "NOT_DONE",
    "CheckFailed",
    "CheckResult",
    "bradley_terry_loss",
    "ipo_loss",
    "prediction",
    "cross_entropy",
    "dpo_loss",
    "entropy",
    "grpo_advantages",
    "kl_divergence",
    "kl_estimate",
    "kl_regularized_policy",
    "ppo_clip_loss",
    "sequence_logprob",
    "sft_loss",
    "token_logprobs",
]

CHECKERS: dict[str, Callable[[Callable], CheckResult]] = {
    "token_logprobs": token_logprobs,
    "sequence_logprob": sequence_logprob,
    "cross_entropy": cross_entropy,
    "sft_loss": sft_loss,
    "entropy": entropy,
    "kl_divergence": kl_divergence,
    "kl_estimate": kl_estimate,
    "kl_regularized_policy": kl_regularized_policy,
    "dpo_loss": dpo_loss,
    "grpo_advantages": grpo_advantages,
    "ppo_clip_loss": ppo_clip_loss,
}
"""Checker name -> checker; each name is also the ptcourse reference function it checks against."""

MUSTS: dict[str, dict[str, str]] = {
    name: musts
    for module in (_likelihood, _sft, _kl, _preference, _toolkit)
    for name, musts in module.MUSTS.items()
}
"""Exercise -> {phrase of a "must" sentence in its statement: the label of the check that tests it}."""
