"""The self-check quizzes in a browser (issue 16): every option gives its own feedback, on a phone
(390 px) and on a desktop (1366 px), without a kernel, a network or a sideways scroll.

``check_quiz`` clicks every option of every question (and types the right answer, each typical
mistake and a far-off number into each numeric box) and compares the page's verdict and text with
``ptcourse.course.quiz.grade``. It runs on a page generated from the quiz data, on a broken copy
(feedback swapped, a box wider than a phone) to show it can fail, and on every chapter of the
built site that has a quiz.
"""

from __future__ import annotations

import json
import re

import pytest
import site_checks as checks

from ptcourse.course import quiz

pytestmark = pytest.mark.site

VIEWPORTS = {"phone": checks.PHONE, "desktop": checks.DESKTOP}


def check_quiz(page, chapter: str) -> list[str]:
    """Problems with the quiz of ``chapter`` on the open page (empty when every answer is right)."""
    problems = []
    root = page.locator(f'div.ptc-quiz[data-quiz="{chapter}"]')
    if root.count() != 1:
        return [f"quiz {chapter}: {root.count()} quiz blocks on the page, expected 1"]
    width = page.evaluate("() => document.documentElement.clientWidth")
    box = root.bounding_box()
    if box is None or box["x"] < 0 or box["x"] + box["width"] > width + 1:
        problems.append(f"quiz {chapter}: the quiz box {box} does not fit the {width}px viewport")
    wide = root.evaluate(
        "(r) => [...r.querySelectorAll('fieldset, label, legend, p')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).length"
    )
    if wide:
        problems.append(f"quiz {chapter}: {wide} elements scroll sideways")
    fieldsets = root.locator("fieldset.ptc-quiz-q")
    questions = quiz.displayed(quiz.load(chapter))
    if fieldsets.count() != len(questions):
        return [
            *problems,
            f"quiz {chapter}: {fieldsets.count()} questions, expected {len(questions)}",
        ]

    def verdict(fs, expect_ok: bool, expect_text: str, what: str) -> None:
        fb = fs.locator("p.ptc-quiz-feedback")
        got, text = fb.get_attribute("data-verdict"), fb.inner_text()
        if got != ("correct" if expect_ok else "wrong") or expect_text not in text:
            problems.append(f"quiz {chapter} {what}: page says {got!r} {text!r}")

    for i, q in enumerate(questions):
        fs = fieldsets.nth(i)
        if isinstance(q, quiz.Choice):
            labels = fs.locator("label.ptc-quiz-option")
            for j in range(len(q.options)):
                labels.nth(j).click()
                ok, why = quiz.grade(q, j)
                verdict(fs, ok, why, f"q{i + 1} option {j + 1}")
        else:
            for value in (q.answer, *(m.value for m in q.mistakes), q.answer + 1000):
                fs.locator("input.ptc-quiz-number").fill(repr(value))
                fs.locator("button.ptc-quiz-check").click()
                ok, why = quiz.grade(q, value)
                verdict(fs, ok, why, f"q{i + 1} answer {value}")
    return problems


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


def _quiz_pages(site) -> list[tuple[str, str]]:
    pages = []
    for ch in quiz.chapters():
        found = sorted(site.glob(f"book/{ch}_*.html"))
        if found:
            pages.append((found[0].relative_to(site).as_posix(), ch))
    return pages


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_quiz_on_every_chapter_of_the_built_site(browser, built_site, site_server, viewport):
    """Every chapter with a quiz ends with it, and every option's feedback is right, on a phone
    and on a desktop."""
    pages = _quiz_pages(built_site)
    assert pages, "no chapter page with a quiz in the built site"
    problems = []
    for rel, ch in pages:
        context, page, load = _open(browser, site_server, rel, VIEWPORTS[viewport])
        try:
            problems += [f"{rel}: {p}" for p in load.problems()]
            problems += [f"{rel}: {p}" for p in check_quiz(page, ch)]
        finally:
            context.close()
    assert problems == []


def test_quiz_has_no_serious_accessibility_violations(browser, tmp_path, axe_source):
    """axe-core finds no critical or serious violation in a quiz (labels, legends, contrast)."""
    rel = _fixture_page(tmp_path, "05", broken=False)
    server = checks.LocalServer(tmp_path)
    context, page, _ = _open(browser, server, rel, checks.DESKTOP)
    try:
        page.locator("fieldset.ptc-quiz-q label.ptc-quiz-option").first.click()  # feedback shown
        problems = checks.check_axe(page, axe_source, impacts=("critical", "serious"))
    finally:
        context.close()
        server.close()
    assert problems == []
