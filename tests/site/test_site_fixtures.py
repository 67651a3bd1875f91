"""Each browser check fails on a page made to break it and passes on a good twin (issue 7).

The fixture pages live in ``tests/site/fixtures/``; they are served from a temporary folder that
also links in MathJax, Popper and tippy from ``node_modules/`` (``make vendor`` runs ``npm ci``),
so the good pages use the same assets as the site, with no network.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import site_checks as checks
import sphinx_togglebutton
from site_checks import REPO_ROOT, LocalServer

sys.path.insert(0, str(REPO_ROOT / "_ext"))
import prerender_math  # noqa: E402

pytestmark = pytest.mark.site

FIXTURES = Path(__file__).parent / "fixtures"
NODE = REPO_ROOT / "node_modules"
TOGGLEBUTTON = Path(sphinx_togglebutton.__file__).parent / "_static"
REPO_URL, BRANCH = "https://github.com/ptcourse/ptcourse", "main"
# MathJax 4 typesetting in the browser (the site's configuration before math was pre-rendered).
RUNTIME_MATHJAX = {
    "loader": {
        "load": [
            "core",
            "input/tex-base",
            "[tex]/ams",
            "[tex]/autoload",
            "[tex]/require",
            "[tex]/configmacros",
            "[tex]/noundefined",
            "output/chtml",
            "a11y/assistive-mml",
        ],
        "paths": {"fonts": "[mathjax]/fonts"},
    },
    "tex": {"packages": ["base", "ams", "autoload", "require", "configmacros", "noundefined"]},
    "output": {
        "font": "mathjax-tex",
        "displayOverflow": "linebreak",
        "linebreaks": {"inline": True, "width": "100%"},
    },
    "options": {"processHtmlClass": "math"},
}


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory):
    """The fixture pages plus the npm assets they load, served on localhost."""
    assets = {
        "vendor/mathjax": REPO_ROOT / "_static" / "vendor" / "mathjax",
        "ptc-site.js": REPO_ROOT / "_static" / "ptc-site.js",
        "ptc-site.css": REPO_ROOT / "_static" / "ptc-site.css",
        "togglebutton.js": TOGGLEBUTTON / "togglebutton.js",
        "togglebutton.css": TOGGLEBUTTON / "togglebutton.css",
        "vendor/popper.min.js": NODE / "@popperjs" / "core" / "dist" / "umd" / "popper.min.js",
        "vendor/tippy-bundle.umd.min.js": NODE / "tippy.js" / "dist" / "tippy-bundle.umd.min.js",
    }
    missing = [str(p) for p in assets.values() if not p.exists()]
    if missing:
        pytest.fail(
            f"assets missing ({', '.join(missing)}); run `make vendor` (npm ci + _static/vendor/)"
        )
    root = tmp_path_factory.mktemp("fixture_site")
    shutil.copytree(FIXTURES, root, dirs_exist_ok=True)
    for name, source in assets.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(source)
    # MathJax typesetting in the browser, as the site did before issue 15 (the broken twins).
    (root / "mathjax-config.js").write_text(f"window.MathJax = {json.dumps(RUNTIME_MATHJAX)};\n")
    # The good math twins: TeX as Sphinx writes it, pre-rendered by the site's own extension.
    pre = root / "prerendered"
    for name in ("ptc-site.js", "ptc-site.css"):
        (pre / "_static" / name).parent.mkdir(parents=True, exist_ok=True)
        (pre / "_static" / name).symlink_to(assets[name])
    (pre / "_static" / "vendor").mkdir()
    (pre / "_static" / "vendor" / "mathjax").symlink_to(assets["vendor/mathjax"])
    count, failures = prerender_math.prerender_site(pre)
    assert count > 0 and not failures, failures
    # 3 MB of script for the page-weight check's broken fixture.
    (root / "heavy.js").write_text("//" + "x" * 3_000_000 + "\n")
    (root / "webfonts").mkdir()
    (root / "webfonts" / "fa-solid-900.woff2").write_bytes(b"wOF2" + bytes(60))
    server = LocalServer(root)
    yield root, server
    server.close()


@pytest.fixture(scope="module")
def fixture_repo(tmp_path_factory):
    """A repository checkout holding one student notebook, notebooks/student/demo.ipynb."""
    repo = tmp_path_factory.mktemp("repo")
    (repo / "notebooks" / "student").mkdir(parents=True)
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (repo / "notebooks" / "student" / "demo.ipynb").write_text(json.dumps(notebook))
    return repo


def _open(page, fixture_site, name):
    root, server = fixture_site
    return checks.load_page(page, f"{server.url}/{name}")


def test_load_check_catches_errors_missing_files_and_cdn(page, fixture_site):
    """A script error, a missing local script and a remote request are all reported."""
    problems = _open(page, fixture_site, "load_broken.html").problems()
    text = "\n".join(problems)
    assert "undefinedFunction" in text
    assert "missing.js" in text
    assert "cdn.example.org" in text


def test_load_check_passes_clean_page(page, fixture_site):
    """A page that loads only existing local files with no script error has no load problem."""
    assert _open(page, fixture_site, "links_good.html").problems() == []


def test_math_check_fails_on_raw_tex(page, fixture_site):
    """Raw $$...$$ with \\frac and no MathJax is reported as raw TeX."""
    _open(page, fixture_site, "math_broken.html")
    problems = checks.check_math(page)
    assert any("raw TeX" in p and "frac" in p for p in problems), problems


def test_math_check_passes_rendered_math(page, fixture_site):
    """Math pre-rendered by _ext/prerender_math.py leaves no raw TeX and has MathJax output."""
    load = _open(page, fixture_site, "prerendered/math_good.html")
    assert load.problems() == []
    assert page.locator("mjx-container").count() == 2
    assert checks.check_math(page) == []


def test_late_math_check_fails_on_math_typeset_in_the_browser(browser, fixture_site):
    """TeX left for MathJax to typeset in the browser shows no math with JavaScript off."""
    problems = checks.check_math_without_js(browser, f"{fixture_site[1].url}/math_late.html")
    assert any("2 formula(s) show no rendered math" in p for p in problems), problems
    assert any("raw TeX" in p for p in problems), problems


def test_late_math_check_passes_pre_rendered_math(browser, fixture_site):
    """Pre-rendered math is all there with JavaScript off, on a phone and a desktop."""
    url = f"{fixture_site[1].url}/prerendered/math_good.html"
    assert checks.check_math_without_js(browser, url, checks.PHONE) == []
    assert checks.check_math_without_js(browser, url, checks.DESKTOP) == []


def test_glossary_order_check_fails_on_two_runs(page, fixture_site):
    """Two glossary lists, each sorted, are reported as two lists and as out of order."""
    _open(page, fixture_site, "glossary_order_broken.html")
    problems = checks.check_glossary_sorted(page)
    assert "the glossary is 2 separate lists, not one" in problems
    assert any("'bandit' comes after 'token'" in p for p in problems), problems


def test_glossary_order_check_passes_one_sorted_list(page, fixture_site):
    """One alphabetical list (an alias such as β not compared) passes."""
    _open(page, fixture_site, "glossary_order_good.html")
    assert checks.check_glossary_sorted(page) == []


def test_math_check_fails_on_equation_wider_than_its_column(page, fixture_site):
    """A rendered display equation wider than its column is reported, with the room it needs."""
    _open(page, fixture_site, "math_wide.html")
    problems = checks.check_math(page)
    assert any("display equation" in p and "column" in p for p in problems), problems


def test_link_check_fails_on_broken_link_and_anchor(page, fixture_site):
    """A link to a missing page and an anchor to a missing id are both reported."""
    _open(page, fixture_site, "links_broken.html")
    problems = checks.check_links(page, fixture_site[0])
    assert any("missing.html" in p and "does not exist" in p for p in problems), problems
    assert any("nowhere" in p and "anchor" in p for p in problems), problems


def test_link_check_passes_good_links(page, fixture_site):
    """Links to existing pages, ids on other pages, ids on this page and folders pass."""
    _open(page, fixture_site, "links_good.html")
    assert checks.check_links(page, fixture_site[0]) == []


def test_image_check_fails_without_alt(page, fixture_site):
    """An <img> with no alt attribute is reported."""
    _open(page, fixture_site, "images_broken.html")
    problems = checks.check_images(page)
    assert len(problems) == 1 and "pixel.svg" in problems[0], problems


def test_image_check_passes_with_alt(page, fixture_site):
    """An <img> with alt and an SVG with aria-label pass; an aria-hidden icon is skipped."""
    _open(page, fixture_site, "images_good.html")
    assert checks.check_images(page) == []


def test_axe_check_fails_on_critical_violation(page, fixture_site, axe_source):
    """axe-core reports the image without alt text as a critical violation (image-alt)."""
    _open(page, fixture_site, "images_broken.html")
    problems = checks.check_axe(page, axe_source)
    assert any("image-alt" in p for p in problems), problems


def test_axe_check_passes_good_page(page, fixture_site, axe_source):
    """axe-core finds no critical violation on the page whose images have alt text."""
    _open(page, fixture_site, "images_good.html")
    assert checks.check_axe(page, axe_source) == []


def test_badge_check_fails_on_missing_notebook(page, fixture_site, fixture_repo):
    """A Colab badge naming a notebook the repository does not hold is reported."""
    _open(page, fixture_site, "badge_broken.html")
    problems = checks.check_colab_badges(page, fixture_repo, REPO_URL, BRANCH)
    assert any("nowhere.ipynb does not exist" in p for p in problems), problems


def test_badge_check_fails_on_wrong_repository(page, fixture_site, fixture_repo):
    """A badge built from another repository URL than _config.yml's is reported."""
    _open(page, fixture_site, "badge_good.html")
    problems = checks.check_colab_badges(
        page, fixture_repo, "https://github.com/other/repo", "main"
    )
    assert any("does not start with" in p for p in problems), problems


