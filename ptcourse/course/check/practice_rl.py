r"""Checker of chapter 7 ("In practice"): the reward model's Bradley-Terry loss (its predict-then-run
answers use the one ``check.prediction``, :func:`.practice_prefs.prediction`).

The loss is InstructGPT's (Ouyang et al., 2022, eq. 1) and TRL's ``RewardTrainer.compute_loss``
(``trl/trainer/reward_trainer.py``): ``-logsigmoid(r_chosen - r_rejected - margin).mean()``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._report import fmt
from .harness import Check, checker

_H_STABLE = ("log(sigmoid(x)) underflows to log(0) = -inf for very negative x: use F.logsigmoid, "
             "which is stable.")  # fmt: skip


def _bt(rc, rr, margin=None, reduce="mean", swap=False, sign=1.0):
    gap = (rr - rc) if swap else (rc - rr)
    if margin is not None:
        gap = gap - sign * margin
    ls = -F.logsigmoid(gap)
    return ls.mean() if reduce == "mean" else ls.sum()


@checker("Bradley-Terry loss")
def bradley_terry_loss(c: Check) -> None:
    r"""Check ``bradley_terry_loss(chosen_rewards, rejected_rewards, margin=None)``.

    :math:`\mathcal{L}_\mathrm{BT} = -\operatorname{mean} \log \sigma\big(r_c - r_r - m\big)`

    >>> import ptcourse
    >>> bradley_terry_loss(ptcourse.bradley_terry_loss).passed  # the reference passes
    ✓ bradley_terry_loss: correct -- all ... checks passed.
    True
    """
    rc, rr = torch.tensor([1.0, -0.5, 2.0, 0.3]), torch.tensor([0.0, 0.5, 2.5, -1.0])
    where = f"chosen_rewards={fmt(rc)}, rejected_rewards={fmt(rr)}"
    got = c.call(where, rc, rr)
    c.scalar(got, where, "It is one number: the mean over pairs.", what="loss")
    c.never_negative(got, where, "-log sigmoid(...) is never negative.", what="loss")
    c.expect(got, c.ref(rc, rr), where, mistakes=(
        (lambda: _bt(rc, rr, swap=True), "Chosen and rejected are swapped: the chosen answer "
         "should win, so the gap is chosen - rejected."),
        (lambda: _bt(rc, rr, reduce="sum"), "Average over pairs (mean), don't sum."),
        (lambda: torch.sigmoid(rr - rc).mean(),
         "The loss is -log sigmoid(gap), not sigmoid(-gap)."),
        (lambda: -(rc - rr).mean(), "Take -log sigmoid of each gap, not the gap itself."),
    ))  # fmt: skip
    c.case("equal rewards [0.7, -2.0] on both sides", (torch.tensor([0.7, -2.0]),) * 2,
           want=torch.tensor(math.log(2.0)),
           hint="With no gap the model says 50/50: -log sigmoid(0) = log 2.")  # fmt: skip
    m = torch.tensor([0.5, 0.0, 1.0, 0.2])
    c.case(where + f", margin={fmt(m)}", (rc, rr, m), mistakes=(
        (lambda: _bt(rc, rr, m, sign=-1.0), "Subtract the margin from the gap: the chosen "
         "reward must beat the rejected one by at least the margin."),
        (lambda: _bt(rc, rr), "You ignored the margin argument."),
    ))  # fmt: skip
    far = (torch.tensor([0.0]), torch.tensor([500.0]))
    c.case("chosen_rewards=[0], rejected_rewards=[500] (a gap of -500)", far,
           inf_hint=_H_STABLE, nan_hint=_H_STABLE)  # fmt: skip
    c.gradient(where, (rc, rr), wrt=("chosen_rewards", "rejected_rewards"))
