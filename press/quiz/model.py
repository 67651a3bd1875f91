"""The quizzes' data model: questions, their consistency check, grading and the order shown."""

from __future__ import annotations

import functools
import hashlib
import importlib
import math
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Option", "Choice", "Mistake", "Numeric", "Quiz", "chapters", "load", "problems",
           "grade", "displayed"]  # fmt: skip


@dataclass(frozen=True)
class Option:
    """One answer of a multiple-choice question and why it is right or wrong."""

    text: str
    why: str
    correct: bool = False


@dataclass(frozen=True)
class Choice:
    """A multiple-choice question: exactly one of ``options`` is ``correct``."""

    prompt: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer to a numeric question (matched within the question's tolerance)."""

    value: float
    why: str


@dataclass(frozen=True)
class Numeric:
    """A numeric question: ``answer`` within ``tolerance``, explained by ``why``.

    ``mistakes`` are the wrong values learners typically give, each with its explanation;
    ``hint`` answers any other value.
    """

    prompt: str
    answer: float
    tolerance: float
    why: str
    hint: str
    mistakes: tuple[Mistake, ...] = ()
    unit: str = ""


@dataclass(frozen=True)
class Quiz:
    """The self-check quiz of chapter ``chapter`` ("01")."""

    chapter: str
    title: str
    questions: tuple


_NAME = re.compile(r"^ch(\d\d)$")


def chapters() -> list[str]:
    """The chapters that have a quiz ("01", "02", ...): one per module ``chNN`` of this package.

    Examples
    --------
    >>> chapters()[:2]
    ['01', '02']
    """
    found = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])]
    return sorted(_NAME.match(n).group(1) for n in found if _NAME.match(n))


@functools.cache
def load(chapter: str) -> Quiz:
    """The quiz of ``chapter`` ("01"), from the module ``chNN``.

    Examples
    --------
    >>> load("01").chapter
    '01'
    """
    if not isinstance(chapter, str) or chapter not in chapters():
        raise ValueError(f"quiz: 'chapter' must be one of {chapters()}, got {chapter!r}")
    quiz = importlib.import_module(f"{__package__}.ch{chapter}").QUIZ
    if quiz.chapter != chapter:
        raise ValueError(f"quiz: ch{chapter}.py holds the quiz of chapter {quiz.chapter!r}")
    return quiz


def problems(quiz: Quiz) -> list[str]:
    """Everything inconsistent in ``quiz`` (empty when it is sound).

    Three to five questions; a choice has at least two options, exactly one correct, and every
    option explained; a numeric answer is finite with a tolerance > 0, every typical mistake is
    explained and lies outside the tolerance of the answer, and there is a hint for other values.

    Examples
    --------
    >>> bad = Quiz("99", "x", (Choice("?", (Option("a", "because"), Option("b", ""))),))
    >>> problems(bad)  # doctest: +NORMALIZE_WHITESPACE
    ['quiz 99: 1 questions, need 3 to 5', 'quiz 99 q1: 0 correct options, need exactly 1',
     'quiz 99 q1 option 2: no explanation']
    """
    out = []
    tag = f"quiz {quiz.chapter}"
    if not 3 <= len(quiz.questions) <= 5:
        out.append(f"{tag}: {len(quiz.questions)} questions, need 3 to 5")
    for i, q in enumerate(quiz.questions, 1):
        where = f"{tag} q{i}"
        if not q.prompt.strip():
            out.append(f"{where}: empty prompt")
        if isinstance(q, Choice):
            if len(q.options) < 2:
                out.append(f"{where}: {len(q.options)} options, need at least 2")
            n = sum(o.correct for o in q.options)
            if n != 1:
                out.append(f"{where}: {n} correct options, need exactly 1")
            for j, o in enumerate(q.options, 1):
                if not o.text.strip():
                    out.append(f"{where} option {j}: empty text")
                if not o.why.strip():
                    out.append(f"{where} option {j}: no explanation")
            if len({o.text for o in q.options}) != len(q.options):
                out.append(f"{where}: two options with the same text")
        elif isinstance(q, Numeric):
            if not (isinstance(q.answer, (int, float)) and math.isfinite(q.answer)):
                out.append(f"{where}: answer {q.answer!r} is not a finite number")
            if not (isinstance(q.tolerance, (int, float)) and q.tolerance > 0):
                out.append(f"{where}: tolerance {q.tolerance!r} must be > 0")
            if not q.why.strip() or not q.hint.strip():
                out.append(f"{where}: needs an explanation (why) and a hint")
            for j, m in enumerate(q.mistakes, 1):
                if not m.why.strip():
                    out.append(f"{where} mistake {j}: no explanation")
                if abs(m.value - q.answer) <= q.tolerance:
                    out.append(f"{where} mistake {j}: {m.value} is within the tolerance")
        else:
            out.append(f"{where}: {type(q).__name__} is neither a Choice nor a Numeric")
    return out


def grade(question, answer) -> tuple[bool, str]:
    """``(correct, explanation)`` for ``answer``: an option index (Choice) or a number (Numeric).

    The same rule as ``quiz.js`` in the page (its browser test compares the two).

    Examples
    --------
    >>> q = Numeric("2 + 2?", 4.0, 0.01, why="Four.", hint="Add.", mistakes=(Mistake(22, "Glued."),))
    >>> grade(q, 4.001), grade(q, 22), grade(q, 5)
    ((True, 'Four.'), (False, 'Glued.'), (False, 'Add.'))
    """
    if isinstance(question, Choice):
        o = question.options[answer]
        return o.correct, o.why
    x = float(answer)
    if abs(x - question.answer) <= question.tolerance:
        return True, question.why
    for m in question.mistakes:
        if abs(x - m.value) <= question.tolerance:
            return False, m.why
    return False, question.hint


def displayed(quiz: Quiz) -> tuple:
    """The questions as shown: each choice's options in a fixed order shuffled by their text.

    The data may list the right option first; the page, the notebooks and the key show the same
    shuffled order (a hash of the chapter, the question number and the option's text), so the
    position of the right answer gives nothing away and never changes between builds.

    Examples
    --------
    >>> q = load("06").questions[3]
    >>> sorted(o.text for o in displayed(load("06"))[3].options) == sorted(o.text for o in q.options)
    True
    """
    out = []
    for i, q in enumerate(quiz.questions):
        if isinstance(q, Choice):

            def key(o, i=i):
                return hashlib.sha1(f"{quiz.chapter}:{i}:{o.text}".encode()).hexdigest()

            q = Choice(q.prompt, tuple(sorted(q.options, key=key)))
        out.append(q)
    return tuple(out)
