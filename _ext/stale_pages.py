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

logger = logging.getLogger(__name__)

# Pages that are not documents: Sphinx's own, and index.html, sphinx-external-toc's redirect to the
# root chapter; and output folders that are not pages.
SPECIAL = {"genindex", "search", "py-modindex", "index"}
NOT_PAGES = {"_static", "_images", "_sources", "slides", "_downloads"}


def stale(outdir: Path, docnames: set[str]) -> list[Path]:
    """The ``.html`` files under ``outdir`` (relative) that no document of ``docnames`` wrote."""
    found = []
    for path in sorted(outdir.rglob("*.html")):
        rel = path.relative_to(outdir)
        if rel.parts[0] in NOT_PAGES:
            continue
        name = rel.with_suffix("").as_posix()
        if name not in docnames and name not in SPECIAL:
            found.append(rel)
    return found


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
