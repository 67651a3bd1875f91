"""Sphinx extension: the site on every screen (issue 15) -- light pages, working phone navigation.

* **Icons without Font Awesome's JavaScript.** pydata-sphinx-theme loads ``fontawesome.js``
  (1.5 MB) on every page to draw about a dozen ``<i class="fa-solid fa-...">`` icons. The theme's
  ``static/webpack-macros.html`` is overridden (``_ext/templates/static/``) without that script, and after the
  build this extension writes ``_static/ptc-icons.js``: the SVG path of each icon the pages use
  (plus those the theme's scripts create), read from the theme's own ``fontawesome.js``, so the
  icons are Font Awesome Free's (CC BY 4.0), a few kilobytes instead of 1.5 MB.
* **Admonition icons without Font Awesome's webfont**: the titles' glyphs become SVG masks
  (``_static/ptc-admonition-icons.css``), so no page downloads the 156 kB solid webfont.
* **Search scripts deferred** on every page but the search page (they held up the first paint).
* The general index files a glossary term that starts with a Greek letter (β) under its Latin
  letter (B) instead of a stray Greek "Β" section.
* ``_static/ptc-site.js`` / ``ptc-site.css`` (added to every page by Jupyter Book, like every
  ``_static/*.js``) fix the phone menu, the solution titles, wrapping outputs and print.

The browser checks in ``tests/site/`` test each of these on the built site and on broken fixtures.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

ICON_SCRIPT = "ptc-icons.js"
ADMONITION_CSS = "ptc-admonition-icons.css"
# Icons the theme's scripts create at run time (the banner close button), not in any page's HTML.
RUNTIME_ICONS = {("fa-solid", "xmark")}
_PACKS = {"fab": "fa-brands", "far": "fa-regular", "fas": "fa-solid"}
_STYLES = {"fa-brands", "fa-regular", "fa-solid"}
_SHORT = {"fab": "fa-brands", "far": "fa-regular", "fas": "fa-solid"}  # Font Awesome 5 spellings
_ICON_CLASS = re.compile(
    r'<(?:i|span) class="([^"]*\b(?:fa-solid|fa-regular|fa-brands|fas|far|fab)\b[^"]*)"'
)
# One icon in fontawesome.js: name:[width,height,[aliases],"unicode","path"] (quoted if it has "-").
_ICON_DEF = re.compile(
    r'(?:"([a-z0-9-]+)"|([a-z0-9]+)):\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]+","([^"]+)"\]'
)
_PACK_END = re.compile(r'd\("(fa[brs])",p\)')


def fontawesome_icons(source: str) -> dict[tuple[str, str], tuple[int, int, str]]:
    """``(style, name) -> (width, height, svg path)`` for every icon defined in ``fontawesome.js``.

    The file defines each pack as ``var p={...}`` followed by ``d("fas",p)``; the text before
    each ``d(...)`` call, back to the previous one, holds that pack's icons.
    """
    icons: dict[tuple[str, str], tuple[int, int, str]] = {}
    start = 0
    for end in _PACK_END.finditer(source):
        style = _PACKS[end.group(1)]
        chunk = source[start : end.start()]
        for m in _ICON_DEF.finditer(chunk):
            name = m.group(1) or m.group(2)
            icons.setdefault((style, name), (int(m.group(3)), int(m.group(4)), m.group(5)))
        start = end.end()
    return icons


_ICON_DEF_UNICODE = re.compile(
    r'(?:"[a-z0-9-]+"|[a-z0-9]+):\[(\d+),(\d+),\[[^\]]*\],"([0-9a-f]+)","([^"]+)"\]'
)
_ICON_VAR = re.compile(r"--pst-icon-([a-z-]+):([^;}]+)")


def solid_icons_by_codepoint(source: str) -> dict[str, tuple[int, int, str]]:
    """``hex codepoint -> (width, height, svg path)`` of the fa-solid icons in ``fontawesome.js``."""
    icons: dict[str, tuple[int, int, str]] = {}
    start = 0
    for end in _PACK_END.finditer(source):
        if _PACKS[end.group(1)] == "fa-solid":
            for m in _ICON_DEF_UNICODE.finditer(source[start : end.start()]):
                icons.setdefault(m.group(3), (int(m.group(1)), int(m.group(2)), m.group(4)))
        start = end.end()
    return icons


def admonition_icon_css(theme_css: str, fontawesome_js: str) -> str:
    """CSS drawing pydata-sphinx-theme's admonition-title icons as SVG masks, not glyphs.

    The theme draws them as ``::after`` glyphs of Font Awesome's solid webfont (156 kB, requested by
    any page with an admonition, for one bell). Each ``--pst-icon-admonition-KIND`` of the theme's
    CSS (a glyph, or a ``var()`` naming another icon variable) becomes a mask of that icon's SVG
    path, coloured by the theme's own colour rule.
    """
    icons = solid_icons_by_codepoint(fontawesome_js)
    variables = {name: value.strip() for name, value in _ICON_VAR.findall(theme_css)}

    def codepoint(name: str) -> str:
        value = variables[name]
        while value.startswith("var(--pst-icon-"):
            value = variables[value[len("var(--pst-icon-") : -1]]
        return f"{ord(value.strip(chr(34) + chr(39))[0]):x}"

    rules = []
    kinds = {
        n[len("admonition-") :]: codepoint(n) for n in variables if n.startswith("admonition-")
    }
    for kind, code in kinds.items():
        if code not in icons:
            raise RuntimeError(f"site_ui: no fa-solid icon for admonition {kind!r} (\\{code})")
        w, h, d = icons[code]
        svg = f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {w} {h}'><path d='{d}'/></svg>"
        url = 'url("data:image/svg+xml,' + quote(svg, safe=" =:/'<>") + '")'
        kinds = "" if kind == "default" else "." + ("admonition-todo" if kind == "todo" else kind)
        rules.append(
            f"div.admonition{kinds} > .admonition-title::after, .admonition{kinds} > .admonition-title::after"
            f" {{ content: '' !important; font: inherit !important; background-color: currentColor;"
            f" -webkit-mask: {url} center / contain no-repeat; mask: {url} center / contain no-repeat; }}"
        )
    return "\n".join(rules) + "\n"


def used_icons(html: str) -> set[tuple[str, str]]:
    """``(style, name)`` of each Font Awesome ``<i>`` in ``html`` (size classes such as fa-lg ignored)."""
    found = set()
    for classes in _ICON_CLASS.findall(html):
        names = [_SHORT.get(c, c) for c in classes.split()]
        style = next((c for c in names if c in _STYLES), "fa-solid")
        for c in names:
            if c.startswith("fa-") and c not in _STYLES and c not in {"fa-lg", "fa-fw"}:
                found.add((style, c[3:]))
    return found


def _fontawesome_js() -> Path:
    import pydata_sphinx_theme

    return (
        Path(pydata_sphinx_theme.__file__).parent
        / "theme/pydata_sphinx_theme/static/scripts/fontawesome.js"
    )


def latin_letter(letter: str) -> str:
    """The Latin capital a reader files a letter under: 'Β' (Greek Beta) -> 'B'; others unchanged."""
    name = unicodedata.name(letter, "")
    if name.startswith(("GREEK CAPITAL LETTER ", "GREEK SMALL LETTER ")):
        return name.split()[-1][0]
    return letter


def merge_greek_groups(groups: list) -> list:
    """Sphinx's general index groups, the Greek ones (a glossary term "β ...") merged into Latin.

    ``groups`` is Sphinx's ``genindexentries``: ``[(letter, [(name, data), ...]), ...]``. Greek
    initials get their own group otherwise, a stray "Β" section between the Latin ones.
    """
    merged: dict[str, list] = {}
    for letter, entries in groups:
        merged.setdefault(latin_letter(letter), []).extend(entries)
    ordered = sorted(merged.items(), key=lambda kv: (not kv[0].isalpha(), kv[0]))
    return [
        (k, sorted(v, key=lambda e: unicodedata.normalize("NFKD", e[0]).lower()))
        for k, v in ordered
    ]


def _fix_genindex(app, pagename, templatename, context, doctree) -> None:
    if pagename == "genindex" and isinstance(context.get("genindexentries"), list):
        context["genindexentries"] = merge_greek_groups(context["genindexentries"])


_SEARCH_SCRIPT = re.compile(
    r'<script src="((?:\.\./)*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js))"></script>'
)


def defer_search_scripts(text: str) -> str:
    """A page's copies of Sphinx's search scripts, loaded with ``defer``.

    pydata-sphinx-theme loads searchtools.js, language_data.js and the whole search index (60 kB)
    in every page's head, for a search-as-you-type box this site has turned off; as plain
    scripts they hold up the first paint. Deferred, they still run (in order) before
    DOMContentLoaded, where ``ptc-site.js`` patches the search.
    """
    return _SEARCH_SCRIPT.sub(r'<script defer="defer" src="\1"></script>', text)


def _defer_search(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        if page.name == "search.html":
            continue
        text = page.read_text(encoding="utf8")
        new = defer_search_scripts(text)
        if new != text:
            page.write_text(new, encoding="utf8")


def _add_templates(app, config) -> None:
    config.templates_path = [str(Path(__file__).parent / "templates"), *config.templates_path]


def _write_icons(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    wanted = set(RUNTIME_ICONS)
    for page in outdir.rglob("*.html"):
        wanted |= used_icons(page.read_text(encoding="utf8", errors="replace"))
    defined = fontawesome_icons(_fontawesome_js().read_text(encoding="utf8"))
    missing = sorted(f"{s} fa-{n}" for s, n in wanted if (s, n) not in defined)
    if missing:
        raise RuntimeError(
            f"site_ui: no SVG for the icon(s) {', '.join(missing)} in fontawesome.js"
        )
    table = {f"{s} {n}": defined[(s, n)] for s, n in sorted(wanted)}
    template = (Path(__file__).parent / "ptc_icons_template.js").read_text(encoding="utf8")
    script = template.replace("/*ICONS*/{}", json.dumps(table, separators=(",", ":")))
    (outdir / "_static" / ICON_SCRIPT).write_text(script, encoding="utf8")
    theme_css = (outdir / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(
        encoding="utf8"
    )
    css = admonition_icon_css(theme_css, _fontawesome_js().read_text(encoding="utf8"))
    (outdir / "_static" / ADMONITION_CSS).write_text(css, encoding="utf8")


def setup(app):
    app.connect("config-inited", _add_templates)
    app.add_js_file(ICON_SCRIPT, loading_method="defer")
    app.add_css_file(ADMONITION_CSS)
    app.connect("build-finished", _write_icons)
    app.connect("build-finished", _defer_search)
    app.connect("html-page-context", _fix_genindex)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
