"""The chapters' own solutions pass their checkers (the book runs them; this says which one breaks).

Each coded exercise of book/*.md is followed by a ``{code-cell}`` tagged ``solution`` and a cell
``check.NAME(NAME)``; the solution is run on its own and handed to the checker.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from ptcourse import check

BOOK = Path(__file__).resolve().parents[3] / "book"
SOLUTION = re.compile(r"```\{code-cell\} ipython3\n:tags: \[solution\]\n(.*?)```", re.S)


def solutions() -> dict[str, str]:
    """Exercise name -> the source of the chapter's solution cell that defines it."""
    found = {}
    for md in sorted(BOOK.glob("*.md")):
        for src in SOLUTION.findall(md.read_text(encoding="utf-8")):
            m = re.search(r"^def (\w+)\(", src, re.M)
            if m and m.group(1) in check.CHECKERS:
                found[m.group(1)] = src
    return found


def test_every_checker_has_a_solution_in_the_book():
    """Each of the eleven checkers belongs to an exercise whose solution the book holds."""
    assert set(solutions()) == set(check.CHECKERS)


@pytest.mark.parametrize("name", sorted(check.CHECKERS))
def test_the_chapter_solution_passes_its_checker(name, capsys):
    """The solution printed in the book is accepted, with no slowness hint."""
    scope = {"torch": torch}
    exec(compile(solutions()[name], f"<solution {name}>", "exec"), scope)
    result = check.CHECKERS[name](scope[name])
    assert result.passed and not result.hints, capsys.readouterr().out
