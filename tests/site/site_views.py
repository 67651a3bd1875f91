"""One load per (page, screen): every browser check of a built-site page, run once and cached.

A *view* is a page of the built site opened in a fresh context at one width and colour mode
(``VIEWS``). ``view`` opens it once per test process, runs every check the tests of
``test_site_pages.py``, ``test_site_screens.py``, ``test_site_figures.py`` and
``test_site_quiz.py`` make on it (read-only checks first, then the ones that click, each leaving
the page as it found it, the quiz last) and returns what each check found; each test asserts on
its own entry. ``tests/site/conftest.py`` keeps a page's tests on one xdist worker, so each view
is built once per run. A check that raises is reported by its own test and does not stop the
others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import site_checks as checks
import yaml
from site_checks import REPO_ROOT, site_dir

CHAPTER = re.compile(r"^book/\d\d_[^/]+\.html$")
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}
# The views: viewport, dark colour mode.
KINDS = {
    "desktop": (checks.DESKTOP, False),
    "desktop-dark": (checks.DESKTOP, True),
    "phone": (checks.PHONE, False),
    "phone-dark": (checks.PHONE, True),
}


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


def chapter_pages() -> list[str]:
    """The chapter pages of the built site (``book/NN_*.html``)."""
    return [p for p in site_pages() if CHAPTER.match(p)] or ["(no site built: run make book first)"]


def quiz_pages(site: Path) -> list[tuple[str, str]]:
    """(page, quiz chapter) for every quiz chapter that has a page in the built site."""
    import quiz

    pages = []
    for ch in quiz.chapters():
        found = sorted(Path(site).glob(f"book/{ch}_*.html"))
        if found:
            pages.append((found[0].relative_to(site).as_posix(), ch))
    return pages


def screenshot_dir() -> Path:
    """Where the light and dark screenshots go (``PTCOURSE_SCREENSHOT_DIR``, default _build/)."""
    path = Path(os.environ.get("PTCOURSE_SCREENSHOT_DIR", REPO_ROOT / "_build" / "screenshots"))
    return path if path.is_absolute() else REPO_ROOT / path


def screenshot_path(rel: str, mode: str) -> Path:
    """The ``mode`` (light or dark) screenshot of page ``rel``."""
    return screenshot_dir() / f"{rel.removesuffix('.html').replace('/', '__')}.{mode}.png"


def source_root() -> Path:
    """The repository the site was built from (``PTCOURSE_REPO_DIR``, default this checkout)."""
    return Path(os.environ.get("PTCOURSE_REPO_DIR", REPO_ROOT)).resolve()


def repository() -> tuple[str, str]:
    """The repository URL of _config.yml and the release tag the Colab badges open."""
    config = yaml.safe_load((source_root() / "_config.yml").read_text(encoding="utf8"))
    version = re.search(
        r'__version__ = "(.+)"', (source_root() / "ptcourse/__init__.py").read_text()
    ).group(1)
    return config["repository"]["url"], "v" + version  # badges open the tag (_ext/colab_badge.py)


VIEWS: dict[tuple[str, str], dict] = {}
_ID_CACHE: dict = {}


class _Recorder(dict):
    """A view's results: ``run(name, fn)`` stores ``fn()``'s result, or the exception it raised."""

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.failed: set[str] = set()

    def run(self, name: str, fn: Callable):
        try:
            self[name] = fn()
        except Exception as exc:  # reported by the test that reads ``name``, not by all of them
            self[name] = [f"check raised {type(exc).__name__}: {exc}"]
            self.failed.add(name)
        return self[name]


def _quiz_chapter(site: Path, rel: str) -> str | None:
    return dict(quiz_pages(site)).get(rel) if CHAPTER.match(rel) else None


def _desktop(page, rel, site, axe_source, r: _Recorder) -> None:
    chapter = bool(CHAPTER.match(rel))
    if chapter:  # a fresh context: this load is the chapter's first visit (test_site_screens.py)
        weight = checks.WeightRecorder(page)
    r.run("load", lambda: checks.load_page(page, f"{r.url}/{rel}").problems())
    if chapter:
        r.run("weight", lambda: checks.weight_problems(*weight.stop()))
    r.run("math", lambda: checks.check_math(page))
    r.run("links", lambda: checks.check_links(page, site, _ID_CACHE))
    r.run("images", lambda: checks.check_images(page))
    repo_url, branch = repository()
    r.run(
        "badges",
        lambda: checks.check_colab_badges(page, source_root(), repo_url, branch, required=chapter),
    )
    if chapter:
        _icons(page, r)
        _figures(page, r)
    r.run("axe", lambda: checks.check_axe(page, axe_source))
    r.run("screenshot", lambda: checks.screenshot(page, screenshot_path(rel, "light")))
    # Before any hover, so no tooltip is in the screenshot; the clicking checks come last.
    r.run("term_links", lambda: checks.glossary_term_links(page))
    if "term_links" in r.failed:  # the hover test reports it; no links found
        r["glossary"], r["term_links"] = r["term_links"], []
    else:
        r.run(
            "glossary",
            lambda: [
                p for href in r["term_links"] for p in checks.check_glossary_hover(page, href)
            ],
        )
    r.run(
        "dial_names",
        lambda: page.eval_on_selector_all(
            ".ptc-dial", "els => els.map(e => e.getAttribute('data-dial'))"
        ),
    )
    r.run("dials", lambda: checks.check_dials(page))
    if chapter:
        r.run("toggle_primary", lambda: checks.check_sidebar_toggle(page, "primary"))
        r.run("solution", lambda: checks.check_solution_title_opens(page))
    _quiz(page, site, rel, r)


def _phone(page, rel, site, r: _Recorder) -> None:
    r.run("load", lambda: checks.load_page(page, f"{r.url}/{rel}").problems())
    _icons(page, r)
    r.run("equations", lambda: checks.check_equations_fit(page))
    r.run("wrap", lambda: checks.check_outputs_wrap(page))
    r.run("favicon", lambda: checks.check_favicon(page))
    _figures(page, r)
    r.run("print", lambda: checks.check_print(page))
    for kind in ("primary", "secondary"):
        r.run(f"toggle_{kind}", lambda kind=kind: checks.check_sidebar_toggle(page, kind))
    _quiz(page, site, rel, r)


def _icons(page, r: _Recorder) -> None:
    r.run("fa_svgs", lambda: page.locator("svg.svg-inline--fa").count())
    r.run("scripts", lambda: page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)"))
    r.run("icons", lambda: checks.check_icons_drawn(page))


def _figures(page, r: _Recorder) -> None:
    r.run("sharp", lambda: checks.check_images_sharp(page))
    r.run("figure_text", lambda: checks.check_figure_text(page))
    r.run("figures", lambda: [i["src"] for i in checks.article_images(page) if i["figure"]])


def _quiz(page, site, rel, r: _Recorder) -> None:
    chapter = _quiz_chapter(site, rel)
    if chapter is not None:  # last: it clicks every option
        r.run("quiz", lambda: checks.check_quiz(page, chapter))


def view(browser, server, site: Path, axe_source: str, rel: str, kind: str) -> dict:
    """Every check of page ``rel`` in view ``kind`` (``KINDS``), run on one load; cached."""
    key = (rel, kind)
    if key in VIEWS:
        return VIEWS[key]
    viewport, dark = KINDS[kind]
    r = _Recorder(server.url)
    context = browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light")
    try:
        page = context.new_page()
        if kind == "desktop":
            _desktop(page, rel, site, axe_source, r)
        elif kind == "phone":
            _phone(page, rel, site, r)
        else:
            r.run("load", lambda: checks.load_page(page, f"{r.url}/{rel}", dark=True).problems())
            if kind == "desktop-dark":
                r.run("screenshot", lambda: checks.screenshot(page, screenshot_path(rel, "dark")))
            else:
                r.run("equations", lambda: checks.check_equations_fit(page))
    finally:
        context.close()
    VIEWS[key] = dict(r)
    return VIEWS[key]
