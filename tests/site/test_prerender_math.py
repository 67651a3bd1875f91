"""_ext/prerender_math.py: TeX in built pages becomes MathJax 4 CommonHTML at build time (issue 15).

Runs MathJax in node (``node_modules/``, ``make vendor``); no browser. What the pre-rendered
pages look like in a browser is checked in ``test_site_fixtures.py`` and ``test_site_screens.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.site

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_ext"))
import prerender_math  # noqa: E402

SPAN = '<span class="math notranslate nohighlight">\\({}\\)</span>'
LONG = (
    r"\mathcal L = -\mathbb{E}\left[\log\sigma\left(\beta\log\frac{\pi_\theta(y_w\mid x)}"
    r"{\pi_{\mathrm{ref}}(y_w\mid x)} - \beta\log\frac{\pi_\theta(y_l\mid x)}"
    r"{\pi_{\mathrm{ref}}(y_l\mid x)}\right)\right] + \alpha H(\pi_\theta)"
)


def test_reports_tex_mathjax_cannot_typeset(tmp_path):
    """An unknown macro or a missing brace is reported with its page, not drawn as red text."""
    (tmp_path / "page.html").write_text(
        "<p>" + SPAN.format(r"\nosuchmacro x") + SPAN.format(r"\frac{a}{") + "</p>",
        encoding="utf8",
    )
    count, failures = prerender_math.prerender_site(tmp_path)
    assert count == 2
    assert any("page.html" in f and "nosuchmacro" in f for f in failures), failures
    assert any("Missing close brace" in f for f in failures), failures


def test_autoloaded_packages_render(tmp_path):
    """Macros from packages MathJax autoloads (cancel, boldsymbol, cases) render without error."""
    tex = [r"\cancel{x}", r"\boldsymbol{\theta}", r"\begin{cases}a & b\\c & d\end{cases}"]
    (tmp_path / "page.html").write_text("".join(SPAN.format(t) for t in tex), encoding="utf8")
    count, failures = prerender_math.prerender_site(tmp_path)
    assert (count, failures) == (3, [])
    page = (tmp_path / "page.html").read_text(encoding="utf8")
    assert page.count("<mjx-container") == 3 and "\\(" not in page
    assert page.count("<mjx-assistive-mml") == 3  # screen readers get MathML


def test_page_loses_mathjax_scripts_and_gets_a_phone_variant(tmp_path):
    """Sphinx's MathJax scripts go; a long display equation comes broken for a phone as well."""
    (tmp_path / "page.html").write_text(
        "<head><script>window.MathJax = {}</script>"
        '<script defer="defer" src="_static/vendor/mathjax/startup.js?v=1"></script></head>'
        '<div class="math notranslate nohighlight" id="equation-x"><span class="eqno">(1)</span>'
        f"\\[{LONG}\\]</div>"
        '<div class="math notranslate nohighlight">\\[e^H\\]</div>',
        encoding="utf8",
    )
    prerender_math.prerender_site(tmp_path)
    page = (tmp_path / "page.html").read_text(encoding="utf8")
    assert "MathJax =" not in page and "startup.js" not in page
    assert page.count('class="ptc-eq-narrow"') == 1  # the short one needs no phone variant
    narrow = page.split('class="ptc-eq-narrow">')[1]
    assert "<mjx-linebox" in narrow
    assert '<span class="eqno">(1)</span>' in page
    css = (tmp_path / "_static" / "ptc-math.css").read_text(encoding="utf8")
    assert "mjx-container" in css and prerender_math.FONT_URL in css


def test_tooltips_get_rendered_math_and_incremental_builds_keep_the_stylesheet(tmp_path):
    """Math in sphinx-tippy's tip scripts is rendered too (phone form only); a rebuild where
    Sphinx rewrote nothing still writes a stylesheet covering the math rendered earlier."""
    tips = tmp_path / "_static" / "tippy" / "book"
    tips.mkdir(parents=True)
    table = {'a[href="#x"]': '<div class="math notranslate nohighlight">\\[' + LONG + "\\]</div>"}
    (tips / "p.1.js").write_text(
        f"selector_to_html = {json.dumps(table)}\nrest();\n", encoding="utf8"
    )
    (tmp_path / "p.html").write_text(SPAN.format(r"\sqrt{2}"), encoding="utf8")
    assert prerender_math.prerender_site(tmp_path) == (2, [])
    script = (tips / "p.1.js").read_text(encoding="utf8")
    assert "\\\\[" not in script and "mjx-container" in script and "ptc-eq-wide" not in script
    assert script.endswith("\nrest();\n")
    css = (tmp_path / "_static" / "ptc-math.css").read_text(encoding="utf8")
    (tmp_path / "_static" / "ptc-math.css").unlink()
    assert prerender_math.prerender_site(tmp_path) == (2, [])  # nothing left to render
    assert (tmp_path / "_static" / "ptc-math.css").read_text(encoding="utf8") == css
