"""Exercise checkers: one per exercise, named after the function the learner writes.

``check.entropy(entropy)`` tests the learner's function (the signature of the ptcourse function of
that name) against ptcourse's reference on small, fixed, seeded inputs, then on fresh draws of them:
values (and ``torch.nn.functional``'s where it has the function), properties (KL >= 0, 0 <= H <= log
V, ...), the edge cases learners get wrong (-inf logits, bool and 0/1 float masks, 3-D inputs that
expose the wrong dimension, overflow), the gradient, the "musts" of the exercise statement, and that
the inputs are left as they were. :mod:`.harness` calls, compares and times; one module per chapter
group holds the checkers. Each prints one line and returns a :class:`CheckResult`: "✓ entropy:
correct -- all ... checks passed." (with a hint when very slow); "not done yet" for a stub raising
``NotImplementedError``, so a student notebook runs end to end; a wrong answer raises
:class:`CheckFailed` (an ``AssertionError``; IPython shows it as a short block, no traceback); a
function that never returns is stopped after a few seconds. Each runs well under a second on a CPU
and imports only torch and ptcourse's core (no hypothesis: Colab lacks it).

>>> def entropy(logits):
...     raise NotImplementedError("Exercise: write this function")
>>> CHECKERS["entropy"](entropy).status  # a stub never raises: the exercise is still open
… entropy: not done yet -- write the function `entropy` you define in this exercise, then run this cell again.
'not done'
"""

from __future__ import annotations

from collections.abc import Callable

from . import kl as _kl
from . import likelihood as _likelihood
from . import objectives as _objectives
from ._report import NOT_DONE, CheckFailed, CheckResult
from .kl import entropy, kl_divergence, kl_estimate
from .likelihood import cross_entropy, sequence_logprob, sft_loss, token_logprobs
from .objectives import dpo_loss, grpo_advantages, kl_regularized_policy, ppo_clip_loss
from .practice_prefs import ipo_loss, prediction
from .practice_rl import bradley_terry_loss

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
    for module in (_likelihood, _kl, _objectives)
    for name, musts in module.MUSTS.items()
}
"""Exercise -> {phrase of a "must" sentence in its statement: the label of the check that tests it}."""
