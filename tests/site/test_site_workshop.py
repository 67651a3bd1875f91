"""Browser checks of the workshop kit on the built site (issue 16): the cheat sheet prints on one
sheet, and the slide decks (``make slides`` copies them into _build/html/slides/) work offline.

Run with ``make site-test`` after ``make book`` and ``make slides``.
"""

from __future__ import annotations

import base64
import re

import pytest
import site_checks as checks
from chapter_source import DECK_CHAPTERS

from ptcourse.course import _sizing

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


# ---- issue 29: the decks at a projector's size and on a phone ------------------------------------


def open_deck(browser, site_server, built_site, deck: str, viewport: dict):
    """A page showing ``deck`` at ``viewport``, its math typeset, with slide transitions off (so a
    slide is where it lands as soon as it is shown)."""
    if not (built_site / "slides" / f"{deck}.html").is_file():
        pytest.fail("no slides in the built site: run make slides")
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    checks.load_page(page, f"{site_server.url}/slides/{deck}.html")
    page.wait_for_function("() => document.body.dataset.mathReady === '1'", timeout=20_000)
    page.evaluate("() => Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
    return context, page


# Every slide in turn: the screen boxes (CSS px) of the slide area (reveal.js's slide size times its
# scale; a section's own box is only as tall as its content) and of the slide's display equations
# (their mjx-math, which holds the equation's number too) and figures.
_SLIDE_BOXES_JS = """
() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,
            height: r.height}; };
  const out = [];
  for (let i = 0; i < Reveal.getTotalSlides(); i++) {
    Reveal.slide(i, 0);
    const s = Reveal.getCurrentSlide();
    out.push({i, title: (s.querySelector('h1, h2') || {}).textContent,
      area: box(Reveal.getSlidesElement()),
      math: [...s.querySelectorAll('mjx-container[display="true"] > mjx-math')].map(box),
      figures: [...s.querySelectorAll('img.figure')].map(img => ({...box(img),
        natural: img.naturalWidth, src: img.src}))});
  }
  return out;
}
"""


def outside(inner: dict, outer: dict, sides=("left", "right", "top", "bottom")) -> bool:
    """True when box ``inner`` reaches more than 1 px past box ``outer`` on one of ``sides``."""
    sign = {"left": -1, "top": -1, "right": 1, "bottom": 1}
    return any(sign[k] * (inner[k] - outer[k]) > 1 for k in sides)


@pytest.mark.parametrize("deck", DECK_CHAPTERS)
def test_deck_display_math_fits_its_slide(browser, site_server, built_site, deck):
    """At 1366x900 every display equation of the deck lies within its slide's width (wider math is
    scaled down to fit, so it is never cut off at the slide's edge)."""
    context, page = open_deck(browser, site_server, built_site, deck, checks.DESKTOP)
    try:
        slides = page.evaluate(_SLIDE_BOXES_JS)
    finally:
        context.close()
    wide = [
        f"slide {s['i']} ({s['title']}): an equation spans {m['left']:.0f}..{m['right']:.0f} px, "
        f"the slide {s['area']['left']:.0f}..{s['area']['right']:.0f} px"
        for s in slides
        for m in s["math"]
        if outside(m, s["area"], ("left", "right"))
    ]
    assert not wide, "\n".join(wide)


@pytest.mark.parametrize("deck", DECK_CHAPTERS)
def test_deck_figures_fill_their_slide(browser, site_server, built_site, deck):
    """At 1366x900 every figure lies within its slide, takes the slide's room and its text is not
    shrunk.

    Room: at least half the slide's width or 60 % of its height, whichever the figure's shape
    reaches first (a wide figure meets the width, a tall one the height).

    Text: the figure is shown at least as wide as it was drawn, ``natural / PIXEL_RATIO`` CSS px
    (ptcourse draws figures at ``CSS_DPI`` px per inch with ``TEXT_PT`` fonts, PNGs at 2x). That is
    the size the site shows it at on a desktop, where its text meets the course's size rule, and a
    slide read from the back of a room should not show it smaller. The smallest text, from the
    PNG's record, is reported with a failure.
    """
    context, page = open_deck(browser, site_server, built_site, deck, checks.DESKTOP)
    try:
        slides = page.evaluate(_SLIDE_BOXES_JS)
    finally:
        context.close()
    figures = [(s, f) for s in slides for f in s["figures"]]
    assert figures, "the deck has no figure"
    problems = []
    for s, f in figures:
        drawn = f["natural"] / _sizing.PIXEL_RATIO
        text = None
        if f["src"].startswith("data:image/png;base64,"):
            text = checks.figure_text_px(base64.b64decode(f["src"].split(",", 1)[1]), f["width"])
        area = s["area"]
        where = f"slide {s['i']} ({s['title']}): figure {f['width']:.0f}x{f['height']:.0f} px"
        if outside(f, area):
            problems.append(f"{where} reaches past the slide's edge (cut off)")
        if f["width"] < 0.5 * area["width"] and f["height"] < 0.6 * area["height"]:
            problems.append(
                f"{where} on a {area['width']:.0f}x{area['height']:.0f} px slide "
                "(< 50 % of its width and < 60 % of its height)"
            )
        if f["width"] < drawn - 1:
            problems.append(
                f"{where}, drawn {drawn:.0f} px wide: text shrunk to {f['width'] / drawn:.2f}x"
                + (f" (smallest {text:.1f} px)" if text else "")
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", [checks.PHONE, checks.DESKTOP], ids=["phone", "desktop"])
def test_deck_home_and_end_keys(browser, site_server, built_site, viewport):
    """End goes to the deck's last slide and Home back to the first, on a phone (where reveal.js
    shows the deck as its scroll view) as on a desktop."""
    context, page = open_deck(browser, site_server, built_site, DECK_CHAPTERS[0], viewport)
    try:
        last = page.evaluate("() => Reveal.getTotalSlides() - 1")  # no vertical stacks
        assert last >= 3
        page.keyboard.press("End")
        page.wait_for_function(f"() => Reveal.getIndices().h === {last}", timeout=5_000)
        page.keyboard.press("Home")
        page.wait_for_function("() => Reveal.getIndices().h === 0", timeout=5_000)
    finally:
        context.close()
