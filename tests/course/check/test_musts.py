"""Every "must" in an exercise statement is a check, and every check of a must is in a statement.

The statements live in the ``{exercise}`` blocks of book/*.md; ``check.MUSTS`` maps each exercise to
{a phrase of its must-sentence: the label of the check that tests it}. The three lists are kept in
step: the sentences, the phrases, and the checks a right answer's result says ran.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from learner_answers import RIGHT

from ptcourse import check

BOOK = Path(__file__).resolve().parents[3] / "book"
EXERCISE = re.compile(r"```\{exercise\}[^\n]*\n(.*?)```", re.S)


def must_sentences() -> dict[str, list[str]]:
    """Exercise name (the function it asks for) -> the sentences of its statement that say 'must'."""
    found: dict[str, list[str]] = {}
    for md in sorted(BOOK.glob("*.md")):
        for block in EXERCISE.findall(md.read_text(encoding="utf-8")):
            m = re.search(r"Write `(\w+)\(", block)
            if not m or m.group(1) not in check.CHECKERS:
                continue
            text = " ".join(line for line in block.splitlines() if not line.startswith(":"))
            sentences = re.split(r"(?<=[.?!;])\s+", text)
            found[m.group(1)] = [s for s in sentences if re.search(r"\bmust\b", s)]
    return found


def test_every_coded_exercise_statement_is_found():
    """The parser finds the statement of each of the eleven checked exercises."""
    assert set(must_sentences()) == set(check.CHECKERS)


@pytest.mark.parametrize("name", sorted(check.CHECKERS))
def test_each_must_sentence_has_a_check_and_each_check_a_sentence(name):
    """Each must-sentence holds a phrase of MUSTS[name]; each phrase is in a must-sentence."""
    sentences, phrases = must_sentences()[name], check.MUSTS.get(name, {})
    for s in sentences:
        assert any(p in s for p in phrases), f"{name}: no check for the must {s!r}"
    for p in phrases:
        assert any(p in s for s in sentences), f"{name}: check {p!r} is in no must-sentence"


@pytest.mark.parametrize("name", sorted(check.MUSTS))
def test_the_check_of_each_must_runs(name, capsys):
    """A right answer's result lists the check of every must of its exercise."""
    result = check.CHECKERS[name](RIGHT[name][0])
    for label in check.MUSTS[name].values():
        assert label in result.checks, (label, result.checks)
