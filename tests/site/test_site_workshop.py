"""Browser checks of the workshop kit on the built site (issue 16): the cheat sheet prints on one
sheet, and the slide decks (``make slides`` copies them into _build/html/slides/) work offline.

Run with ``make site-test`` after ``make book`` and ``make slides``.
"""

from __future__ import annotations

import re

import pytest
import site_checks as checks
from chapter_source import DECK_CHAPTERS

pytestmark = pytest.mark.site


def pdf_pages(pdf: bytes) -> int:
    """Number of page objects in a PDF (Chromium writes them uncompressed).

    >>> pdf_pages(b"<< /Type /Pages /Count 2 >> << /Type /Page >> << /Type /Page >>")
    2
    """
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_cheat_sheet_prints_on_one_sheet(page, site_server, paper):
    """Printing the cheat sheet (print CSS, math typeset) gives exactly one A4 or Letter page."""
    load = checks.load_page(page, f"{site_server.url}/book/cheatsheet.html")
    assert not load.problems(), load.problems()
    assert not checks.check_math(page)
    page.emulate_media(media="print")
    pdf = page.pdf(format=paper, print_background=False, prefer_css_page_size=False)
    assert pdf_pages(pdf) == 1, f"the cheat sheet takes {pdf_pages(pdf)} {paper} pages"


@pytest.mark.parametrize("deck", DECK_CHAPTERS)
def test_deck_works_offline(page, site_server, built_site, deck):
    """Each deck loads with no error and no request off the machine; reveal.js runs, every formula
    is typeset by the vendored MathJax, and the figure and the live demo are on their slides."""
    if not (built_site / "slides" / f"{deck}.html").is_file():
        pytest.fail("no slides in the built site: run make slides")
    load = checks.load_page(page, f"{site_server.url}/slides/{deck}.html")
    assert not load.problems(), load.problems()
    page.wait_for_function("() => document.body.dataset.mathReady === '1'", timeout=20_000)
    assert page.evaluate("() => Reveal.isReady() && Reveal.getTotalSlides()") >= 4
    assert page.locator("mjx-container").count() >= 2
    assert not page.locator("mjx-merror").count(), "a formula failed to typeset"
    assert page.locator("img.figure").count() >= 1
    assert page.locator("pre.command").count() >= 1
    assert not checks.check_images(page)


def test_instructor_page_links_the_decks_and_the_cheat_sheet(page, site_server):
    """The instructor page links to every deck's page and to the cheat sheet, and the links work."""
    checks.load_page(page, f"{site_server.url}/book/instructor.html")
    hrefs = page.eval_on_selector_all("article a", "els => els.map(a => a.href)")
    for deck in DECK_CHAPTERS:
        assert any(h.endswith(f"slides/{deck}.html") for h in hrefs), deck
    assert any(h.split("#")[0].endswith("cheatsheet.html") for h in hrefs)
