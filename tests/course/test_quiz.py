"""The self-check quizzes: consistent data, answers that match their closed forms, the same grading in
Python and in the page, the chapter blocks, the notebooks' markdown and the answer-key page."""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from pathlib import Path

import pytest
import quiz
from quiz import Choice, Mistake, Numeric, Option, Quiz

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("chapter", quiz.chapters())
def test_every_quiz_is_consistent(chapter):
    """3-5 questions; one correct option each; every wrong option and mistake explained."""
    assert quiz.problems(quiz.load(chapter)) == []


def test_there_are_quizzes_for_chapters_01_to_08():
    """Chapters 01..08 each have a quiz (chapter 09, the real trainer, has none)."""
    assert set(quiz.chapters()) == {f"{n:02d}" for n in range(1, 9)}


def _ok():
    return Choice("q?", (Option("a", "right", correct=True), Option("b", "wrong")))


@pytest.mark.parametrize(
    "questions,message",
    [
        ((_ok(), _ok()), "2 questions, need 3 to 5"),
        ((_ok(), _ok(), Choice("q?", (Option("a", "x", True), Option("b", "y", True)))),
         "2 correct options"),
        ((_ok(), _ok(), Choice("q?", (Option("a", "x", True), Option("b", " ")))),
         "option 2: no explanation"),
        ((_ok(), _ok(), Numeric("n?", 1.0, 0.1, "why", "hint", (Mistake(1.05, "close"),))),
         "within the tolerance"),
        ((_ok(), _ok(), Numeric("n?", math.nan, 0.1, "why", "hint")), "not a finite number"),
        ((_ok(), _ok(), Numeric("n?", 1.0, 0.0, "why", "hint")), "tolerance 0.0 must be > 0"),
        ((_ok(), _ok(), Numeric("n?", 1.0, 0.1, "why", "")), "needs an explanation"),
        ((_ok(), _ok(), Numeric("n?", 1.0, 0.1, "why", "h", (Mistake(3.0, ""),))),
         "mistake 1: no explanation"),
    ],
)  # fmt: skip
def test_problems_catches_each_kind_of_broken_quiz(questions, message):
    """A quiz with a broken question is reported, naming the question and what is wrong."""
    found = quiz.problems(Quiz("99", "broken", questions))
    assert any(message in p for p in found), found


def _numeric(chapter: str, index: int) -> Numeric:
    q = quiz.load(chapter).questions[index]
    assert isinstance(q, Numeric)
    return q


@pytest.mark.parametrize(
    "chapter,index,closed_form",
    [
        ("01", 0, 2**1.5),  # perplexity of probabilities 1/2, 1/2, 1/4, 1/4: e^(1.5 log 2)
        ("02", 0, math.log(0.5 * 0.8 * 0.9)),  # response log-likelihood, prompt masked
        ("03", 0, 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)),  # KL(p || q)
        ("04", 0, math.e**2 / (math.e**2 + 1)),  # pi* with rewards 1, 0 at beta 0.5
        ("05", 0, math.log(8)),  # entropy of the uniform distribution over 8 tokens
        ("06", 0, 0.5 / math.sqrt(1 / 3)),  # GRPO: (1 - 0.5) / Bessel std of (1, 0, 0, 1)
        ("06", 1, 1.2 * 2.0),  # PPO: min(1.5 * 2, clip(1.5, 0.8, 1.2) * 2)
    ],
)
def test_numeric_answers_match_their_closed_forms(chapter, index, closed_form):
    """The answers ptcourse computed agree with the closed form, well inside the tolerance."""
    q = _numeric(chapter, index)
    assert abs(q.answer - closed_form) <= q.tolerance / 10


@pytest.mark.parametrize("chapter", quiz.chapters())
def test_grading_gives_every_option_its_own_explanation(chapter):
    """Choosing an option returns that option's explanation; a number hits its mistake's text."""
    for q in quiz.displayed(quiz.load(chapter)):
        if isinstance(q, Choice):
            verdicts = [quiz.grade(q, j) for j in range(len(q.options))]
            assert [ok for ok, _ in verdicts] == [o.correct for o in q.options]
            assert [why for _, why in verdicts] == [o.why for o in q.options]
        else:
            assert quiz.grade(q, q.answer + q.tolerance / 2) == (True, q.why)
            for m in q.mistakes:
                assert quiz.grade(q, m.value) == (False, m.why)
            assert quiz.grade(q, q.answer + 1000) == (False, q.hint)


def test_displayed_order_is_stable_and_not_always_first():
    """Options are shuffled the same way every time, and the right one is not always first."""
    firsts = set()
    for ch in quiz.chapters():
        shown = quiz.displayed(quiz.load(ch))
        assert shown == quiz.displayed(quiz.load(ch))
        for q in shown:
            if isinstance(q, Choice):
                firsts.add(next(j for j, o in enumerate(q.options) if o.correct))
    assert len(firsts) > 1


def test_html_carries_every_explanation_and_the_contract():
    """The kernel-free quiz has one fieldset per question and every explanation, as HTML (its math
    as the page's), in the question's hidden ``div.ptc-quiz-whys``."""
    text = quiz.show("03").html
    q = quiz.load("03")
    assert text.count('<fieldset class="ptc-quiz-q"') == len(q.questions)
    assert "<script>" in text and "http" not in text  # no network
    for question in q.questions:
        for why in [o.why for o in getattr(question, "options", ())]:
            assert f">{quiz.page._inline(why)}</span>" in text


