"""What a learner sees in Jupyter: a rendered student and instructor notebook, as HTML, in Chromium.

One student and one instructor notebook (chapter 3: exercises, equations, citations, glossary links)
are converted to HTML with nbconvert's lab template, as JupyterLab shows them, with MathJax taken from
the site's offline copy (``make vendor``). Each is opened in Chromium at desktop and phone width and
screenshotted to ``_build/notebook-shots/`` (override with ``PTCOURSE_NOTEBOOK_SHOTS``). The page
must show no MyST syntax as text, typeset its math, say what it is at the top, and (student) hold no
solution. nbconvert comes from .venv (when installed there) or from .venv-colab, which
``make colab-check`` creates with Colab's nbconvert.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "03_kl_divergence"
MATHJAX = ROOT / "_static" / "vendor" / "mathjax" / "tex-chtml.js"
SHOTS = Path(os.environ.get("PTCOURSE_NOTEBOOK_SHOTS", ROOT / "_build" / "notebook-shots"))
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
MYST_TEXT = re.compile(r"\{[a-z][\w:-]*\}`|```\{|:::\{|^:(label|class|tags):|\$\$\s*\(eq-", re.M)


def _nbconvert() -> list[str]:
    """A command that runs nbconvert: this Python's, else the Colab venv's."""
    try:
        import nbconvert  # noqa: F401

        return [sys.executable, "-m", "nbconvert"]
    except ImportError:
        colab = ROOT / ".venv-colab" / "bin" / "python"
        if colab.exists():
            return [str(colab), "-m", "nbconvert"]
    message = "nbconvert not found in .venv or .venv-colab (run `make colab-check` first)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


MATHJAX3 = """<script>window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']],
  displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']], processEscapes: true, tags: 'none'}};</script>
<script src="%s"></script>"""


def _offline_mathjax(html: str) -> str:
    """nbconvert's page loads MathJax 2 from a CDN; use the site's offline MathJax 3 instead, with
    Jupyter's delimiters ($...$ inline, $$...$$ display), so the math is typeset without network."""
    start, end = (
        html.find("<!-- Load mathjax -->"),
        html.find("<!-- End of mathjax configuration -->"),
    )
    if not MATHJAX.is_file() or start < 0 or end < 0:
        return html
    return html[:start] + MATHJAX3 % MATHJAX.as_uri() + html[end:]


@pytest.fixture(scope="module")
def html_pages(tmp_path_factory) -> dict[str, Path]:
    """kind -> the chapter's rendered notebook of that kind, converted to HTML."""
    out = tmp_path_factory.mktemp("nbhtml")
    pages = {}
    for kind in ("student", "instructor"):
        src = ROOT / "notebooks" / kind / f"{CHAPTER}.ipynb"
        cmd = [*_nbconvert(), "--to", "html", "--template", "lab", "--output-dir", str(out),
               "--output", f"{kind}-{CHAPTER}", str(src)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        pages[kind] = out / f"{kind}-{CHAPTER}.html"
        pages[kind].write_text(
            _offline_mathjax(pages[kind].read_text(encoding="utf8")), encoding="utf8"
        )
    return pages


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("kind", ["student", "instructor"])
def test_rendered_notebook_reads_well_in_a_browser(browser, html_pages, kind, width):
    """No MyST text on the page, math typeset, no sideways scroll, the note at the top, and no
    solution in the student notebook (the instructor one shows them)."""
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h})
    try:
        page = context.new_page()
        page.goto(html_pages[kind].as_uri(), wait_until="load")
        if MATHJAX.is_file():
            page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0",
                                   timeout=20000)  # fmt: skip
        text = page.inner_text("body")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{kind}-{CHAPTER}-{width}.png"), full_page=False)
        page.locator("text=Exercise 3.1").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{kind}-{CHAPTER}-{width}-exercise.png"))
        # The page must not scroll sideways (a wide display equation or a long code name may
        # overflow its own line, as on the site, but not drag the whole page).
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    finally:
        context.close()
    assert not MYST_TEXT.search(text), MYST_TEXT.search(text).group(0)
    assert "Exercise 3.1: KL divergence between two next-token distributions" in text
    assert "(3.1)" in text
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px at {width} width"
    if kind == "student":
        assert "This is the student notebook" in text and "Solution" not in text
    else:
        assert "Solution to Exercise 3.1" in text