def test_badge_check_requires_badge_on_chapters(page, fixture_site, fixture_repo):
    """A chapter page without any badge is reported when a badge is required."""
    _open(page, fixture_site, "links_good.html")
    problems = checks.check_colab_badges(page, fixture_repo, REPO_URL, BRANCH, required=True)
    assert problems == ["chapter page has no Colab badge"]


def test_badge_check_passes_existing_notebook(page, fixture_site, fixture_repo):
    """A badge naming an existing notebook of the configured repository passes."""
    _open(page, fixture_site, "badge_good.html")
    assert checks.check_colab_badges(page, fixture_repo, REPO_URL, BRANCH, required=True) == []


def test_glossary_check_fails_without_tooltip(page, fixture_site):
    """Hovering a term link that has no tooltip is reported."""
    _open(page, fixture_site, "glossary_broken.html")
    href = "glossary_target.html#term-softmax"
    assert checks.glossary_term_links(page) == [href]
    problems = checks.check_glossary_hover(page, href, timeout_ms=1000)
    assert any("no tooltip" in p for p in problems), problems


def test_glossary_check_passes_with_definition_tooltip(page, fixture_site):
    """Hovering a term link with a sphinx-tippy-style tooltip (dt + dd) passes."""
    load = _open(page, fixture_site, "glossary_good.html")
    assert load.problems() == []
    assert checks.check_glossary_hover(page, "glossary_target.html#term-softmax") == []


