"""Sphinx extension: the theme's stylesheets trimmed to the rules this site uses (issue 29).

Every page linked about 0.6 MB of render-blocking CSS (pydata-sphinx-theme's 0.4 MB, with all of
Bootstrap; sphinx-design's 55 kB; myst-nb's 43 kB; ...), most of it for components the site never
shows; from a host that does not compress, the first paint waited 5-7.5 s for it on slow 4G.

After the HTML build this extension runs PurgeCSS (npm ``purgecss``, pinned in package.json;
``_ext/trim_css.cjs``) over the third-party stylesheets the pages link, with every built page and
every script the pages load as its content, and writes each sheet back in place, holding only the
rules whose selectors can match. PurgeCSS, a maintained library with a real CSS parser
(postcss) and selector parser, rather than hand-written regexes: it keeps @media/@supports/@layer
structure, pseudo-classes and attribute selectors right. The safelist for what scripts build at run
time is in ``trim_css.cjs``. This site's own sheets (``ptc-site.css``, ``ptc-views.css`` and
``ptc-math.css``, the pre-rendered math's, already cut to the characters the site uses) are left
whole, and so are the slide decks (``slides/``, reveal.js's own CSS).

Sphinx copies the untrimmed sheets from the theme packages into ``_static/`` on every build, so
each build trims from the originals. Runs after the extensions that read or write sheets at
build-finished (``site_ui`` reads the theme's sheet for its admonition icons; ``prerender_math``
writes ``ptc-math.css``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from node_json import run_json
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

SCRIPT = Path(__file__).with_name("trim_css.cjs")
# Sheets left whole (in _static/): this site's own, and the pre-rendered math's.
KEEP = {"ptc-site.css", "ptc-views.css", "ptc-math.css"}
# Folders of the output that are not Sphinx pages (reveal.js decks, make slides).
SKIP_DIRS = {"slides"}
# Scripts that are not content: the search index (prose), Font Awesome's icon data (the pages
# draw icons with ptc-icons.js), MathJax (no page loads it; the math is pre-rendered) and
# Bootstrap's bundle, which names every Bootstrap component (modal, toast, offcanvas, ...) while
# the pages use two, tooltips and dropdowns: what those add at run time is in trim_css.cjs's
# safelist.
SKIP_SCRIPTS = re.compile(
    r"(^|/)(searchindex\.js|fontawesome\.js|bootstrap\.js|vendor/mathjax/.*)$"
)

_LINK = re.compile(r"<link\b[^>]*>", re.I)
_HREF = re.compile(r'\bhref="([^"]+)"')
_IMPORT = re.compile(r'@import\s+(?:url\()?["\']?([^"\')\s;]+)')
_CUSTOM_PROPERTY = re.compile(r"--[A-Za-z_][A-Za-z0-9_-]*")
_SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/\s*")


def linked_sheets(outdir: Path, pages: list[Path]) -> list[Path]:
    """The local stylesheets the pages link (and those they @import), in first-seen order."""
    found: dict[Path, None] = {}

    def add(sheet: Path) -> None:
        sheet = sheet.resolve()
        if sheet in found or not sheet.is_file() or outdir.resolve() not in sheet.parents:
            return
        found[sheet] = None
        for ref in _IMPORT.findall(sheet.read_text(encoding="utf8", errors="replace")):
            add(sheet.parent / ref.split("?")[0])

    for page in pages:
        for tag in _LINK.findall(page.read_text(encoding="utf8", errors="replace")):
            href = _HREF.search(tag)
            if "stylesheet" in tag and href and "://" not in href.group(1):
                add(page.parent / href.group(1).split("?")[0].split("#")[0])
    return list(found)


def site_pages(outdir: Path) -> list[Path]:
    """The Sphinx pages of the output (not the slide decks)."""
    return [
        p
        for p in sorted(outdir.rglob("*.html"))
        if not SKIP_DIRS & set(p.relative_to(outdir).parts[:-1])
        and not p.relative_to(outdir).parts[0].startswith("_")
    ]


def content_files(outdir: Path, pages: list[Path]) -> list[Path]:
    """What PurgeCSS reads for the words a rule may name: the pages and the scripts of _static/."""
    scripts = [
        p
        for p in sorted((outdir / "_static").rglob("*.js"))
        if not SKIP_SCRIPTS.search(p.relative_to(outdir).as_posix())
    ]
    return pages + scripts


def trim_site(outdir: Path, node: str) -> dict[str, tuple[int, int]]:
    """Trim the sheets in place; {sheet relative to outdir: (bytes before, bytes after)}."""
    pages = site_pages(outdir)
    linked = linked_sheets(outdir, pages)
    sheets = [s for s in linked if s.name not in KEEP]
    if not sheets:
        return {}
    content = content_files(outdir, pages)
    # Custom properties that stay even if no trimmed rule reads them: those this site's own
    # (untrimmed) sheets name, and those a script names (bootstrap reads --bs-position).
    named = [s for s in linked if s.name in KEEP] + [p for p in content if p.suffix == ".js"]
    named.append(outdir / "_static" / "scripts" / "bootstrap.js")
    variables = sorted(
        {
            v
            for f in named
            if f.is_file()
            for v in _CUSTOM_PROPERTY.findall(f.read_text(encoding="utf8", errors="replace"))
        }
    )
    request = {
        "css": [str(s) for s in sheets],
        "content": [str(p) for p in content],
        "variables": variables,
    }
    trimmed = run_json(node, SCRIPT, request, "trim_css: PurgeCSS")
    sizes = {}
    for sheet in sheets:
        before = sheet.stat().st_size
        # The theme's source map describes the untrimmed sheet: no link to it from the trimmed one.
        css = _SOURCE_MAP.sub("", trimmed[str(sheet)])
        sheet.write_text(css, encoding="utf8")
        sizes[sheet.relative_to(outdir.resolve()).as_posix()] = (before, len(css.encode()))
    return sizes


def _trim(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    node = shutil.which("node")
    if node is None:
        raise ExtensionError("trim_css: node not found (PurgeCSS runs in node; see mk/site.mk)")
    if not (Path(app.confdir) / "node_modules" / "purgecss").is_dir():
        raise ExtensionError("trim_css: node_modules/purgecss missing: run `make vendor` (npm ci)")
    sizes = trim_site(Path(app.outdir), node)
    before = sum(b for b, _ in sizes.values())
    after = sum(a for _, a in sizes.values())
    logger.info(
        f"trim_css: {len(sizes)} stylesheets trimmed from {before / 1e3:.0f} kB to "
        f"{after / 1e3:.0f} kB"
    )


def setup(app):
    # After prerender_math (900) and site_ui's icons (500), which read or write sheets.
    app.connect("build-finished", _trim, priority=950)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
