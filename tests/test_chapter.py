"""press/chapter.py, the one reader of the chapter format, on the real book and on small chapters."""

from __future__ import annotations

import re
from pathlib import Path

import chapter
import pytest
import quiz
from chapter_source import chapter as chapter_text

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = chapter.chapters()


def test_the_chapters_are_the_notebook_pages_of_book():
    names = [p.stem for p in CHAPTERS]
    assert names[0] == "00_welcome" and "08_preferences_in_practice" in names
    assert "glossary" not in names and "quiz_key" not in names
    assert set(chapter.executable_pages()) - set(CHAPTERS) == {
        ROOT / "book" / "workshop" / "live_demos.md"
    }


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_has_a_solution(md):
    """Each exercise's label names a solution (written, or a gated code block)."""
    ch = chapter.read(md)
    solved = {s.label for s in ch.solutions}
    assert ch.exercises, md.name
    assert [e.label for e in ch.exercises if e.label not in solved] == []


def test_gated_code_solutions_in_four_backtick_fences_are_read():
    """````{solution-start}```` (four backticks) gates a code solution too: its body lines are
    solution lines (a three-backtick regex once missed them)."""
    (md,) = [p for p in CHAPTERS if p.stem.startswith("02_")]
    lines = {ln for s in chapter.read(md).solutions for ln in s.lines}
    assert "nll = torch.where(keep, nll, 0.0)" in lines
    assert not any(ln.startswith("def ") for ln in lines)  # the stub shows the signature


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_with_a_quiz_ends_with_its_block(md):
    ch = chapter.read(md)
    n = md.stem[:2]
    if n in quiz.chapters():
        assert ch.blocks[-1] == ("quiz", n)
    assert {name for name, _ in ch.blocks} <= {"quiz", "dial"}


def test_a_small_chapter_read_whole():
    ch = chapter.read_text(
        chapter_text(
            "# T\n\n```{code-cell} ipython3\nprint('install')\n```\n\n"
            "% slide-demo: ptcourse demo sft\n\n"
            "```{code-cell} ipython3\n:tags: [slide, hide-input]\n\nglue('x', 1.0)\n```\n\n"
            "```{solution} ex-a\n:class: dropdown\n\nA written answer long enough to tell.\n```\n"
        ),
        "05_small",
    )
    assert ch.install == "print('install')" and ch.doc == "05_small"
    assert ch.cells[3].tags == ("slide", "hide-input") and ch.slide_cells == (3,)
    assert ch.marks == (chapter.Mark(cell=2, demo=True, arg="ptcourse demo sft"),)
    assert ch.glued == {"x"}
    assert [(s.label, s.kind, s.lines) for s in ch.solutions] == [
        ("ex-a", "written", ("A written answer long enough to tell.",))
    ]


def test_no_other_press_module_reads_the_format_itself():
    """The chapter list, slide marks and solution fences are parsed in press/chapter.py only."""
    own = re.compile(r'"\\nkernelspec:"|slide\(\?P<demo>|\\\{solution|glob\("0\[1-9\]')
    for path in sorted((ROOT / "press").glob("*.py")):
        if path.name != "chapter.py":
            assert not own.search(path.read_text(encoding="utf-8")), path.name


def test_the_rendered_notebook_folders_have_one_home():
    """press/render_notebooks.py NOTEBOOK_DIRS names the folders; the Makefile repeats them once
    (make cannot import Python cheaply) and the press reads them from there."""
    import render_notebooks

    make = (ROOT / "Makefile").read_text()
    dirs = render_notebooks.NOTEBOOK_DIRS
    assert f"STUDENT_NB := {dirs['student']}\n" in make
    assert f"INSTRUCTOR_NB := {dirs['instructor']}\n" in make
    spelled = re.compile(
        r"notebooks/(?:student|instructor)\b|\"notebooks\" / \"(?:student|instructor)\""
    )
    for path in [
        *(ROOT / "press").glob("*.py"),
        *(ROOT / "mk").glob("*.mk"),
        ROOT / "_ext" / "colab_badge.py",
    ]:
        code = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
        )
        code = re.sub(r'""".*?"""|"[^"\n]*notebooks/[^"\n]*\.\.\.[^"\n]*"', "", code, flags=re.S)
        assert not spelled.search(code), (path.name, spelled.search(code))