def test_dial_check_fails_on_dead_dial(page, fixture_site):
    """A dial whose slider changes neither number nor figure is reported for both."""
    _open(page, fixture_site, "dial_broken.html")
    problems = checks.check_dials(page, timeout_ms=500)
    assert any("shown number stayed" in p for p in problems), problems
    assert any("figure did not change" in p for p in problems), problems


def test_dial_check_passes_live_dial(page, fixture_site):
    """A dial whose script updates number and figure on input passes."""
    _open(page, fixture_site, "dial_good.html")
    assert checks.check_dials(page) == []


def test_glossary_check_fails_on_raw_tex_in_tooltip(page, fixture_site):
    """A tooltip whose definition shows untypeset TeX is reported."""
    _open(page, fixture_site, "glossary_rawtex.html")
    problems = checks.check_glossary_hover(page, "glossary_target.html#term-softmax")
    assert any("raw TeX" in p for p in problems), problems


def _open_at(browser, fixture_site, name, viewport):
    """A fresh context at ``viewport`` showing fixture ``name`` (closed by the caller)."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    load = checks.load_page(page, f"{fixture_site[1].url}/{name}")
    return context, page, load


@pytest.mark.parametrize("viewport", [checks.PHONE, checks.DESKTOP], ids=["phone", "desktop"])
def test_toggle_check_fails_when_only_a_hidden_button_has_the_handler(
    browser, fixture_site, viewport
):
    """A visible menu button whose click reaches no handler (theme wired the hidden one) is reported."""
    context, page, _ = _open_at(browser, fixture_site, "nav_broken.html", viewport)
    try:
        problems = checks.check_sidebar_toggle(page, "primary", timeout_ms=800)
    finally:
        context.close()
    assert any("opened no drawer" in p for p in problems), problems


@pytest.mark.parametrize("viewport", [checks.PHONE, checks.DESKTOP], ids=["phone", "desktop"])
def test_toggle_check_passes_with_the_site_fix(browser, fixture_site, viewport):
    """With _static/ptc-site.js the visible menu button opens the drawer the hidden one owns."""
    context, page, load = _open_at(browser, fixture_site, "nav_good.html", viewport)
    try:
        assert load.problems() == []
        assert checks.check_sidebar_toggle(page, "primary") == []
    finally:
        context.close()


def test_toggle_check_rejects_unknown_kind(page, fixture_site):
    """A sidebar kind other than primary/secondary is refused, naming the argument."""
    _open(page, fixture_site, "nav_good.html")
    with pytest.raises(ValueError, match="kind"):
        checks.check_sidebar_toggle(page, "tertiary")


def test_equation_check_fails_on_unbroken_equations_at_phone_width(browser, fixture_site):
    """Long display equations left unbroken at 390 px exceed the one-in-ten share, with no cue."""
    context, page, _ = _open_at(browser, fixture_site, "math_phone_broken.html", checks.PHONE)
    try:
        problems = checks.check_equations_fit(page)
    finally:
        context.close()
    assert any("need a sideways scroll" in p for p in problems), problems
    assert any("no visible cue" in p for p in problems), problems


def test_equation_check_passes_with_the_site_prerendered_math(browser, fixture_site):
    """Math pre-rendered by the site's extension (phone line breaks) fits at 390 px."""
    context, page, load = _open_at(
        browser, fixture_site, "prerendered/math_phone_good.html", checks.PHONE
    )
    try:
        assert load.problems() == []
        shown = page.locator('mjx-container[display="true"]:visible')
        assert shown.count() == 10
        assert checks.check_equations_fit(page) == []
    finally:
        context.close()


