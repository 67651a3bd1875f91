"""The self-check quizzes in a browser (issue 16): every option gives its own feedback, on a phone
(390 px) and on a desktop (1366 px), without a kernel, a network or a sideways scroll.

``check_quiz`` clicks every option of every question (and types the right answer, each typical
mistake and a far-off number into each numeric box) and compares the page's verdict and text with
``quiz.grade`` (press/quiz/). It runs on a page generated from the quiz data, on a broken copy
(feedback swapped, a box wider than a phone) to show it can fail, and on every chapter of the
built site that has a quiz.
"""

from __future__ import annotations

import json
import re

import pytest
import quiz
import site_checks as checks
from site_checks import check_quiz, site_dir
from site_views import quiz_pages, view

pytestmark = pytest.mark.site

VIEWPORTS = {"phone": checks.PHONE, "desktop": checks.DESKTOP}


def _fixture_page(tmp_path, chapter: str, broken: bool) -> str:
    html_text = quiz.show(chapter).html
    if broken:
        # Swap the first question's right/wrong flags and make the box wider than a phone.
        spec = re.search(r"\}\)\((\"[^\"]+\"), (\[.*\])\);</script>", html_text, re.S)
        data = json.loads(spec.group(2))
        first = next(q for q in data if q["kind"] == "choice")
        first["correct"] = [not c for c in first["correct"]]
        html_text = html_text.replace(spec.group(2), json.dumps(data))
        html_text = html_text.replace("max-width:720px", "width:900px;max-width:none")
    (tmp_path / "quiz.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>quiz {chapter}</title></head><body><main>{html_text}</main></body></html>",
        encoding="utf-8",
    )
    return "quiz.html"


def _open(browser, server, rel, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    load = checks.load_page(page, f"{server.url}/{rel}")
    return context, page, load


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_quiz_check_passes_the_generated_page(browser, tmp_path, viewport):
    """On the page generated from the data, every option gets its own, right feedback."""
    rel = _fixture_page(tmp_path, "03", broken=False)
    server = checks.LocalServer(tmp_path)
    context, page, load = _open(browser, server, rel, VIEWPORTS[viewport])
    try:
        assert load.problems() == []
        assert check_quiz(page, "03") == []
    finally:
        context.close()
        server.close()


def test_quiz_check_fails_on_a_broken_page(browser, tmp_path):
    """Swapped feedback and a box wider than a phone are both reported."""
    rel = _fixture_page(tmp_path, "03", broken=True)
    server = checks.LocalServer(tmp_path)
    context, page, _ = _open(browser, server, rel, checks.PHONE)
    try:
        problems = check_quiz(page, "03")
    finally:
        context.close()
        server.close()
    assert any("does not fit" in p for p in problems), problems
    assert any("q1 option" in p or "option 1" in p for p in problems), problems


_QUIZ_PAGES = quiz_pages(site_dir()) or [("(no chapter page with a quiz in the built site)", "")]


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize(("rel", "chapter"), _QUIZ_PAGES, ids=[rel for rel, _ in _QUIZ_PAGES])
def test_quiz_on_every_chapter_of_the_built_site(
    browser, built_site, site_server, axe_source, rel, chapter, viewport
):
    """Every chapter with a quiz ends with it, and every option's feedback is right, on a phone
    and on a desktop (one test per chapter and width, on the chapter's shared load)."""
    assert chapter, rel
    seen = view(browser, site_server, built_site, axe_source, rel, viewport)
    problems = [f"{rel}: {p}" for p in seen["load"] + seen["quiz"]]
    assert problems == []


def test_quiz_has_no_serious_accessibility_violations(browser, tmp_path, axe_source):
    """axe-core finds no critical or serious violation in a quiz (labels, legends, contrast)."""
    rel = _fixture_page(tmp_path, "06", broken=False)
    server = checks.LocalServer(tmp_path)
    context, page, _ = _open(browser, server, rel, checks.DESKTOP)
    try:
        page.locator("fieldset.ptc-quiz-q label.ptc-quiz-option").first.click()  # feedback shown
        problems = checks.check_axe(page, axe_source, impacts=("critical", "serious"))
    finally:
        context.close()
        server.close()
    assert problems == []
