"""Each browser check fails on a page made to break it and passes on a good twin (issue 7).

The fixture pages live in ``tests/site/fixtures/``; they are served from a temporary folder that
also links in MathJax, Popper and tippy from ``node_modules/`` (``make vendor`` runs ``npm ci``),
so the good pages use the same assets as the site, with no network.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import site_checks as checks
from site_checks import REPO_ROOT, LocalServer

pytestmark = pytest.mark.site

FIXTURES = Path(__file__).parent / "fixtures"
NODE = REPO_ROOT / "node_modules"
REPO_URL, BRANCH = "https://github.com/ptcourse/ptcourse", "main"


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory):
    """The fixture pages plus the npm assets they load, served on localhost."""
    assets = {
        "mathjax": NODE / "mathjax" / "es5",
        "vendor/popper.min.js": NODE / "@popperjs" / "core" / "dist" / "umd" / "popper.min.js",
        "vendor/tippy-bundle.umd.min.js": NODE / "tippy.js" / "dist" / "tippy-bundle.umd.min.js",
    }
    missing = [str(p) for p in assets.values() if not p.exists()]
    if missing:
        pytest.fail(f"npm assets missing ({', '.join(missing)}); run `make vendor` (npm ci)")
    root = tmp_path_factory.mktemp("fixture_site")
    shutil.copytree(FIXTURES, root, dirs_exist_ok=True)
    for name, source in assets.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(source)
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
    """Math typeset by the npm MathJax leaves no raw TeX and has MathJax output."""
    load = _open(page, fixture_site, "math_good.html")
    assert load.problems() == []
    assert page.locator("mjx-container").count() == 2
    assert checks.check_math(page) == []


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