def test_weight_check_fails_on_heavy_page(browser, fixture_site):
    """A page that downloads 3 MB of script is reported over the 2.5 MB budget."""
    problems = checks.check_page_weight(browser, f"{fixture_site[1].url}/weight_broken.html")
    assert any("heavy.js" in p and "MB >" in p for p in problems), problems


def test_weight_check_fails_on_mathjax_script_and_icon_webfont(browser, fixture_site):
    """A light page that still loads MathJax's JavaScript and Font Awesome's font is reported."""
    problems = checks.check_page_weight(browser, f"{fixture_site[1].url}/weight_needless.html")
    assert any("MathJax JavaScript" in p and "startup.js" in p for p in problems), problems
    assert any("Font Awesome webfont" in p for p in problems), problems


def test_weight_check_passes_light_page(browser, fixture_site):
    """A small page is within the budget, and its weight counts the page's own bytes."""
    url = f"{fixture_site[1].url}/links_good.html"
    total, sizes = checks.page_weight(browser, url)
    assert sizes[url] == (fixture_site[0] / "links_good.html").stat().st_size
    assert total == sum(sizes.values())
    assert checks.check_page_weight(browser, url) == []


def test_solution_check_fails_when_title_link_scrolls_away(page, fixture_site):
    """A solution whose title link jumps to the exercise and opens nothing is reported."""
    _open(page, fixture_site, "solution_broken.html")
    problems = checks.check_solution_title_opens(page)
    assert any("did not open the solution" in p for p in problems), problems
    assert any("scrolled the page" in p for p in problems), problems


