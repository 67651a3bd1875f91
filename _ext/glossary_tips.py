"""Sphinx extension: glossary tooltips for every name of a multi-name glossary entry.

A glossary entry may list several names (aliases) before its definition, which Sphinx writes as
``<dt>likelihood</dt><dt>log-likelihood</dt><dd>definition</dd>``. sphinx-tippy 0.4
(``sphinx_tippy.create_id_to_tip_html``) builds a term's tooltip from its ``<dt>`` plus the *next*
sibling only if that sibling is a ``<dd>``, so all names but the last get a tooltip holding just
the name. After sphinx-tippy has collected a page's tips (``html-page-context``, priority 450),
this rewrites those tips as the ``<dt>`` plus the entry's ``<dd>`` (first paragraphs only, the way
sphinx-tippy does). The browser tests hover glossary links and require the definition to show.

It also deletes a page's previous tooltip script (``_static/tippy/<page>.<uuid>.js``) before
sphinx-tippy writes a new one: sphinx-tippy's own clean-up globs the wrong name for pages in a
sub-folder (``book/…``), so stale scripts piled up in ``_build`` on every rebuild.
"""

from __future__ import annotations

import copy
from pathlib import Path

from bs4 import BeautifulSoup, Tag

MAX_PARAGRAPHS = 6  # sphinx-tippy keeps at most this many <p> children of a <dd>


def _next_tag(tag: Tag) -> Tag | None:
    for sibling in tag.next_siblings:
        if isinstance(sibling, Tag):
            return sibling
    return None


def _definition_html(dd: Tag) -> str:
    """The ``<dd>`` with only its first paragraphs, as sphinx-tippy shows definitions."""
    dd = copy.copy(dd)
    kept = 0
    for child in list(dd.children):
        if not isinstance(child, Tag):
            child.extract()
        elif child.name != "p" or kept >= MAX_PARAGRAPHS:
            child.decompose()
        else:
            kept += 1
    return str(dd)


def _term_html(dt: Tag) -> str:
    dt = copy.copy(dt)
    for child in dt.find_all(class_="headerlink"):
        child.decompose()
    return str(dt)


def _fix_alias_tips(app, pagename, templatename, context, doctree) -> None:
    if not doctree or "<dt" not in context.get("body", ""):
        return
    pages = getattr(app.env, "tippy_data", {}).get("pages", {})
    data = pages.get(pagename)
    if data is None:
        return
    body = BeautifulSoup(context["body"], "html.parser")
    for dt in body.find_all("dt", id=True):
        sibling = _next_tag(dt)
        if sibling is None or sibling.name != "dt":
            continue  # sphinx-tippy handles <dt> followed directly by <dd>
        while sibling is not None and sibling.name == "dt":
            sibling = _next_tag(sibling)
        if sibling is not None and sibling.name == "dd":
            data["id_to_html"][str(dt["id"])] = _term_html(dt) + _definition_html(sibling)


def _remove_stale_scripts(app, pagename, templatename, context, doctree) -> None:
    script = Path(app.outdir, "_static", "tippy", *pagename.split("/"))
    for old in script.parent.glob(f"{script.name}.*.js"):
        old.unlink()


def setup(app):
    app.setup_extension("sphinx_tippy")
    app.connect("html-page-context", _remove_stale_scripts, priority=440)
    app.connect("html-page-context", _fix_alias_tips, priority=460)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
