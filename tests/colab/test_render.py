"""The rendered notebooks (press/render_notebooks.py) and the rendering check (press/render_check.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from chapter_source import chapter

import ptcourse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "press"))
sys.path.insert(0, str(ROOT / "_ext"))

import colab_badge  # noqa: E402
import render_check  # noqa: E402
import render_notebooks as rn  # noqa: E402

pytest.importorskip("jupytext")
CONFIG = rn.load_config()
SITE = rn.site_url(CONFIG)
INDEX = rn.build_index(ROOT / "book", SITE)
STUDENT = sorted((ROOT / "notebooks" / "student").glob("*.ipynb"))
INSTRUCTOR = sorted((ROOT / "notebooks" / "instructor").glob("*.ipynb"))


def _md(text: str, kind: str = "student", doc: str = "03_kl_divergence", glue=None) -> str:
    ch = rn.Chapter(doc=doc, index=INDEX, glue=glue or {}, kind=kind)
    return rn.render_markdown(text, ch, {}) or ""


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _src(cell: dict) -> str:
    return "".join(cell["source"])


# ---- the committed sets are current, complete and clean ---------------------------------------


def test_rendered_sets_are_current():
    """notebooks/{student,instructor}/ are exactly what book/*.md renders to (fix: make student)."""
    problems = rn.problems(rn.load_glue())
    assert not problems, "\n  ".join(
        ["rendered notebooks out of date:", *problems, "Fix: make student"]
    )


def test_every_chapter_has_a_student_and_an_instructor_notebook():
    """One rendered notebook of each kind per chapter, and none without a chapter."""
    names = {p.stem for p in rn.chapters()}
    assert {p.stem for p in STUDENT} == names and {p.stem for p in INSTRUCTOR} == names


def test_rendering_check_passes_on_the_committed_notebooks(capsys):
    """No MyST syntax in any rendered notebook, no solution in a student notebook."""
    assert (
        render_check.main(
            [str(ROOT / "notebooks" / "student"), str(ROOT / "notebooks" / "instructor")]
        )
        == 0
    ), capsys.readouterr().err


@pytest.mark.parametrize("path", STUDENT, ids=lambda p: p.stem)
def test_student_notebook_has_no_solution_and_each_checker_follows_its_stub(path):
    """Every exercise cell is a stub, the very next cell is its checker; no solution-tagged cell."""
    cells = _cells(path)
    tags = [c.get("metadata", {}).get("tags", []) for c in cells]
    assert not any("solution" in t for t in tags)
    for i, cell in enumerate(cells):
        if "exercise" in tags[i]:
            assert "raise NotImplementedError" in _src(cell)
            assert _src(cells[i + 1]).lstrip().startswith("check."), (path.name, i)
    assert not any("<details>" in _src(c) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", STUDENT, ids=lambda p: p.stem)
def test_student_notebook_says_once_what_it_is_and_where_the_site_is(path):
    """The first markdown cell says it is the student notebook and links the site; no other does."""
    md = [_src(c) for c in _cells(path) if c["cell_type"] == "markdown"]
    assert "This is the student notebook" in md[0] and f"({SITE})" in md[0]
    assert not any("This is the student notebook" in m for m in md[1:])


def test_instructor_notebooks_keep_every_solution():
    """Each instructor notebook has a runnable solution for each checker and folded written ones."""
    for path in INSTRUCTOR:
        cells = _cells(path)
        n_check = sum(
            _src(c).lstrip().startswith("check.") for c in cells if c["cell_type"] == "code"
        )
        n_sol = sum("solution" in c.get("metadata", {}).get("tags", []) for c in cells)
        assert n_sol == n_check, path.name
    details = [c for p in INSTRUCTOR for c in _cells(p) if "<details>" in _src(c)]
    assert len(details) >= 3  # the written exercises' answers


def test_glued_numbers_are_filled_in_from_the_executed_book():
    """A glued value shows as its number, formatted as the site formats it."""
    values = rn.load_glue()["03_kl_divergence"]["values"]
    text = "\n".join(_src(c) for c in _cells(ROOT / "notebooks/student/03_kl_divergence.ipynb"))
    assert f"=$ {rn.format_glue(values['kl_pq'], '.3f')} nats" in text
    assert "{glue" not in text


def test_badge_opens_the_rendered_student_notebook_at_the_release_tag():
    """The Colab badge URL names blob/v<version>/notebooks/student/<chapter>.ipynb, a file that exists."""
    ref = colab_badge.release_ref(ROOT)
    assert ref == f"v{ptcourse.__version__}"
    url = colab_badge.colab_url(
        rn.repository_url(CONFIG), ref, colab_badge.NOTEBOOK_DIR + "/03_kl_divergence.ipynb"
    )
    assert f"/blob/{ref}/notebooks/student/03_kl_divergence.ipynb" in url
    assert (ROOT / colab_badge.NOTEBOOK_DIR / "03_kl_divergence.ipynb").is_file()


# ---- the renderer, piece by piece --------------------------------------------------------------


def test_term_becomes_a_link_to_the_glossary_on_the_site():
    """{term} links to book/glossary.html#term-<Sphinx id> on the published site."""
    out = _md("the {term}`KL divergence` and {term}`the leash <reference model>`")
    assert f"[KL divergence]({SITE}book/glossary.html#term-KL-divergence)" in out
    assert f"[the leash]({SITE}book/glossary.html#term-reference-model)" in out


def test_term_with_a_display_text_and_a_non_ascii_alias_links_to_its_entry():
    """{term}`KL coefficient <β>`: Sphinx gives the alias 'β' no id of its own (a serial 'term-N'),
    so the link goes to the entry's first term, never to a bare '#term' (the top of the glossary)."""
    out = _md("a {term}`KL coefficient <β>` and {term}`the KL <KL>`")
    assert f"[KL coefficient]({SITE}book/glossary.html#term-KL-coefficient)" in out
    assert f"[the KL]({SITE}book/glossary.html#term-KL-divergence)" in out
    assert "#term)" not in out


def test_relative_page_links_become_site_urls_and_empty_ones_take_the_page_title():
    """[](01_next_token.md) shows the chapter's title; [x](glossary.md#a) goes to the site page."""
    out = _md(
        "| [](01_next_token.md) | [glossary](glossary.md) [there](05_entropy.md#sec-x) "
        "[up](#top) [ext](https://example.org/a.md) `[code](x.md)`",
        doc="00_welcome",
    )
    title = INDEX.titles["01_next_token"]
    assert f"[{title}]({SITE}book/01_next_token.html)" in out
    assert f"[glossary]({SITE}book/glossary.html)" in out
    assert f"[there]({SITE}book/05_entropy.html#sec-x)" in out
    assert f"[up]({SITE}book/00_welcome.html#top)" in out
    assert "[ext](https://example.org/a.md)" in out and "`[code](x.md)`" in out
    assert "](01_next_token.md)" not in out and "[](" not in out


def test_a_relative_link_to_no_page_of_the_book_is_an_error():
    """A link the site cannot resolve stops the render with the chapter's name."""
    for bad in ("[x](no_such_page.md)", "![fig](figure.png)"):
        with pytest.raises(rn.RenderError, match="03_kl_divergence"):
            _md(bad)


def test_site_url_comes_from_config():
    """The site is GitHub Pages of repository.url (no html.baseurl in _config.yml)."""
    owner, repo = CONFIG["repository"]["url"].rstrip("/").split("/")[-2:]
    assert SITE == f"https://{owner.lower()}.github.io/{repo}/"


def test_equations_are_numbered_per_chapter_as_on_the_site():
    """A labelled display equation gets \\tag{C.N} (chapter C, its order there); {eq} becomes (C.N)."""
    out = _md("$$\nx = 1\n$$ (eq-kl-def)\n\nsee {eq}`eq-kl-directions`")
    assert "\\tag{3.1}\n$$" in out and "(3.2)" in out and "(eq-kl-def)" not in out
    other = _md("see {eq}`eq-kl-def`", doc="06_toolkit")
    assert other == f"see [(3.1)]({SITE}book/03_kl_divergence.html#equation-eq-kl-def)"


def test_cite_becomes_author_year_linked_to_references():
    """{cite} becomes (Author, year); two keys are separated by ';'; 3+ authors give 'et al.'."""
    out = _md(
        "{cite}`kullback1951information` and {cite}`ziegler2019finetuning,ouyang2022instructgpt`"
    )
    assert f"([Kullback and Leibler, 1951]({SITE}book/references.html))" in out
    assert "Ziegler et al., 2019; Ouyang et al., 2022]" in out


def test_exercise_becomes_a_heading_and_callout_and_written_solution_goes():
    """An exercise shows as '### Exercise C.K: title' and a quote; a written solution is gone."""
    src = "```{exercise} Title here\n:label: ex-kl-divergence\nDo {eq}`eq-kl-def`.\n```\n\n```{solution} ex-kl-divergence\n:class: dropdown\n\nThe answer is 42.\n```"
    student = _md(src)
    assert student.startswith("### Exercise 3.1: Title here\n\n> Do (3.1).")
    assert "42" not in student and ":label:" not in student
    instructor = _md(src, kind="instructor")
    assert (
        "<details>" in instructor
        and "Solution to Exercise 3.1" in instructor
        and "The answer is 42." in instructor
    )


def test_unknown_myst_is_an_error_not_passed_through():
    """An unknown directive, role or label stops the build with the chapter's name."""
    for bad in (
        "```{figure} x.png\n```",
        "{abc}`x`",
        "{term}`no such term`",
        "{eq}`eq-nope`",
        "{glue:text}`nope:.2f`",
    ):
        with pytest.raises(rn.RenderError, match="03_kl_divergence"):
            _md(bad)


def test_code_spans_are_left_alone():
    """A role written inside inline code (documentation about MyST) is not rendered."""
    assert _md("write `{term}` like this") == "write `{term}` like this"


# ---- the rendering check fails on broken fixtures ----------------------------------------------


def _nb(markdown: str, student: bool = True, code: str = "x = 1") -> dict:
    kind = "student" if student else "instructor"
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": markdown},
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": code},
        ],
        "metadata": {"ptcourse": {"generated": f"{kind} notebook"}},
    }


BROKEN = {
    "MyST role": "the {term}`KL divergence` leash",
    "directive fence": "```{exercise} Title\nWrite it.\n```",
    "directive option": "**Exercise**\n:label: ex-kl\nWrite it.",
    "equation label": "$$\nx\n$$ (eq-kl-def)",
    "target": "(sec-intro)=\n# Intro",
    "substitution": "the value {{ kl }}",
}


@pytest.mark.parametrize("what", sorted(BROKEN))
def test_rendering_check_fails_on_each_kind_of_leaked_myst(what, tmp_path):
    """Each kind of MyST syntax in a markdown cell is reported, by name, for any notebook."""
    problems = render_check.check_notebook(
        tmp_path / "x.ipynb", _nb(BROKEN[what], student=False), set()
    )
    assert any(what in p for p in problems), problems
    clean = render_check.check_notebook(
        tmp_path / "x.ipynb", _nb("plain $x$ text", student=False), set()
    )
    assert clean == []


def test_rendering_check_fails_on_solution_text_in_a_student_notebook(tmp_path):
    """A solution summary, or any line of a chapter's solutions, in a student notebook is reported."""
    solutions = render_check.solution_lines()
    assert any("log_softmax" in s for s in solutions)  # code solutions' bodies are known
    line = sorted(s for s in solutions if "log_softmax" in s)[0]
    nb = _nb("text", code=f"def f(x):\n    {line}\n")
    assert any(
        "solution text" in p
        for p in render_check.check_notebook(tmp_path / "s.ipynb", nb, solutions)
    )
    nb = _nb("<details>\n<summary><b>Solution to Exercise 1.1</b></summary>\n\nanswer\n</details>")
    assert any(
        "solution text" in p
        for p in render_check.check_notebook(tmp_path / "s.ipynb", nb, solutions)
    )
    instructor = _nb(
        "<details>\n<summary><b>Solution to Exercise 1.1</b></summary>\n\nanswer\n</details>",
        student=False,
    )
    assert render_check.check_notebook(tmp_path / "i.ipynb", instructor, solutions) == []


def test_rendering_check_fails_on_a_broken_fixture_file(tmp_path, capsys):
    """The command line exits 1 on a fixture notebook holding a role, naming notebook and cell."""
    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "bad.ipynb").write_text(json.dumps(_nb(BROKEN["MyST role"])))
    assert render_check.main([str(tmp_path / "student")]) == 1
    assert "bad.ipynb cell 0: MyST role" in capsys.readouterr().err


CHAPTER_MD = chapter(
    """# A chapter

Some prose with {term}`entropy`.

```{code-cell} ipython3
print("install")
```

```{code-cell} ipython3
---
tags: [hide-input]
---
fig = "a picture from a hidden cell"
```

```{code-cell} ipython3
:tags: [remove-cell]

assert 1 + 1 == 2, "a claim check of the prose"
```

```{exercise} Write f
:label: ex-f
Write `f`.
```

```{solution-start} ex-f
:class: dropdown
```

```{code-cell} ipython3
:tags: [solution]

def f(x):
    \"\"\"Double x.\"\"\"
    return 2 * x
```

```{solution-end}
```

```{code-cell} ipython3
check.f(f)
```
"""
)


def test_render_chapter_drops_claim_cells_for_students_and_keeps_hidden_pictures(tmp_path):
    """remove-cell cells leave the student set only; hide-input cells (pictures) stay, folded;
    the solution becomes a stub followed directly by its checker; the install cell comes first."""
    md = tmp_path / "07_demo.md"
    md.write_text(CHAPTER_MD)
    index = rn.build_index(tmp_path, SITE)
    index.terms = INDEX.terms
    out = {
        kind: rn.render_chapter(md, kind, index=index, glue={}, install="# install", version="9.9")
        for kind in rn.SETS
    }
    student = [_src(c) for c in out["student"]["cells"]]
    instructor = [_src(c) for c in out["instructor"]["cells"]]
    assert not any("claim check" in s for s in student)
    assert any("claim check" in s for s in instructor)
    hidden = [c for c in out["student"]["cells"] if "picture" in _src(c)]
    assert hidden and hidden[0]["metadata"]["jupyter"] == {"source_hidden": True}
    code = [
        s for s, c in zip(student, out["student"]["cells"], strict=True) if c["cell_type"] == "code"
    ]
    assert code[0] == "# install"
    stub = next(i for i, s in enumerate(student) if "NotImplementedError" in s)
    assert student[stub + 1] == "check.f(f)" and "return 2 * x" not in "".join(student)
    assert "return 2 * x" in "".join(instructor)
    assert "### Exercise 7.1: Write f" in "".join(student)


def test_student_notebooks_carry_no_glue_calls():
    """The book's glue and claim calls are plumbing: the student notebooks' code has none (issue 25),
    while their text keeps every glued number."""
    import re

    from student import GLUE_CALLS

    pattern = re.compile(r"\b(" + "|".join(sorted(GLUE_CALLS)) + r")\(")
    for path in sorted((ROOT / "notebooks" / "student").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        assert not [c for c in code if pattern.search(c)], f"{path.name} still calls glue"
        assert not any("ptcourse.course.glue import" in c for c in code), path.name
