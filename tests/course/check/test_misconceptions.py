"""The instructors' table of misconceptions says what the checkers say.

Each row of "Common misconceptions, and the checker that catches each" in book/instructor.md names
the checkers that catch the slip and quotes, in double quotes, what they say. For each checker named,
one of its named wrong implementations (``learner_answers.WRONG``) must be rejected with a message
holding one of the quoted phrases; a row for "every checker" is checked on every checker with the
reference's result made wrong the same way (a list, detached, its input changed in place).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from learner_answers import WRONG

import ptcourse
from ptcourse import check

PAGE = Path(__file__).resolve().parents[3] / "book" / "instructor.md"
HEADING = "## Common misconceptions, and the checker that catches each"


def rows() -> list[list[str]]:
    """The table's rows, as lists of four cells."""
    text = PAGE.read_text(encoding="utf-8").split(HEADING, 1)[1]
    lines = [x for x in text.splitlines() if x.startswith("| ")][1:]  # skip the header
    return [[c.strip() for c in x.strip("|").split(" | ")] for x in lines if "---" not in x]


def _every(name: str) -> list[str]:
    """Messages for the reference made wrong in the ways every checker must catch."""
    ref = getattr(ptcourse, name)

    def in_place(*args, **kwargs):
        out = ref(*args, **kwargs)
        args[0].detach().mul_(0.5)
        return out

    wrappers = [
        lambda *a, **k: ref(*a, **k).tolist(),
        lambda *a, **k: ref(*a, **k).detach(),
        in_place,
    ]
    return [_message(name, w) for w in wrappers]


def _message(name, fn) -> str:
    try:
        check.CHECKERS[name](fn)
    except check.CheckFailed as err:
        return str(err)
    return ""


@functools.cache
def messages(name: str, every: bool) -> tuple[str, ...]:
    if every:
        return tuple(_every(name))
    return tuple(_message(name, fn) for _, fn, _ in WRONG[name])


def test_the_table_is_found_and_names_real_checkers():
    """The table has rows, each with four cells and at least one quoted phrase."""
    table = rows()
    assert len(table) >= 30
    for cells in table:
        assert len(cells) == 4 and re.search(r'"[^"]+"', cells[3]), cells


@pytest.mark.parametrize("cells", rows(), ids=lambda cells: cells[0][:40])
def test_each_row_quotes_what_its_checkers_say(cells, capsys):
    """Every checker a row names says one of the row's quoted phrases about that slip."""
    _, _, caught_by, says = cells
    phrases = [p.lower() for p in re.findall(r'"([^"]+)"', says)]
    every = caught_by.startswith("every checker")
    if every:
        names = sorted(check.CHECKERS)
        if "of a loss" in caught_by:
            names.remove("grpo_advantages")  # advantages are not differentiated
    else:
        names = re.findall(r"`(\w+)`", caught_by)
        assert names and set(names) <= set(check.CHECKERS), caught_by
    for name in names:
        said = [m.lower() for m in messages(name, every)]
        assert any(p in m for p in phrases for m in said), (name, phrases)
