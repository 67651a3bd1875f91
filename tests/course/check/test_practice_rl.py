"""The bradley_terry_loss checker, and the prediction check as chapter 7 uses it (a choice)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import ptcourse
from ptcourse.course.check import CheckFailed, practice_rl


def test_reference_passes(capsys):
    """The package's own bradley_terry_loss passes, with the success line."""
    assert practice_rl.bradley_terry_loss(ptcourse.bradley_terry_loss).passed
    assert "correct" in capsys.readouterr().out


def test_learner_style_solution_passes():
    """A plain logsigmoid solution passes."""

    def bt(chosen_rewards, rejected_rewards, margin=None):
        gap = chosen_rewards - rejected_rewards
        if margin is not None:
            gap = gap - margin
        return -F.logsigmoid(gap).mean()

    assert practice_rl.bradley_terry_loss(bt).passed


def _swapped(c, r, margin=None):
    return -F.logsigmoid(r - c - (0 if margin is None else margin)).mean()


def _summed(c, r, margin=None):
    return -F.logsigmoid(c - r - (0 if margin is None else margin)).sum()


def _no_margin(c, r, margin=None):
    return -F.logsigmoid(c - r).mean()


def _margin_added(c, r, margin=None):
    return -F.logsigmoid(c - r + (0 if margin is None else margin)).mean()


def _unstable(c, r, margin=None):
    return -torch.log(torch.sigmoid(c - r - (0 if margin is None else margin))).mean()


@pytest.mark.parametrize(
    "fn, pattern",
    [
        (_swapped, "swapped"),
        (_summed, "mean"),
        (_no_margin, "ignored the margin"),
        (_margin_added, "Subtract the margin"),
        (_unstable, "logsigmoid"),
    ],
)
def test_wrong_implementations_are_rejected_with_their_diagnosis(fn, pattern):
    """Each plausible mistake fails the checker with the message that names it."""
    with pytest.raises(CheckFailed, match=pattern):
        practice_rl.bradley_terry_loss(fn)


def test_stub_is_not_done_yet(capsys):
    """An untouched stub is reported as not done, without raising."""

    def bradley_terry_loss(chosen_rewards, rejected_rewards, margin=None):
        raise NotImplementedError

    assert practice_rl.bradley_terry_loss(bradley_terry_loss).status == "not done"
    assert "not done yet" in capsys.readouterr().out


def test_prediction_outcomes(capsys):
    """A choice: a stub is not done, a right guess passes, a wrong one is told the run's answer and
    why, one outside the options is refused."""
    from ptcourse.course.check import CheckFailed, prediction

    opts = ("up", "down", "same")
    assert prediction(..., "down", options=opts, name="p", why="").status == "not done"
    assert "not done yet" in capsys.readouterr().out
    assert prediction("down", "down", options=opts, name="p", why="").passed
    with pytest.raises(CheckFailed, match='the run shows "down".*chapter 3'):
        prediction("up", "down", options=opts, name="p", why="chapter 3")
    with pytest.raises(CheckFailed, match="one of"):
        prediction("sideways", "down", options=opts, name="p", why="")
    with pytest.raises(ValueError, match="exactly one of"):
        prediction("down", "down", options=opts, tol=0.1, why="")
