"""Every page of the built site has a source in this checkout.

Sphinx never deletes a page: after a chapter was renamed, its old page stayed in ``_build/html``
with the old numbering, and the site's checks, the CSS trimming and the learner site read it as part
of the site. ``_ext/stale_pages.py`` deletes such pages at the end of each build; this checks the
result. Read from the built files, no browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from site_views import site_pages

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[2]
SPHINX_OWN = {"genindex.html", "search.html"}  # pages Sphinx writes without a source


def test_every_page_has_a_source(built_site):
    """Each built page (slide decks and Sphinx's own pages aside) is made from a book source."""
    orphans = [
        page
        for page in site_pages()
        if not page.startswith("slides/")
        and page not in SPHINX_OWN
        and not any((ROOT / page).with_suffix(s).exists() for s in (".md", ".ipynb", ".rst"))
    ]
    assert not orphans, (
        f"pages whose source is gone (a stale build; see _ext/stale_pages.py): {orphans}"
    )
