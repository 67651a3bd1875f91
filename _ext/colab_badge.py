"""Sphinx extension: an "Open in Colab" badge on every chapter that has a rendered student notebook.

Jupyter Book's own Colab launch button opens the chapter's ``.md`` source, which Colab cannot run.
This badge instead points at the chapter's *rendered* student notebook
``notebooks/student/<name>.ipynb`` (plain Jupyter markdown, made by press/render_notebooks.py, never
the jupytext twin ``notebooks/<name>.ipynb``) **at the release tag** ``v<version>``, where
``<version>`` is ``ptcourse.__version__`` (read from ``ptcourse/__init__.py``): the install cell
pins that same version, so the notebook a learner opens always matches the package it installs.
The repository comes from the single setting in ``_config.yml`` (``repository.url``), which Jupyter
Book passes to Sphinx as ``html_theme_options["repository_url"]``. The release workflow
(.github/workflows/release.yml) creates the tag. Colab's GitHub URL scheme is documented at
https://colab.research.google.com/github/googlecolab/colabtools/blob/main/notebooks/colab-github-demo.ipynb

The badge is a ``<div>`` (not a ``<p>``) right under the chapter title, so that sphinx-tippy's
section tooltips (title + first paragraph) do not show the badge instead of the chapter's opening.
The browser tests (tests/site/) check that every badge's URL names a notebook that exists.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

from docutils import nodes
from sphinx.errors import ConfigError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "press"))
from render_notebooks import NOTEBOOK_DIRS  # noqa: E402  (the rendered notebooks' one home)

NOTEBOOK_DIR = NOTEBOOK_DIRS["student"]
COLAB_GITHUB = "https://colab.research.google.com/github/"


def colab_url(repository_url: str, branch: str, notebook_path: str) -> str:
    """Colab's GitHub URL for ``notebook_path`` (relative to the repository root).

    >>> colab_url("https://github.com/o/r/", "v1.2.0", "notebooks/student/01_x.ipynb")
    'https://colab.research.google.com/github/o/r/blob/v1.2.0/notebooks/student/01_x.ipynb'
    """
    if not repository_url.startswith("https://github.com/"):
        raise ConfigError(
            f"repository.url must be a https://github.com/ URL, got {repository_url!r}"
        )
    slug = repository_url.rstrip("/").removeprefix("https://github.com/").removesuffix(".git")
    return f"{COLAB_GITHUB}{slug}/blob/{branch}/{notebook_path}"


def release_ref(srcdir: str | Path) -> str:
    """The git ref of this release, ``v`` + ``__version__`` of ``<srcdir>/ptcourse/__init__.py``."""
    init = Path(srcdir) / "ptcourse" / "__init__.py"
    m = re.search(r'^__version__ = "([^"]+)"', init.read_text(encoding="utf-8"), re.M)
    if not m:
        raise ConfigError(f"{init} has no __version__ line (the Colab badges open tag v<version>)")
    return f"v{m.group(1)}"


def _add_badge(app, doctree) -> None:
    docname = app.env.docname
    if not docname.startswith("book/"):
        return
    name = docname.split("/", 1)[1]
    notebook = f"{NOTEBOOK_DIR}/{name}.ipynb"
    notebook_file = Path(app.srcdir) / notebook
    # Re-read this page when its student notebook appears, changes or goes away.
    app.env.note_dependency(str(notebook_file))
    if not notebook_file.is_file():
        return
    opts = app.config.html_theme_options
    if "repository_url" not in opts:
        raise ConfigError("_config.yml needs repository.url (the Colab badges are built from it)")
    url = colab_url(opts["repository_url"], release_ref(app.srcdir), notebook)
    static = "../" * docname.count("/") + "_static"
    badge = (
        f'<div class="colab-badge"><a class="reference external" href="{html.escape(url)}" '
        f'data-notebook="{html.escape(notebook)}" rel="noopener">'
        f'<img src="{static}/colab-badge.svg" alt="Open this chapter in Colab" '
        'width="117" height="20"></a></div>'
    )
    sections = list(doctree.findall(nodes.section))
    target = sections[0] if sections else doctree
    title_index = 1 if sections and isinstance(sections[0][0], nodes.title) else 0
    target.insert(title_index, nodes.raw("", badge, format="html"))


def setup(app):
    app.connect("doctree-read", _add_badge)
    return {"version": "0.2", "parallel_read_safe": True, "parallel_write_safe": True}
