"""Browser checks of every page of the built site (issue 7; glossary, badges and dials of issue 5).

Each page is opened once in light mode at desktop width (all checks, then a screenshot) and once
in dark mode (load checks and a screenshot), by ``site_views.view``, which also runs the checks of
``test_site_screens.py`` and ``test_site_figures.py`` on those loads; one test per claim reads
the cached results. Screenshots go to ``_build/screenshots/`` (``PTCOURSE_SCREENSHOT_DIR``
overrides).
"""

from __future__ import annotations

import re

import pytest
import site_checks as checks
from site_views import CHAPTER, VIEWS, screenshot_path, site_pages, view

pytestmark = pytest.mark.site

__all__ = ["CHAPTER", "site_pages"]  # imported by the other test modules
GLOSSARY_PAGE = "book/glossary.html"
EXPECTED_DIALS = {"temperature", "beta", "estimators"}


def pytest_generate_tests(metafunc):
    if "site_page" in metafunc.fixturenames:
        pages = site_pages() or ["(no site built: run make book first)"]
        metafunc.parametrize("site_page", pages)


@pytest.fixture()
def audit(browser, site_server, built_site, axe_source, site_page):
    """The cached results of all per-page checks for ``site_page``: its light and dark loads."""
    light = view(browser, site_server, built_site, axe_source, site_page, "desktop")
    dark = view(browser, site_server, built_site, axe_source, site_page, "desktop-dark")
    return {**light, "load": light["load"] + [f"(dark) {p}" for p in dark["load"]]}


def test_page_loads_cleanly(audit, site_page):
    """The page loads with no console error, no failed local request and no off-machine request."""
    assert not audit["load"], "\n".join(audit["load"])


def test_math_is_rendered(audit, site_page):
    """MathJax rendered every math element and no raw $$ or TeX command is visible."""
    assert not audit["math"], "\n".join(audit["math"])


def test_internal_links_resolve(audit, site_page):
    """Every internal link's file exists and every #anchor names an existing id."""
    assert not audit["links"], "\n".join(audit["links"])


def test_images_have_alt_text(audit, site_page):
    """Every image on the page has non-empty alt text."""
    assert not audit["images"], "\n".join(audit["images"])


def test_no_critical_accessibility_violations(audit, site_page):
    """axe-core reports no critical accessibility violation."""
    assert not audit["axe"], "\n".join(audit["axe"])


def test_colab_badges_point_at_existing_notebooks(audit, site_page):
    """Each Colab badge opens a notebook that exists in the repo; every chapter has one."""
    assert not audit["badges"], "\n".join(audit["badges"])


def test_glossary_hover_shows_definition(audit, site_page):
    """Hovering each (of up to three) glossary-term links shows a tooltip with its definition."""
    assert not audit["glossary"], "\n".join(audit["glossary"])


def test_dials_move(audit, site_page):
    """Moving each kernel-free dial's slider changes its shown number and its figure."""
    assert not audit["dials"], "\n".join(audit["dials"])


def test_screenshots_written(audit, site_page):
    """A light and a dark full-page screenshot of the page were written."""
    for mode in ("light", "dark"):
        shot = screenshot_path(site_page, mode)
        assert shot.is_file() and shot.stat().st_size > 1000, f"missing screenshot {shot}"


def _views_until(browser, site_server, done) -> list[dict]:
    """Each page's glossary-term links and dial names, until ``done(results so far)``.

    Pages this process has already audited come first, from the cache; the others are opened
    (desktop, light) only for these two lookups, and only while the claim is still open.
    """
    pages = site_pages()
    cached = [VIEWS[(rel, "desktop")] for rel in pages if (rel, "desktop") in VIEWS]
    seen = list(cached)
    if done(seen):
        return seen
    for rel in pages:
        if (rel, "desktop") in VIEWS:
            continue
        context = browser.new_context(viewport=checks.DESKTOP)
        try:
            page = context.new_page()
            checks.load_page(page, f"{site_server.url}/{rel}")
            seen.append(
                {
                    "term_links": checks.glossary_term_links(page),
                    "dial_names": page.eval_on_selector_all(
                        ".ptc-dial", "els => els.map(e => e.getAttribute('data-dial'))"
                    ),
                }
            )
        finally:
            context.close()
        if done(seen):
            break
    return seen


def test_chapters_link_glossary_terms(browser, site_server, built_site, axe_source):
    """The site uses {term} links to the glossary (so the hover test above is not vacuous)."""
    audits = _views_until(browser, site_server, lambda v: any(a["term_links"] for a in v))
    linked = [a for a in audits if a["term_links"]]
    assert linked, "no page links a glossary term with {term}"


def test_site_has_the_three_dials(browser, site_server, built_site, axe_source):
    """The temperature, beta and estimators dials all appear somewhere on the site."""

    def found(audits):
        return {name for a in audits for name in a["dial_names"]}

    audits = _views_until(browser, site_server, lambda v: EXPECTED_DIALS <= found(v))
    assert EXPECTED_DIALS <= found(audits), (
        f"missing dials: {sorted(EXPECTED_DIALS - found(audits))}"
    )


def test_search_finds_glossary_terms(page, site_server, built_site):
    """Searching the site for a glossary term (first and last entry) lists the glossary page."""
    glossary = built_site / GLOSSARY_PAGE
    assert glossary.is_file(), f"no {GLOSSARY_PAGE} in the built site"
    terms = re.findall(r'<dt id="term-[^"]*">(.*?)<', glossary.read_text(encoding="utf8"))
    assert terms, "glossary page has no terms"
    for term in {terms[0].strip(), terms[-1].strip()}:
        problems = checks.check_search(page, site_server.url, term, GLOSSARY_PAGE)
        assert not problems, "\n".join(problems)
