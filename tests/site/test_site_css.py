"""Render-blocking CSS of every page of the built site (issue 29).

Every stylesheet a page links in its head (not print-only) must arrive before the browser paints
anything; from a host that does not compress, on slow 4G, 0.6 MB of it held the first paint to
5-7.7 s. The theme's sheets are trimmed to the rules the site uses at build time
(``_ext/trim_css.py``, PurgeCSS); this holds every page under ``MAX_BLOCKING_CSS_BYTES``. Read
from the built files, no browser.
"""

from __future__ import annotations

import pytest
import site_checks as checks
from site_views import site_pages

pytestmark = pytest.mark.site


def pytest_generate_tests(metafunc):
    if "site_page" in metafunc.fixturenames:
        # The slide decks (slides/, reveal.js's own theme with its fonts inlined) are not trimmed.
        pages = [p for p in site_pages() if not p.startswith("slides/")]
        pages = pages or ["(no site built: run make book first)"]
        metafunc.parametrize("site_page", pages)


def test_render_blocking_css_under_budget(built_site, site_page):
    """The page's render-blocking stylesheets weigh at most MAX_BLOCKING_CSS_BYTES together."""
    problems = checks.check_blocking_css(built_site, site_page)
    assert not problems, "\n".join(problems)


def test_blocking_css_counts_what_blocks(tmp_path):
    """The check counts linked sheets and their @imports, not print-only or alternate sheets,
    and fails a page over the budget."""
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.css").write_text('@import "b.css";' + "a{}" * 10)
    (tmp_path / "s" / "b.css").write_text("b{}" * 100)
    (tmp_path / "s" / "print.css").write_text("p{}" * 1000)
    (tmp_path / "page.html").write_text(
        "<html><head>"
        '<link rel="stylesheet" type="text/css" href="s/a.css?v=1" />'
        '<link rel="stylesheet" href="s/print.css" media="print">'
        '<link rel="alternate stylesheet" href="s/print.css">'
        '<link rel="preload" as="script" href="s/print.css">'
        '</head><body><link rel="stylesheet" href="s/print.css"></body></html>'
    )
    sizes = checks.blocking_css(tmp_path, "page.html")
    assert sizes == {"s/a.css": 16 + 30, "s/b.css": 300}
    assert checks.check_blocking_css(tmp_path, "page.html", limit=346) == []
    assert checks.check_blocking_css(tmp_path, "page.html", limit=345)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_keyboard_focus_keeps_the_themes_ring(page, site_server, built_site, mode):
    """A link reached with Tab shows the theme's focus ring (a solid accent outline, 3 px), not the
    browser's thin default: PurgeCSS drops a selector made only of a pseudo-class, which took the
    theme's bare ``:focus-visible`` rule with it until the safelist kept it (trim_css.cjs)."""
    page.goto(f"{site_server.url}/book/04_kl_leash.html")
    page.evaluate(f"document.documentElement.dataset.theme = '{mode}'")
    page.focus("article a.reference")  # a link in the text, which no rule of its own outlines
    page.keyboard.press("Shift+Tab")  # focus moved by the keyboard: :focus-visible applies
    page.keyboard.press("Tab")
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert ring[0] == "A" and ring[1] == "solid" and ring[2] >= 2.5, (
        f"focused link's outline in {mode} mode: {ring} (the theme's is solid, 3 px)"
    )
