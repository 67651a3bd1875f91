"""Chapter 8's checkers: the reference passes, known slips are named, a stub is 'not done'."""

from __future__ import annotations

import pytest
import torch

import ptcourse
from ptcourse.course.check import CheckFailed, practice_prefs


def test_reference_ipo_passes(capsys):
    """ptcourse.ipo_loss passes its own checker."""
    assert practice_prefs.ipo_loss(ptcourse.ipo_loss).passed


@pytest.mark.parametrize(
    "slip,says",
    [
        (lambda a, b, c, d, tau=0.1: (((a - c) - (b - d) - 1 / tau) ** 2).mean(), "not 1/tau"),
        (
            lambda a, b, c, d, tau=0.1: (((b - d) - (a - c) - 1 / (2 * tau)) ** 2).mean(),
            "minus the rejected",
        ),
        (
            lambda a, b, c, d, tau=0.1: (
                -torch.nn.functional.logsigmoid(tau * ((a - c) - (b - d))).mean()
            ),
            "DPO loss",
        ),
        (lambda a, b, c, d, tau=0.1: (((a - c) - (b - d) - 5.0) ** 2).mean(), "tau"),
    ],
)
def test_ipo_slips_are_named(slip, says, capsys):
    """A wrong target, a flipped margin, DPO instead of IPO, an ignored tau: each fails, named."""
    with pytest.raises(CheckFailed, match=says):
        practice_prefs.ipo_loss(slip)


def test_ipo_gradient_into_the_reference_is_caught(capsys):
    """A loss that lets gradient reach the frozen reference fails."""

    def leaky(a, b, c, d, tau=0.1):
        return (((a - c) - (b - d) - 1 / (2 * tau)) ** 2).mean()

    with pytest.raises(CheckFailed):
        practice_prefs.ipo_loss(leaky)


def test_stub_is_not_done(capsys):
    """A stub raising NotImplementedError is 'not done' for both checkers."""

    def ipo_loss(a, b, c, d, tau=0.1):
        raise NotImplementedError

    def my_prediction():
        raise NotImplementedError

    assert practice_prefs.ipo_loss(ipo_loss).status == "not done"
    assert practice_prefs.prediction(my_prediction, 1.0, tol=0.1, why="").status == "not done"


def test_prediction_passes_within_tol_and_fails_outside(capsys):
    """Within tol passes; outside fails naming the measured value and the reason."""
    assert practice_prefs.prediction(lambda: 0.55, 0.5, tol=0.1, why="").passed
    with pytest.raises(CheckFailed, match="0.5.*because"):
        practice_prefs.prediction(lambda: 2.0, 0.5, tol=0.1, why="because 1/(2 tau)")
    with pytest.raises(CheckFailed, match="one finite number"):
        practice_prefs.prediction(lambda: "half", 0.5, tol=0.1, why="")
