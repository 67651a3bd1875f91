"""The held-out answers of issue 25: every wrong one rejected with its diagnosis, every right one passes.

These answers were written after the checkers' probes and are not the catalogue they were shaped on
(``learner_answers.py``): they measure whether the probes generalise. The count before the probes of
issue 25 is in that commit's message.
"""

from __future__ import annotations

import re

import pytest
from heldout_answers import HELDOUT_RIGHT, HELDOUT_WRONG

from ptcourse import check
from ptcourse.course.check import practice_prefs

CHECKERS = {**check.CHECKERS, "ipo_loss": practice_prefs.ipo_loss}


@pytest.mark.parametrize(
    "name, fn, pattern",
    [
        pytest.param(n, f, p, id=f"{n}-{label}")
        for n, cs in HELDOUT_WRONG.items()
        for label, f, p in cs
    ],
)
def test_heldout_wrong_answer_is_rejected_with_its_diagnosis(name, fn, pattern, capsys):
    with pytest.raises(check.CheckFailed) as info:
        CHECKERS[name](fn)
    message = str(info.value)
    assert re.search(pattern, message, flags=re.S), f"{pattern!r} not in: {message}"
    assert message.startswith("your "), message


@pytest.mark.parametrize(
    "name, fn",
    [pytest.param(n, f, id=f"{n}-{f.__name__}") for n, fs in HELDOUT_RIGHT.items() for f in fs],
)
def test_heldout_right_answer_passes(name, fn, capsys):
    assert CHECKERS[name](fn).passed, capsys.readouterr().out


def test_the_heldout_set_covers_every_checker():
    assert set(HELDOUT_WRONG) == set(HELDOUT_RIGHT) == set(CHECKERS)
    assert sum(len(v) for v in HELDOUT_WRONG.values()) >= 24
