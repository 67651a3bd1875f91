"""Issue 29, quizzes and glossary tips: quiz math is rendered math, a quiz question is compact on a
phone, a tap on a glossary term shows its definition, and a desktop tip stays in the column.

Each check runs on a good page and on a broken twin: the quiz without its math pre-rendered (the
raw TeX a reader saw) and with the quiz's phone style before the fix; a built chapter with the
glossary-tip part of ``_static/ptc-site.js`` cut out (served in its place), so a tap navigates and
tips take the theme's placement. Then the quiz checks run on every built chapter with a quiz.
"""

from __future__ import annotations

import re
import sys

import pytest
import quiz
import site_checks as checks
from site_checks import REPO_ROOT, site_dir
from site_views import quiz_pages

pytestmark = pytest.mark.site

sys.path.insert(0, str(REPO_ROOT / "_ext"))
import prerender_math  # noqa: E402

# The tallest multiple-choice question of a quiz on a 390x844 phone, before an answer is picked,
# in CSS px: 36% of the screen. Before the fix the built chapters' questions were 290-503 px tall
# (median 352); after it 166-293 px (median 186).
MAX_QUESTION_PX = 300
# What the site's theme does to a quiz on a phone (Bootstrap 5's legend, a 358 px column), so the
# fixture measures what the built chapter shows.
THEME_STYLE = (
    "<style>body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}"
    "main{max-width:358px} legend{float:left;width:100%;padding:0;margin-bottom:.5rem;"
    "font-size:calc(1.275rem + .3vw);line-height:inherit} legend+*{clear:left}</style>"
)
# The quiz's phone style before the fix (its broken twin).
OLD_PHONE_STYLE = (
    "<style>div.ptc-quiz legend{float:left!important;width:100%!important;margin:0 0 .5rem!important;"
    "font-size:calc(1.275rem + .3vw)!important}"
    "div.ptc-quiz{padding:.6em .9em!important;font-size:.95rem!important;"
    "line-height:1.45!important} div.ptc-quiz label.ptc-quiz-option{margin:.25em 0!important;"
    "padding:.2em .3em!important;display:block!important} div.ptc-quiz fieldset.ptc-quiz-q"
    "{margin:.6em 0 0!important;padding:.5em 0 0!important} div.ptc-quiz p.ptc-quiz-feedback"
    "{margin:.4em 0 0!important;min-height:1.2em!important}</style>"
)
TERM_SECTION = re.compile(r"// -- glossary tips --.*?// -- end of glossary tips --", re.S)
TERM_PAGE = "book/03_kl_divergence.html"


def _quiz_page(tmp_path, chapter: str, *, prerender: bool, old_style: bool = False) -> str:
    body = THEME_STYLE + quiz.show(chapter).html + (OLD_PHONE_STYLE if old_style else "")
    (tmp_path / "quiz.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<link rel='stylesheet' href='_static/{prerender_math.STYLESHEET}'>"
        f"<title>quiz {chapter}</title></head><body><main>{body}</main></body></html>",
        encoding="utf-8",
    )
    if prerender:
        count, failures = prerender_math.prerender_site(tmp_path)
        assert count and failures == []
    return "quiz.html"


def _open(browser, url, viewport, **kw):
    context = browser.new_context(viewport=viewport, **kw)
    page = context.new_page()
    checks.load_page(page, url)
    return context, page


@pytest.mark.parametrize("broken", [False, True], ids=["good", "broken"])
def test_quiz_math_check_on_fixtures(browser, tmp_path, broken):
    rel = _quiz_page(tmp_path, "03", prerender=not broken)
    server = checks.LocalServer(tmp_path)
    context, page = _open(browser, f"{server.url}/{rel}", checks.PHONE)
    try:
        problems = checks.check_quiz_math(page)
    finally:
        context.close()
        server.close()
    if broken:
        assert any("plain-text math" in p for p in problems), problems
        assert any("0 rendered formulas" in p for p in problems), problems
    else:
        assert problems == []


@pytest.mark.parametrize("broken", [False, True], ids=["good", "broken"])
def test_quiz_question_height_on_a_phone(browser, tmp_path, broken):
    rel = _quiz_page(tmp_path, "03", prerender=True, old_style=broken)
    server = checks.LocalServer(tmp_path)
    context, page = _open(browser, f"{server.url}/{rel}", checks.PHONE)
    try:
        tallest = max(checks.quiz_question_heights(page))
    finally:
        context.close()
        server.close()
    assert (tallest > MAX_QUESTION_PX) == broken, tallest


_QUIZ_PAGES = quiz_pages(site_dir()) or [("(no chapter page with a quiz in the built site)", "")]


@pytest.mark.parametrize(("rel", "chapter"), _QUIZ_PAGES, ids=[rel for rel, _ in _QUIZ_PAGES])
def test_built_quiz_math_and_phone_height(browser, site_server, rel, chapter):
    assert chapter, rel
    context, page = _open(browser, f"{site_server.url}/{rel}", checks.PHONE)
    try:
        heights = checks.quiz_question_heights(page)  # before the math check picks answers
        problems = checks.check_quiz_math(page)
    finally:
        context.close()
    problems += [f"a question {h:.0f} px tall" for h in heights if h > MAX_QUESTION_PX]
    assert problems == []


def _cut_tips(route):
    """Serve ptc-site.js without its glossary-tip part (the broken twin). Its pages are opened
    with ``page.goto``: ``checks.load_page``'s own route would take precedence over this one."""
    text = (REPO_ROOT / "_static" / "ptc-site.js").read_text(encoding="utf8")
    route.fulfill(body=TERM_SECTION.sub("", text), content_type="text/javascript")


@pytest.mark.parametrize("broken", [False, True], ids=["good", "broken"])
def test_a_tap_on_a_term_shows_its_definition(browser, site_server, broken):
    context = browser.new_context(viewport=checks.PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    if broken:
        page.route("**/_static/ptc-site.js*", _cut_tips)
    try:
        page.goto(f"{site_server.url}/{TERM_PAGE}", wait_until="load")
        hrefs = checks.glossary_term_links(page, limit=2)
        assert hrefs
        problems = [p for href in hrefs[:1] for p in checks.check_term_tap(page, href)]
    finally:
        context.close()
    if broken:
        assert any("left the page" in p for p in problems), problems
    else:
        assert problems == []


@pytest.mark.parametrize("broken", [False, True], ids=["good", "broken"])
def test_desktop_tips_stay_in_the_column(browser, site_server, broken):
    context = browser.new_context(viewport=checks.DESKTOP)
    page = context.new_page()
    if broken:
        page.route("**/_static/ptc-site.js*", _cut_tips)
    try:
        page.goto(f"{site_server.url}/{TERM_PAGE}", wait_until="load")
        problems = checks.check_tips_in_column(page)
    finally:
        context.close()
    if broken:
        assert any("past the column's right edge" in p for p in problems), problems
    else:
        assert problems == []
