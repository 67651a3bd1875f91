"""Sphinx extension: an "Open in Colab" badge on every chapter that has a notebook twin.

Jupyter Book's own Colab launch button opens the chapter's ``.md`` source, which Colab cannot run.
This badge instead points at the chapter's student notebook, and its URL is built from the single
repository setting in ``_config.yml`` (``repository.url`` / ``repository.branch``), which Jupyter Book
passes to Sphinx as ``html_theme_options["repository_url"]`` and ``["repository_branch"]``.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes

NOTEBOOK_DIR = "notebooks/student"


def colab_url(repository_url: str, branch: str, notebook_path: str) -> str:
    """Colab's GitHub URL for ``notebook_path`` (relative to the repository root)."""
    slug = repository_url.rstrip("/").removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{slug}/blob/{branch}/{notebook_path}"


def _add_badge(app, doctree):
    docname = app.env.docname
    if not docname.startswith("book/"):
        return
    name = docname.split("/", 1)[1]
    notebook = f"{NOTEBOOK_DIR}/{name}.ipynb"
    if not (Path(app.srcdir) / notebook).exists():
        return
    opts = app.config.html_theme_options
    url = colab_url(opts["repository_url"], opts.get("repository_branch", "main"), notebook)
    html = (
        f'<p class="colab-badge"><a href="{url}" data-notebook="{notebook}" '
        f'rel="noopener"><img src="{"../" * docname.count("/")}_static/colab-badge.svg" '
        f'alt="Open this chapter in Colab" width="117" height="20"></a></p>'
    )
    sections = list(doctree.findall(nodes.section))
    target = sections[0] if sections else doctree
    title_index = 1 if sections and isinstance(sections[0][0], nodes.title) else 0
    target.insert(title_index, nodes.raw("", html, format="html"))


def setup(app):
    app.connect("doctree-read", _add_badge)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