def test_markdown_has_answers_only_for_instructors():
    """Student markdown has the questions and options but no answer; the instructor's has all."""
    for ch in quiz.chapters():
        student, instructor = quiz.markdown(ch), quiz.markdown(ch, answers=True)
        assert "Answer:" not in student
        assert instructor.count("*Answer:*") == len(quiz.load(ch).questions)
        for q in quiz.load(ch).questions:
            if isinstance(q, Choice):
                right = next(o for o in q.options if o.correct)
                assert right.why not in student and right.why in instructor


@pytest.mark.parametrize("chapter", quiz.chapters())
def test_chapter_ends_with_its_quiz_block(chapter):
    """The chapter with a quiz ends with `## Check yourself` and the directive `{quiz} NN`."""
    (md,) = sorted((ROOT / "book").glob(f"{chapter}_*.md"))
    tail = md.read_text(encoding="utf-8").rstrip().splitlines()[-4:]
    assert tail == ["## Check yourself", "", f"```{{quiz}} {chapter}", "```"]


def test_answer_key_page_is_current():
    """book/quiz_key.md is what `PYTHONPATH=press python -m quiz` writes from the data."""
    page = ROOT / quiz.KEY_PAGE
    assert page.read_text(encoding="utf-8") == quiz.key_markdown(), (
        "run: PYTHONPATH=press .venv/bin/python -m quiz"
    )
    assert "book/quiz_key" in (ROOT / "_toc.yml").read_text()


def test_answer_key_lists_every_explanation():
    """Every option's and every mistake's explanation is in the printable key."""
    key = quiz.key_markdown().replace("\\", "")
    for ch in quiz.chapters():
        for q in quiz.load(ch).questions:
            texts = [o.why for o in q.options] if isinstance(q, Choice) else [
                q.why, q.hint, *(m.why for m in q.mistakes)]  # fmt: skip
            for t in texts:
                assert t.replace("\\", "") in key, t


def test_notebooks_render_the_quiz_as_markdown(tmp_path):
    """render_notebooks turns the quiz directive into markdown: no answer for students, all for
    instructors; text around the directive stays in cells of its own."""
    import render_notebooks as rn

    md = tmp_path / "02_x.md"
    md.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n# Title\n\n"
        "```{code-cell} ipython3\nprint('install')\n```\n\n## Check yourself\n\n"
        "```{quiz} 02\n```\n\nAfter.\n"
    )
    index = rn.build_index(ROOT / "book", "https://example.org/")
    for kind, answers in (("student", False), ("instructor", True)):
        nb = rn.render_chapter(md, kind, index=index, glue={}, install="# install", version="0")
        heading, block, after = nb["cells"][-3:]
        assert heading["source"] == "## Check yourself" and after["source"] == "After."
        assert block["cell_type"] == "markdown" and block["source"] == quiz.markdown("02", answers)
        assert not any("{quiz}" in c["source"] for c in nb["cells"])


def test_load_refuses_an_unknown_chapter():
    """An unknown chapter is refused, naming the argument and the choices."""
    with pytest.raises(ValueError, match=re.escape("'chapter' must be one of ['01'")):
        quiz.load("42")


def test_quiz_dataclasses_are_frozen():
    """Quiz data cannot be changed after import (the page and the key read the same objects)."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        quiz.load("01").questions[0].answer = 0  # type: ignore[misc]


# Issue 29: quiz math is TeX ($...$), rendered on the site the way the chapters' math is.
_PLAIN_MATH = re.compile(r"[A-Za-zπβθσ]_[A-Za-z{(]|[πβθσετρΣ‖√²]|\|\|")
_MATH_OR_CODE = re.compile(r"\$[^$]+\$|`[^`]+`")


def _texts(q) -> list[str]:
    if isinstance(q, Choice):
        return [q.prompt, *(t for o in q.options for t in (o.text, o.why))]
    return [q.prompt, q.why, q.hint, *(m.why for m in q.mistakes)]


@pytest.mark.parametrize("chapter", quiz.chapters())
def test_quiz_math_is_written_in_tex(chapter):
    """No plain-text math (pi_ref, β, KL(p ‖ q)) outside $...$ (or `code`) in the quiz's text."""
    for q in quiz.load(chapter).questions:
        for text in _texts(q):
            found = _PLAIN_MATH.search(_MATH_OR_CODE.sub("", text))
            assert found is None, (found.group(), text)


@pytest.mark.parametrize("chapter", quiz.chapters())
def test_quiz_math_goes_through_the_sites_math(chapter):
    """Every formula of the quiz, explanations included, is in the page's HTML as Sphinx writes
    inline math, so _ext/prerender_math.py renders it with the chapter's own math."""
    sys.path.insert(0, str(ROOT / "_ext"))
    import prerender_math

    found = {tex for tex, display in prerender_math.find_math(quiz.show(chapter).html)}
    wanted = {m[1:-1] for q in quiz.load(chapter).questions for t in _texts(q)
              for m in re.findall(r"\$[^$]+\$", t)}  # fmt: skip
    assert wanted and wanted <= found, wanted - found
