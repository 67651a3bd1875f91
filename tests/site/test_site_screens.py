"""The built site on a phone and on a desktop (issue 15): navigation, equations, weight, icons.

Each chapter is opened at 390x844 (phone) and 1366x900 (desktop), light and dark, once each, by
``site_views.view`` (which runs every check below on that load, the clicking ones last); the claims
are the ones issue 15 found broken, one test each. Each check is shown failing on a broken fixture
in ``test_site_fixtures.py``.
"""

from __future__ import annotations

import pytest
import site_checks as checks
from site_views import chapter_pages, view

pytestmark = pytest.mark.site


def _open(browser, server, rel, viewport, dark=False):
    context = browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light")
    page = context.new_page()
    load = checks.load_page(page, f"{server.url}/{rel}", dark=dark)
    return context, page, load


@pytest.fixture()
def views(browser, site_server, built_site, axe_source):
    """``views(rel, kind)``: the cached checks of chapter ``rel`` in view ``kind``."""
    return lambda rel, kind: view(browser, site_server, built_site, axe_source, rel, kind)


@pytest.mark.parametrize("rel", chapter_pages())
@pytest.mark.parametrize("kind", ["primary", "secondary"])
def test_phone_header_buttons_open_their_drawers(views, rel, kind):
    """At 390 px the visible menu and contents buttons each open their drawer."""
    phone = views(rel, "phone")
    assert not phone["load"], phone["load"]
    problems = phone[f"toggle_{kind}"]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("rel", chapter_pages())
def test_desktop_sidebar_toggle_collapses_the_sidebar(views, rel):
    """At 1366 px the visible primary-sidebar button collapses (and restores) the sidebar."""
    problems = views(rel, "desktop")["toggle_primary"]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("rel", chapter_pages())
def test_display_equations_fit_a_phone(views, rel, dark):
    """At 390 px at most one display equation in ten scrolls sideways, and each that does shows it."""
    problems = views(rel, "phone-dark" if dark else "phone")["equations"]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("rel", chapter_pages())
def test_chapter_first_visit_weight(views, rel):
    """A chapter's first visit downloads at most 2.5 MB (every request, uncompressed)."""
    problems = views(rel, "desktop")["weight"]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("rel", chapter_pages())
def test_every_icon_is_drawn(views, rel, viewport):
    """Every theme icon is drawn as SVG although Font Awesome's 1.5 MB script is not loaded."""
    seen = views(rel, viewport)
    assert seen["fa_svgs"] >= 5, seen["fa_svgs"]
    assert not [s for s in seen["scripts"] if "fontawesome" in s], seen["scripts"]
    assert not seen["icons"], "\n".join(seen["icons"])


@pytest.mark.parametrize("rel", chapter_pages())
def test_solution_title_opens_the_solution(views, rel):
    """Clicking the underlined part of a solution's title opens it, in place."""
    problems = views(rel, "desktop")["solution"]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("rel", chapter_pages())
def test_outputs_wrap_on_a_phone_and_print_cleanly(views, rel):
    """At 390 px no cell output scrolls sideways; printed, code wraps and no toggle bar shows."""
    phone = views(rel, "phone")
    problems = phone["wrap"] + phone["print"] + phone["favicon"]
    assert not problems, "\n".join(problems)


def test_references_are_author_year_with_backlinks(page, site_server, built_site):
    """The references page labels entries author-year and links each back to its citations."""
    checks.load_page(page, f"{site_server.url}/book/references.html")
    assert page.locator("div.citation").count() >= 5
    problems = checks.check_references(page)
    assert not problems, "\n".join(problems)
    assert checks.check_links(page, built_site) == []


def test_search_snippets_are_prose(page, site_server, built_site):
    """Searching for "KL" lists results whose snippets hold no download menu and no raw TeX."""
    assert checks.check_search(page, site_server.url, "KL", "book/03_kl_divergence.html") == []
    assert page.locator("#search-results p.context").count() >= 1
    problems = checks.check_search_snippets(page)
    assert not problems, "\n".join(problems)


def test_search_works_from_disk(page, built_site):
    """Opened as file:// (the offline bundle), search lists the glossary, with no console error."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    base = built_site.resolve().as_uri()
    problems = checks.check_search(page, base, "entropy", "book/glossary.html")
    assert not problems, "\n".join(problems)
    assert not errors, "\n".join(errors)


def test_general_index_has_no_greek_section(page, site_server, built_site):
    """The general index files every entry under a Latin letter (or Symbols): no Greek section."""
    checks.load_page(page, f"{site_server.url}/genindex.html")
    letters = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent.trim())")
    assert letters, "the general index has no letter sections"
    greek = [x for x in letters if len(x) == 1 and "\u0370" <= x <= "\u03ff"]
    assert not greek, f"Greek sections in the general index: {greek} (all: {letters})"


@pytest.mark.parametrize("rel", chapter_pages()[-1:])
def test_page_contents_highlight_the_current_section(browser, site_server, built_site, rel):
    """At 1366 px, scrolling to a section highlights its entry in the right-hand contents."""
    context, page, _ = _open(browser, site_server, rel, checks.DESKTOP)
    try:
        hrefs = page.eval_on_selector_all(
            "#pst-page-toc-nav a", "els => els.map(e => e.getAttribute('href'))"
        )
        assert len(hrefs) >= 3, hrefs
        target = hrefs[len(hrefs) // 2]
        page.locator(f"[id='{target[1:]}']").first.scroll_into_view_if_needed()
        page.evaluate(f"() => document.getElementById('{target[1:]}').scrollIntoView()")
        page.wait_for_timeout(800)
        active = page.eval_on_selector_all(
            "#pst-page-toc-nav a.active", "els => els.map(e => e.getAttribute('href'))"
        )
        weight = page.eval_on_selector(
            f"#pst-page-toc-nav a[href='{target}']", "a => getComputedStyle(a).fontWeight"
        )
    finally:
        context.close()
    assert active == [target] or target in active, f"scrolled to {target}, highlighted {active}"
    assert int(weight) >= 600, f"the highlighted entry is not set apart (font-weight {weight})"


@pytest.mark.parametrize("rel", chapter_pages())
def test_math_is_readable_without_javascript(browser, site_server, built_site, rel):
    """Every formula of a chapter arrives rendered (no MathJax needed): readable on first paint.

    The time this saves on a slow link is a benchmark, not a test (benchmarks/site_bench.py).
    """
    problems = checks.check_math_without_js(browser, f"{site_server.url}/{rel}", checks.PHONE)
    assert not problems, "\n".join(problems[:10])


def test_glossary_is_one_alphabetical_list(page, site_server, built_site):
    """The glossary says its terms are in alphabetical order: one list, in that order."""
    checks.load_page(page, f"{site_server.url}/book/glossary.html")
    problems = checks.check_glossary_sorted(page)
    assert not problems, "\n".join(problems)
