"""The chapters' own solutions pass their checkers (the book runs them; this says which one breaks).

Each coded exercise of book/*.md is followed by a ``{code-cell}`` tagged ``solution`` and a cell
``check.NAME(NAME)``; the solution is run on its own and handed to the checker.
"""

from __future__ import annotations

import ast

import chapter
import pytest
import torch

from ptcourse import check


def solutions() -> dict[str, str]:
    """Exercise name -> the source of the chapter's code solution that defines it (press/chapter.py
    reads the solutions)."""
    found = {}
    for md in chapter.chapters():
        for s in chapter.read(md).solutions:
            if s.kind != "code":
                continue
            for node in ast.parse(s.text).body:
                if isinstance(node, ast.FunctionDef) and node.name in check.CHECKERS:
                    found[node.name] = s.text
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