def test_solution_check_passes_with_the_site_fix(page, fixture_site):
    """With _static/ptc-site.js the title link opens the solution in place."""
    load = _open(page, fixture_site, "solution_good.html")
    assert load.problems() == []
    assert checks.check_solution_title_opens(page) == []


def test_wrap_and_print_checks_fail_without_the_site_css(browser, fixture_site):
    """A long output line scrolls at 390 px, and print cuts code and shows the toggle bar."""
    context, page, _ = _open_at(browser, fixture_site, "wrap_broken.html", checks.PHONE)
    try:
        wrap = checks.check_outputs_wrap(page)
        printed = checks.check_print(page)
        favicon = checks.check_favicon(page)
    finally:
        context.close()
    assert any("step 100" in p for p in wrap), wrap
    assert any("cut at the margin" in p for p in printed), printed
    assert any("Show code cell source" in p for p in printed), printed
    assert favicon == ["no favicon (<link rel='icon'>)"]


def test_wrap_and_print_checks_pass_with_the_site_css(browser, fixture_site):
    """With _static/ptc-site.css outputs wrap, print wraps code and hides the bars."""
    context, page, load = _open_at(browser, fixture_site, "wrap_good.html", checks.PHONE)
    try:
        assert load.problems() == []
        assert checks.check_outputs_wrap(page) == []
        assert checks.check_print(page) == []
        assert checks.check_favicon(page) == []
    finally:
        context.close()


def test_search_snippet_check_fails_on_menu_text_and_raw_tex(page, fixture_site):
    """Snippets made of the download menu ("....md") or TeX source are both reported."""
    _open(page, fixture_site, "search_broken.html")
    problems = checks.check_search_snippets(page)
    assert any("download menu" in p for p in problems), problems
    assert any("raw TeX" in p for p in problems), problems


def test_search_snippet_check_passes_prose_snippets(page, fixture_site):
    """Snippets of plain prose (a formula shown as …) pass."""
    _open(page, fixture_site, "search_good.html")
    assert checks.check_search_snippets(page) == []


def test_references_check_fails_on_numbered_entries_without_backlinks(page, fixture_site):
    """A numbered entry [1] with no link back to its citation is reported twice over."""
    _open(page, fixture_site, "references_broken.html")
    problems = checks.check_references(page)
    assert any("numbered entry [1]" in p for p in problems), problems
    assert any("no link back" in p for p in problems), problems


def test_references_check_passes_author_year_with_backlink(page, fixture_site):
    """An author-year entry with a "Cited in" link passes."""
    _open(page, fixture_site, "references_good.html")
    assert checks.check_references(page) == []


def test_icon_check_fails_on_undrawn_and_hidden_icons(page, fixture_site):
    """An <i> left undrawn and a colour switch whose icon lost the attribute its CSS needs fail."""
    _open(page, fixture_site, "icons_broken.html")
    problems = checks.check_icons_drawn(page)
    assert any("fa-magnifying-glass" in p for p in problems), problems
    assert any("'Color mode'" in p for p in problems), problems


def test_icon_check_passes_drawn_icons(page, fixture_site):
    """Header buttons that each show a drawn SVG icon pass."""
    _open(page, fixture_site, "icons_good.html")
    assert checks.check_icons_drawn(page) == []
