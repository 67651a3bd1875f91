"""Sphinx extension: delete the built pages whose source is gone.

Sphinx writes a page per document but never deletes one: after a chapter is renamed or split
(``03_kl_leash`` became ``03_kl_divergence`` and ``04_kl_leash``), the old page stays in
``_build/html`` beside the new ones, with its old numbering and links, and the browser checks, the
CSS trimming and the learner site would read it as part of the site. At ``build-finished``, before
the extensions that read every page (``prerender_math`` at 900, ``trim_css`` at 950), this removes
each ``.html`` file under the output's document folders that belongs to no document of this build,
and says which it removed.

>>> import tempfile; from pathlib import Path
>>> out = Path(tempfile.mkdtemp()); (out / "book").mkdir()
>>> for name in ("book/a.html", "book/old.html", "index.html", "search.html"):
...     _ = (out / name).write_text("")
>>> [p.as_posix() for p in stale(out, {"book/a"})]
['book/old.html']
"""

from __future__ import annotations

from pathlib import Path

from sphinx.util import logging
from trim_css import site_pages

logger = logging.getLogger(__name__)

# Pages that are not documents: Sphinx's own, and index.html, sphinx-external-toc's redirect to the
# root chapter.
SPECIAL = {"genindex", "search", "py-modindex", "index"}


def stale(outdir: Path, docnames: set[str]) -> list[Path]:
    """The ``.html`` files under ``outdir`` (relative) that no document of ``docnames`` wrote."""
    keep = docnames | SPECIAL
    rels = [p.relative_to(outdir) for p in site_pages(outdir)]
    return [rel for rel in rels if rel.with_suffix("").as_posix() not in keep]


def _clean(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for rel in stale(outdir, set(app.env.found_docs)):
        (outdir / rel).unlink()
        logger.info(f"stale_pages: removed {rel} (its source is gone)")


def setup(app):
    app.connect("build-finished", _clean, priority=100)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
