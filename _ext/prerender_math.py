"""Sphinx extension: math pre-rendered at build time, so a page shows its formulas on first paint.

Issue 15: on a slow link (1.6 Mbit/s, 150 ms) the math was typeset by MathJax in the browser about
10 s after the page was requested, and readers saw raw TeX until then. After the HTML build this
extension runs MathJax 4 in node (``_ext/prerender_math.cjs``, the vendored npm ``mathjax``
package) over every formula of every built page, and of every tooltip script sphinx-tippy wrote
(``_static/tippy/**.js``: equation and glossary tips), and puts MathJax's CommonHTML output in
place of the TeX. The page loads no MathJax JavaScript: the formulas are HTML + CSS
(``_static/ptc-math.css``, the CHTML stylesheet of every character the site uses, with the
MathJax TeX font's woff2 files from ``_static/vendor/``), and each keeps MathJax's assistive
MathML for screen readers.

A display equation is rendered twice when MathJax's line breaking (``displayOverflow:
linebreak``) breaks it differently for a phone's column (``NARROW_PX``) and for a desktop's
(``WIDE_PX``); ``ptc-site.css`` shows the one for the screen (``ptc-eq-narrow`` below 768 px).

Any TeX that MathJax cannot parse (an unknown macro, a missing brace) is a build warning naming
the page, so ``jupyter-book build -W`` fails on it. Pages Sphinx did not rewrite in an incremental
build keep their rendered math; the TeX each page had is remembered in ``.ptc-math.json`` in the
output folder, so the stylesheet still covers every page.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

from node_json import run_json
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

SCRIPT = Path(__file__).with_name("prerender_math.cjs")
STYLESHEET = "ptc-math.css"  # in _static/
CACHE = ".ptc-math.json"  # in the output folder
# Font files, relative to _static/ptc-math.css (mk/site.mk vendors them).
FONT_URL = "vendor/mathjax/fonts/mathjax-tex-font/chtml/woff2"
# Line-breaking widths (px) for display math: a desktop's article column (1366x900: about 700 px,
# less an equation number) and a phone's (390x844: 358 px less padding).
WIDE_PX = 660
NARROW_PX = 330
# Math size relative to the text. In a browser MathJax scales its font so that its x-height
# (0.442 em) matches the text's; the theme's system-ui fonts have x-heights of about 0.50-0.55 em
# (Segoe UI, SF, Roboto, DejaVu Sans: 9 px at 16 px in Debian's Chromium), so 0.52 / 0.442.
SCALE = 1.18

# Sphinx's MathJax markup (sphinx.ext.mathjax): inline \(..\) in a span, display \[..\] (or a bare
# amsmath environment) in a div, after an optional equation number.
_INLINE = re.compile(r'(<span class="math notranslate nohighlight">)\\\((.*?)\\\)(</span>)', re.S)
_DISPLAY = re.compile(
    r'(<div class="math notranslate nohighlight"[^>]*>\s*(?:<span class="eqno">.*?</span>)?)'
    r"\s*(\\\[(.*?)\\\]|\\begin\{.*?\\end\{[a-z*]+\})\s*(</div>)",
    re.S,
)
# The MathJax scripts Sphinx adds to a page with math: the configuration and the loader.
_MATHJAX_SCRIPTS = re.compile(
    r'\s*<script>window\.MathJax = .*?</script>|\s*<script[^>]*src="[^"]*mathjax/startup\.js[^"]*"[^>]*></script>'
)
_TIPPY_TABLE = re.compile(r"(selector_to_html = )(\{.*?\})(\n)", re.S)


def find_math(text: str) -> list[tuple[str, bool]]:
    """``(tex, display)`` of every formula in a page's HTML, in order (TeX unescaped)."""
    found = [(html.unescape(m.group(2)), False) for m in _INLINE.finditer(text)]
    for m in _DISPLAY.finditer(text):
        tex = m.group(3) if m.group(3) is not None else m.group(2)
        found.append((html.unescape(tex).strip(), True))
    return found


def _display_html(rendered: list[str], narrow_only: bool = False) -> str:
    wide, *rest = rendered
    narrow = rest[0] if rest else wide
    if narrow_only:
        return narrow
    if narrow.count("<mjx-linebox") == wide.count("<mjx-linebox"):
        return wide
    return f'<div class="ptc-eq-wide">{wide}</div><div class="ptc-eq-narrow">{narrow}</div>'


