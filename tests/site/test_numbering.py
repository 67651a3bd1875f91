"""One numbering in the three views (issue 29): an equation or exercise has the same number on the
site, in the notebooks and on the slides, "3.4" style (chapter 3's fourth), and the welcome page's
equations plain "1", "2", ... as Sphinx numbers that unnumbered page.

The site's numbers are read from the built pages (``_build/html``), the notebooks' from the rendered
student notebooks, the slides' from the built decks (``_build/slides``); the reference is the
renderer's index of the chapter sources (``press/render_notebooks.build_index``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import render_notebooks as rn

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[2]
INDEX = rn.build_index(ROOT / "book", rn.site_url(rn.load_config()))
CHAPTERS = sorted({doc for doc, _ in INDEX.equations.values()})


def _site_equations(site: Path, doc: str) -> dict[str, str]:
    """label -> the number the built page shows beside that equation."""
    html = (site / "book" / f"{doc}.html").read_text(encoding="utf-8")
    found = re.findall(
        r'class="eqno">\(([^)<]*)\)<a class="headerlink" href="#equation-([\w-]+)"', html
    )
    return {label: number for number, label in found}


def _notebook_text(doc: str) -> str:
    nb = json.loads((ROOT / "notebooks" / "student" / f"{doc}.ipynb").read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_the_chapters_number_their_equations_per_chapter():
    """The reference itself: chapter 3's first labelled equation is 3.1, the welcome page's is 1."""
    assert INDEX.equations["eq-kl-def"] == ("03_kl_divergence", "3.1")
    assert INDEX.equations["eq-welcome-likelihood"] == ("00_welcome", "1")


@pytest.mark.parametrize("doc", CHAPTERS)
def test_site_and_notebook_show_the_same_equation_numbers(built_site, doc):
    """Every labelled equation: the site's number = the index's = the notebook's \\tag."""
    expected = {label: n for label, (d, n) in INDEX.equations.items() if d == doc}
    assert _site_equations(built_site, doc) == expected
    tags = re.findall(r"\\tag\{([^}]*)\}", _notebook_text(doc))
    assert tags == sorted(expected.values(), key=lambda n: [int(x) for x in n.split(".")])


@pytest.mark.parametrize("doc", [d for d in CHAPTERS if not d.startswith("00_")])
def test_slides_show_the_chapters_numbers(built_site, doc):
    """A deck's tagged equations carry their chapter's numbers (a subset, in the chapter's order)."""
    deck = built_site.parent / "slides" / f"{doc}.html"
    if not deck.is_file():
        pytest.fail(f"no deck {deck}; make book builds the decks")
    numbers = {n for d, n in INDEX.equations.values() if d == doc}
    tags = re.findall(r"\\tag\{([^}]*)\}", deck.read_text(encoding="utf-8"))
    assert set(tags) <= numbers, (tags, sorted(numbers))
    if (
        doc == "03_kl_divergence"
    ):  # its deck shows the KL's definition, the book's first KL equation
        assert "3.1" in tags


@pytest.mark.parametrize("doc", sorted({d for d, _, _ in INDEX.exercises.values()}))
def test_site_and_notebook_show_the_same_exercise_numbers(built_site, doc):
    """Exercise C.K on the site is Exercise C.K in the notebook."""
    html = (built_site / "book" / f"{doc}.html").read_text(encoding="utf-8")
    site = re.findall(r'<span class="caption-number">Exercise ([\d.]+) </span>', html)
    notebook = re.findall(r"^### Exercise ([\d.]+)", _notebook_text(doc), re.M)
    assert site and site == notebook
