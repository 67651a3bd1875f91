"""Keep ``_build/jupyter_execute/`` complete: every chapter's copy there carries its outputs.

myst-nb (1.4.0) writes each chapter's executed notebook to ``jupyter_execute/`` at the end of
reading it. With ``execute_notebooks: cache``, a chapter served from jupyter-cache is merged into
a *new* notebook object (``NotebookClientCache.start_client``: ``self._notebook =
cache.merge_match_into_notebook(...)``), while the writer (``myst_nb.sphinx_.Parser.parse``)
writes the object it passed in, which never received the outputs. A freshly executed chapter is
fine (nbclient fills the object in place). So after an incremental ``make book`` the copies of
unchanged chapters hold no outputs, and anything reading them (``press/slides.py``) sees no figures.

This extension repairs the copy right after myst-nb wrote it (``doctree-read``): when the copy
has no code output, it is merged with its jupyter-cache record, the same record the page was
rendered from, and written again. Chapters with no cache record are left as written.
"""

from __future__ import annotations

from pathlib import Path


def has_outputs(nb) -> bool:
    """True when any code cell of ``nb`` (an nbformat notebook) has an output."""
    return any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def repair(copy: Path, cache_dir: Path) -> bool:
    """Merge the cached outputs into ``copy`` when it has none; True when it was rewritten.

    ``copy`` is a notebook myst-nb wrote to ``jupyter_execute/``; ``cache_dir`` its jupyter-cache.
    A copy that already has outputs, or has no matching cache record, is not touched.
    """
    import nbformat

    if not copy.is_file() or not cache_dir.is_dir():
        return False
    nb = nbformat.read(copy, as_version=4)
    if has_outputs(nb):
        return False
    from jupyter_cache import get_cache

    try:
        _, merged = get_cache(str(cache_dir)).merge_match_into_notebook(nb)
    except KeyError:  # no cache record matches these code cells
        return False
    if not has_outputs(merged):
        return False
    copy.write_text(nbformat.writes(merged), encoding="utf-8")
    return True


def _on_doctree_read(app, doctree) -> None:
    # myst-nb resolves its configuration (the cache beside the output folder when _config.yml
    # names none) into env.mystnb_config when the build starts
    config = app.env.mystnb_config
    if config.execution_mode != "cache" or not config.execution_cache_path:
        return
    docname = app.env.docname
    copy = Path(config.output_folder).joinpath(*docname.split("/")).with_suffix(".ipynb")
    repair(copy, Path(config.execution_cache_path))


def setup(app):
    app.setup_extension("myst_nb")
    app.connect("doctree-read", _on_doctree_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