def replace_math(
    text: str, rendered: dict[tuple[str, bool], list[str]], narrow_only: bool = False
) -> str:
    """``text`` with each formula's TeX replaced by its rendered HTML and MathJax's scripts gone.

    ``narrow_only``: display math only as broken for a phone's column (a tooltip is at most 500 px).
    """
    text = _INLINE.sub(
        lambda m: m.group(1) + rendered[(html.unescape(m.group(2)), False)][0] + m.group(3), text
    )

    def display(m: re.Match) -> str:
        tex = m.group(3) if m.group(3) is not None else m.group(2)
        item = (html.unescape(tex).strip(), True)
        return m.group(1) + _display_html(rendered[item], narrow_only) + m.group(4)

    text = _DISPLAY.sub(display, text)
    return _MATHJAX_SCRIPTS.sub("", text)


def render(items: list[tuple[str, bool]], node: str = "node") -> tuple[dict, dict, str]:
    """Run MathJax in node over ``items``: (rendered html by item, errors by item, stylesheet)."""
    request = {
        "items": [{"tex": t, "display": d} for t, d in items],
        "widths": [WIDE_PX, NARROW_PX],
        "scale": SCALE,
        "fontURL": FONT_URL,
    }
    reply = run_json(node, SCRIPT, request, "prerender_math: MathJax in node")
    rendered, errors = {}, {}
    for item, result in zip(items, reply["results"], strict=True):
        rendered[item] = result["html"]
        if result["error"]:
            errors[item] = result["error"]
    return rendered, errors, reply["css"]


def prerender_site(outdir: Path, node: str | None = None) -> tuple[int, list[str]]:
    """Pre-render every formula under ``outdir`` (a built site) in place.

    Returns the number of distinct formulas and one message per formula MathJax cannot typeset.
    Writes ``_static/ptc-math.css`` (the stylesheet of all of them) and ``.ptc-math.json``.
    """
    node = node or shutil.which("node")
    if node is None:
        raise ExtensionError("prerender_math: `node` not found; install Node.js (see mk/site.mk)")
    outdir = Path(outdir)
    failures: list[str] = []
    cache_file = outdir / CACHE
    try:
        remembered = json.loads(cache_file.read_text(encoding="utf8"))
    except (OSError, ValueError):
        remembered = {}
    pages = sorted(outdir.rglob("*.html"))
    tips = sorted((outdir / "_static" / "tippy").rglob("*.js"))
    # path -> (its text, its formulas, and for a tooltip script its table's match and table):
    # every file is read and parsed once, here, and written below only if its math changed
    todo: dict[Path, tuple[str, list[tuple[str, bool]], re.Match | None, dict]] = {}
    for path in pages + tips:
        text = path.read_text(encoding="utf8")
        match, table = None, {}
        if path.suffix == ".html":
            found = find_math(text)
        else:
            match = _TIPPY_TABLE.search(text)
            table = json.loads(match.group(2)) if match else {}
            found = [f for v in table.values() for f in find_math(v)]
        rel = path.relative_to(outdir).as_posix()
        if found:
            todo[path] = (text, found, match, table)
            remembered[rel] = [[t, d] for t, d in dict.fromkeys(found)]
        elif path.suffix == ".html":
            todo[path] = (
                text,
                [],
                None,
                {},
            )  # no math, but Sphinx may have added MathJax's scripts
    remembered = {k: v for k, v in remembered.items() if (outdir / k).is_file()}
    every = list(dict.fromkeys((t, bool(d)) for v in remembered.values() for t, d in v))
    rendered, errors, css = render(every, node) if every else ({}, {}, "")
    for path, (text, found, match, table) in todo.items():
        rel = path.relative_to(outdir).as_posix()
        for item in dict.fromkeys(found):
            if item in errors:
                failures.append(f"{rel}: MathJax cannot typeset {item[0]!r}: {errors[item]}")
        if match is None:  # a page
            new = replace_math(text, rendered)
        else:  # a tooltip script: only its table of HTML snippets changes
            tips = {k: replace_math(v, rendered, narrow_only=True) for k, v in table.items()}
            new = text[: match.start(2)] + json.dumps(tips) + text[match.end(2) :]
        if new != text:
            path.write_text(new, encoding="utf8")
    (outdir / "_static").mkdir(exist_ok=True)
    (outdir / "_static" / STYLESHEET).write_text(css, encoding="utf8")
    cache_file.write_text(json.dumps(remembered), encoding="utf8")
    return len(every), failures


def _prerender(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    count, failures = prerender_site(Path(app.outdir))
    for failure in failures:
        logger.warning(f"prerender_math: {failure}")
    logger.info(f"prerender_math: {count} formulas pre-rendered")


def setup(app):
    app.add_css_file(STYLESHEET)
    # After sphinx-tippy writes its tooltip scripts (build-finished, default priority 500).
    app.connect("build-finished", _prerender, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
