"""Figures on the site are sharp and their text readable, on a phone and a desktop (issue 15).

Two claims, checked on every chapter of the built site at 390 px and 1366 px wide windows:

- *sharp*: every article image has at least ``MIN_PIXEL_RATIO`` (1.5) image pixels per CSS pixel
  of its displayed width, or is an SVG;
- *readable*: in every figure (an image in a code cell's output), the smallest text, at the size
  the figure is shown, is at least ``ptcourse.viz.MIN_TEXT_PX`` (9) CSS pixels. Each figure PNG
  records its smallest font in points and its dpi (``ptcourse.viz.png_metadata``); shown
  ``w_shown`` CSS px wide from ``w_png`` pixels, that text is ``pt / 72 * dpi * w_shown / w_png`` px.

Each check is shown failing on a broken fixture (``fixtures/figures/``: a 1x PNG stretched to the
column, a 5-pt legend, a PNG without a font record, a 6.4-in figure with 10-pt text on a phone)
and passing on a good one, whose PNGs are drawn here by ``ptcourse.viz`` itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import site_checks as checks
from PIL import Image
from site_checks import (
    article_images,
    check_figure_text,
    check_images_sharp,
)
from site_views import chapter_pages, view

from ptcourse import viz

pytestmark = pytest.mark.site

FIGURES = Path(__file__).parent / "fixtures" / "figures"
VIEWPORTS = {"phone": checks.PHONE, "desktop": checks.DESKTOP}

# --- the built site -----------------------------------------------------------------------------


_EARLY = {"01", "02", "03", "04", "05", "06"}


def _views(browser, server, site, axe_source, rel: str, viewport: str) -> dict:
    """The chapter's checks at that width: ``site_views.view``, one load shared with the others."""
    return view(browser, server, site, axe_source, rel, viewport)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("rel", chapter_pages())
def test_chapter_images_are_sharp(browser, site_server, built_site, axe_source, rel, viewport):
    """Every image of the chapter has >= 1.5 pixels per displayed CSS pixel, or is SVG."""
    problems = _views(browser, site_server, built_site, axe_source, rel, viewport)["sharp"]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("rel", chapter_pages())
def test_chapter_figure_text_is_readable(
    browser, site_server, built_site, axe_source, rel, viewport
):
    """In every figure of the chapter the smallest text is >= 9 CSS px where it is shown."""
    problems = _views(browser, site_server, built_site, axe_source, rel, viewport)["figure_text"]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "rel",
    [p for p in chapter_pages() if p.split("/")[-1][:2] in _EARLY]
    or ["(no chapter 01-06 in the built site)"],
)
def test_chapters_have_figures(browser, site_server, built_site, axe_source, rel):
    """The checks are not vacuous: chapters 1 to 6 show figures (the new pictures included),
    at least three each (one test per chapter, on its shared desktop load)."""
    shown = _views(browser, site_server, built_site, axe_source, rel, "desktop")["figures"]
    assert len(shown) >= 3, (rel, shown)


# --- the fixtures: each check fails on a broken page and passes on a good one -------------------


def _save(fig, path: Path, **savefig) -> int:
    fig.savefig(path, format="png", **savefig)
    return Image.open(path).width


@pytest.fixture(scope="module")
def figure_site(tmp_path_factory):
    """The figure fixture pages, with PNGs drawn here by ptcourse.viz, served on localhost."""
    root = tmp_path_factory.mktemp("figure_site")
    for file in FIGURES.iterdir():
        shutil.copy(file, root / file.name)
    widths = {}

    def course_figure():
        fig, ax = viz.figure(width=5.0, height=3.0)
        ax.plot([0, 1, 2], [0, 1, 0.5], label="a run")
        ax.set(xlabel="step", ylabel="reward", title="a course figure")
        viz.legend_above(fig)
        return fig

    data, meta = viz.display_png(course_figure())  # what a chapter's cell shows
    (root / "course.png").write_bytes(data)
    widths["COURSE_WIDTH"] = meta["width"]
    _save(course_figure(), root / "onex.png", dpi=100)  # the old 100-dpi output
    tiny = course_figure()
    tiny.axes[0].legend(fontsize=5)  # drawn at 2x with its metadata, but never raised
    widths["TINY_WIDTH"] = (
        _save(tiny, root / "tiny.png", dpi=200, metadata=viz.png_metadata(tiny)) // 2
    )
    widths["UNRECORDED_WIDTH"] = _save(course_figure(), root / "unrecorded.png", dpi=200) // 2
    import matplotlib

    with matplotlib.rc_context({"font.size": 10}):  # 6.4 in with matplotlib's default 10 pt
        wide = matplotlib.figure.Figure(figsize=(6.4, 3.2))
        ax = wide.subplots()
        ax.plot([0, 1], [0, 1])
        ax.set(xlabel="step", ylabel="reward")
    widths["WIDE_WIDTH"] = (
        _save(wide, root / "wide.png", dpi=200, metadata=viz.png_metadata(wide)) // 2
    )
    for html in root.glob("*.html"):
        text = html.read_text(encoding="utf8")
        for key, value in widths.items():
            text = text.replace(key, str(value))
        html.write_text(text, encoding="utf8")
    server = checks.LocalServer(root)
    yield server
    server.close()


def _fixture(browser, server, name: str, viewport: str):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    load = checks.load_page(page, f"{server.url}/{name}")
    assert not load.problems(), load.problems()
    return context, page


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_checks_pass_on_course_figures_and_svg(browser, figure_site, viewport):
    """A viz figure (2x PNG, fonts on record) and an SVG pass both checks at both widths."""
    context, page = _fixture(browser, figure_site, "figures_good.html", viewport)
    try:
        assert len(article_images(page)) == 2
        assert check_images_sharp(page) == []
        assert check_figure_text(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_sharpness_check_fails_on_a_1x_png(browser, figure_site, viewport):
    """A 100-dpi PNG stretched to the column has under 1.5 pixels per CSS pixel and is reported."""
    context, page = _fixture(browser, figure_site, "figures_blurry.html", viewport)
    try:
        problems = check_images_sharp(page)
    finally:
        context.close()
    # 500 px shown 757 px wide on a desktop (0.66x), 358 px wide on a phone (1.40x)
    assert len(problems) == 1 and "onex.png" in problems[0], problems


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_text_check_fails_on_small_and_unrecorded_text(browser, figure_site, viewport):
    """A 5-pt legend (6.9 px at 500 px shown) and a figure without a font record are reported."""
    context, page = _fixture(browser, figure_site, "figures_small_text.html", viewport)
    try:
        problems = check_figure_text(page)
    finally:
        context.close()
    text = "\n".join(problems)
    assert len(problems) == 2, text
    assert "tiny.png" in text and "smallest text is" in text
    assert "unrecorded.png" in text and "records no font size" in text


def test_text_check_fails_on_a_phone_only_for_desktop_sized_text(browser, figure_site):
    """A 6.4-in figure with 10-pt text passes at 1366 px (13.9 px) and fails at 390 px (7.8 px)."""
    results = {}
    for viewport in VIEWPORTS:
        context, page = _fixture(browser, figure_site, "figures_phone.html", viewport)
        try:
            results[viewport] = check_figure_text(page)
        finally:
            context.close()
    assert results["desktop"] == [], results["desktop"]
    assert len(results["phone"]) == 1 and "wide.png" in results["phone"][0], results["phone"]
