"""Sphinx extension: small accessibility fixes to the HTML that docutils writes.

* Citations (sphinxcontrib-bibtex's references page): docutils' HTML5 writer wraps them in
  ``<div role="list" class="citation-list">`` but gives each entry ``role="doc-biblioentry"``,
  a DPUB-ARIA role deprecated in DPUB-ARIA 1.1 (https://www.w3.org/TR/dpub-aria-1.1/#doc-biblioentry)
  that is not a list item, so axe-core reports the critical violation ``aria-required-children``
  (https://dequeuniversity.com/rules/axe/4.10/aria-required-children). Entries become
  ``role="listitem"``, which is what the surrounding list requires.

The browser tests (tests/site/) run axe-core on every page and fail on critical violations.
"""

from __future__ import annotations

_REPLACEMENTS = {
    'role="doc-biblioentry"': 'role="listitem"',
}


def _fix_body(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if not isinstance(body, str):
        return
    for old, new in _REPLACEMENTS.items():
        body = body.replace(old, new)
    context["body"] = body


def setup(app):
    app.connect("html-page-context", _fix_body)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
