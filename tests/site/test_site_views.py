"""Issue 29: dials and quizzes in dark mode and on a phone, quiz Check with no answer, table cues.

Each check runs on a fixture page built from the generated dial and quiz HTML (a good page, and a
broken twin with the pre-issue-29 style: white panels, 11-unit text, a 16 px slider, red on an
empty Check), then on the built chapters that carry dials and quizzes, light and dark.
"""

from __future__ import annotations

import dial_page
import pytest
import quiz
import site_checks as checks

pytestmark = pytest.mark.site
DARK_VARS = ("--pst-color-background:#14181e;--pst-color-on-background:#1e2229;"
             "--pst-color-text-base:#ced6dd;--pst-color-border:#48566b")  # fmt: skip
CHAPTERS = ["book/01_next_token.html", "book/04_kl_leash.html"]


def _fixture(tmp_path, broken: bool) -> str:
    body = str(dial_page.html_dial("beta")) + quiz.show("03").html
    if broken:  # the style before issue 29
        body = body.replace("var(--pst-color-on-background,#fff)", "#fff")
        body = body.replace("min-height:44px;", "")
        body = body.replace("html[data-theme=dark] div.ptc-quiz{color-scheme:dark}", "")
        body = body.replace("border-radius:8px;color-scheme:light;", "border-radius:8px;")
        body = body.replace("var MIN_PX = 9.5", "var MIN_PX = 0")
        body = body.replace(
            'if (!String(box.value).trim()) { ask(fs, "Type your answer first, e.g. 2.5."); return; }',
            "",
        )
    (tmp_path / "views.html").write_text(
        "<!doctype html><html lang='en' data-theme='dark'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>views</title>"
        f"<style>html{{{DARK_VARS};color-scheme:dark}} body{{background:#14181e;color:#ced6dd}}</style>"
        f"</head><body><main>{body}</main></body></html>",
        encoding="utf-8",
    )
    return "views.html"


@pytest.mark.parametrize("broken", [False, True], ids=["good", "broken"])
def test_view_checks_on_fixtures(browser, tmp_path, broken):
    rel = _fixture(tmp_path, broken)
    server = checks.LocalServer(tmp_path)
    context = browser.new_context(viewport=checks.PHONE)
    page = context.new_page()
    try:
        checks.load_page(page, f"{server.url}/{rel}", dark=True)
        problems = checks.check_views(page) + checks.check_quiz_empty_answer(page)
    finally:
        context.close()
        server.close()
    if broken:
        text = "\n".join(problems)
        for what in ("panel luminance", "colour scheme", " px", "touch target", "says 'wrong'"):
            assert what in text, (what, problems)
    else:
        assert problems == []


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("rel", CHAPTERS)
def test_chapter_dials_quizzes_and_tables_on_a_phone(browser, site_server, rel, dark):
    context = browser.new_context(viewport=checks.PHONE)
    page = context.new_page()
    try:
        checks.load_page(page, f"{site_server.url}/{rel}", dark=dark)
        problems = checks.check_views(page) + checks.check_quiz_empty_answer(page)
    finally:
        context.close()
    assert problems == []
