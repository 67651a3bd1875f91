"""Browser checks of every page of the built site (issue 7; glossary, badges and dials of issue 5).

Each page is opened once in light mode (all checks, then a screenshot) and once in dark mode
(load checks and a screenshot); the results are cached per page and reported by one test per claim.
Screenshots go to ``_build/screenshots/`` (``PTCOURSE_SCREENSHOT_DIR`` overrides).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import site_checks as checks
import yaml
from site_checks import REPO_ROOT, site_dir

pytestmark = pytest.mark.site

CHAPTER = re.compile(r"^book/\d\d_[^/]+\.html$")
GLOSSARY_PAGE = "book/glossary.html"
EXPECTED_DIALS = {"temperature", "beta", "estimators"}
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}


def _screenshot_dir() -> Path:
    path = Path(os.environ.get("PTCOURSE_SCREENSHOT_DIR", REPO_ROOT / "_build" / "screenshots"))
    return path if path.is_absolute() else REPO_ROOT / path


def site_pages() -> list[str]:
    """The site's HTML pages (relative posix paths), without assets and redirect stubs."""
    root = site_dir()
    pages = []
    for file in sorted(root.rglob("*.html")):
        rel = file.relative_to(root)
        if rel.parts[0] in SKIP_DIRS:
            continue
        head = file.read_text(encoding="utf8", errors="replace")[:2000].lower()
        if 'http-equiv="refresh"' in head:
            continue
        pages.append(rel.as_posix())
    return pages


def pytest_generate_tests(metafunc):
    if "site_page" in metafunc.fixturenames:
        pages = site_pages() or ["(no site built: run make book first)"]
        metafunc.parametrize("site_page", pages)


def _source_root() -> Path:
    """The repository the site was built from (``PTCOURSE_REPO_DIR``, default this checkout)."""
    return Path(os.environ.get("PTCOURSE_REPO_DIR", REPO_ROOT)).resolve()


def _repository() -> tuple[str, str]:
    config = yaml.safe_load((_source_root() / "_config.yml").read_text(encoding="utf8"))
    repo = config["repository"]
    return repo["url"], "v" + re.search(
        r'__version__ = "(.+)"', (_source_root() / "ptcourse/__init__.py").read_text()
    ).group(1)  # badges open the release tag (_ext/colab_badge.py)


_AUDITS: dict[str, dict[str, list[str]]] = {}
_ID_CACHE: dict = {}


def _audit(browser, server, site: Path, axe_source: str, rel: str) -> dict[str, list[str]]:
    """Run every per-page check on ``rel`` once; later calls return the cached result."""
    if rel in _AUDITS:
        return _AUDITS[rel]
    url = f"{server.url}/{rel}"
    shots = _screenshot_dir()
    stem = rel.removesuffix(".html").replace("/", "__")
    result: dict[str, list[str]] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        result["load"] = checks.load_page(page, url).problems()
        result["math"] = checks.check_math(page)
        result["links"] = checks.check_links(page, site, _ID_CACHE)
        result["images"] = checks.check_images(page)
        result["axe"] = checks.check_axe(page, axe_source)
        repo_url, branch = _repository()
        result["badges"] = checks.check_colab_badges(
            page, _source_root(), repo_url, branch, required=bool(CHAPTER.match(rel))
        )
        checks.screenshot(page, shots / f"{stem}.light.png")  # before hovering: no tooltip in it
        result["term_links"] = checks.glossary_term_links(page)
        result["glossary"] = [
            p for href in result["term_links"] for p in checks.check_glossary_hover(page, href)
        ]
        result["dial_names"] = page.eval_on_selector_all(
            ".ptc-dial", "els => els.map(e => e.getAttribute('data-dial'))"
        )
        result["dials"] = checks.check_dials(page)
    finally:
        context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        result["load"] += [f"(dark) {p}" for p in checks.load_page(page, url, dark=True).problems()]
        checks.screenshot(page, shots / f"{stem}.dark.png")
    finally:
        context.close()
    _AUDITS[rel] = result
    return result


@pytest.fixture()
def audit(browser, site_server, built_site, axe_source, site_page):
    """The cached results of all per-page checks for ``site_page``."""
    return _audit(browser, site_server, built_site, axe_source, site_page)


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
    stem = site_page.removesuffix(".html").replace("/", "__")
    for mode in ("light", "dark"):
        shot = _screenshot_dir() / f"{stem}.{mode}.png"
        assert shot.is_file() and shot.stat().st_size > 1000, f"missing screenshot {shot}"


def _all_audits(browser, site_server, built_site, axe_source) -> dict[str, dict]:
    return {rel: _audit(browser, site_server, built_site, axe_source, rel) for rel in site_pages()}


def test_chapters_link_glossary_terms(browser, site_server, built_site, axe_source):
    """The site uses {term} links to the glossary (so the hover test above is not vacuous)."""
    audits = _all_audits(browser, site_server, built_site, axe_source)
    linked = [rel for rel, a in audits.items() if a["term_links"]]
    assert linked, "no page links a glossary term with {term}"


def test_site_has_the_three_dials(browser, site_server, built_site, axe_source):
    """The temperature, beta and estimators dials all appear somewhere on the site."""
    audits = _all_audits(browser, site_server, built_site, axe_source)
    found = {name for a in audits.values() for name in a["dial_names"]}
    assert EXPECTED_DIALS <= found, f"missing dials: {sorted(EXPECTED_DIALS - found)}"


def test_search_finds_glossary_terms(page, site_server, built_site):
    """Searching the site for a glossary term (first and last entry) lists the glossary page."""
    glossary = built_site / GLOSSARY_PAGE
    assert glossary.is_file(), f"no {GLOSSARY_PAGE} in the built site"
    terms = re.findall(r'<dt id="term-[^"]*">(.*?)<', glossary.read_text(encoding="utf8"))
    assert terms, "glossary page has no terms"
    for term in {terms[0].strip(), terms[-1].strip()}:
        problems = checks.check_search(page, site_server.url, term, GLOSSARY_PAGE)
        assert not problems, "\n".join(problems)
